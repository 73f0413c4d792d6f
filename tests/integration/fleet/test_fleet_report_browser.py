"""The fleet report as a reader opens it: real headless Chromium, every request that leaves the
report's own files refused and recorded, the page within the window (the 46-page matrix scrolls
in its own box), the reason of a cell on hover; a screenshot in ``test-artifacts/fleet/``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[3]
ARTIFACTS = ROOT / "test-artifacts" / "fleet"
CHROMIUM = "/usr/bin/chromium"


def test_fleet_report_offline_within_the_page_reason_on_hover(tmp_path):
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("Debian chromium is not installed (CI needs it: apt-get install chromium)")
        pytest.skip("Debian chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    reports = tmp_path / "reports"
    env = {k: v for k, v in os.environ.items() if k != "MIRTA_DB_URL"}
    done = subprocess.run(
        [str(Path(sys.executable).with_name("mirta")), "fleet", "--inventory", "demo",
         "--reports", str(reports)],
        env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr  # the demo nodes have findings
    (html,) = (reports / "fleet").glob("*.html")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            outside: list[str] = []

            def refuse(route) -> None:
                url = route.request.url
                if url.startswith(("file:", "data:", "about:")):
                    route.continue_()
                else:
                    outside.append(url)
                    route.abort()

            page.route("**/*", refuse)
            page.goto(html.as_uri(), wait_until="load")
            page.screenshot(path=str(ARTIFACTS / "fleet-report.png"), full_page=True)
            assert outside == []
            assert not page.evaluate(
                "() => document.documentElement.scrollWidth > document.documentElement.clientWidth"
            ), "the page is wider than the window"
            heads = page.locator("table.fleet-matrix thead th").all_inner_texts()
            assert heads[1:] == [str(n) for n in range(1, 47)]
            cell = page.locator("table.fleet-matrix tbody tr").nth(1).locator("td").nth(22)
            assert cell.inner_text() == "fail"  # srv02, page 23
            assert cell.get_attribute("title").startswith("srv02, page 23: fail: ")
            na = page.locator("table.fleet-matrix tbody tr").nth(1).locator("td").nth(0)
            assert na.inner_text() == "n.a." and "no recording" in na.get_attribute("title")
            text = page.inner_text("body")
            assert "Certificates, fewest days left first" in text
            assert "/etc/opensips/ssl/cert.crt" in text and "NaN" not in text
        finally:
            browser.close()
