"""Each demo report, as a reader opens it: real headless Chromium (Debian's chromium, Playwright).

The analytics notebooks run headless on the demo PBX into a temporary reports folder (``mirta
report --params-dir parameters/demo``); every report page, a tenant page and the index are loaded
from ``file:``, a screenshot of each is kept under ``test-artifacts/reports/``, and the test fails
on code cells, ``<Figure size`` text, tables printed as text, a page wider than the window, or
any request that leaves the page's own files (every other request is refused and recorded).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[3]
ARTIFACTS = ROOT / "test-artifacts" / "reports"
CHROMIUM = "/usr/bin/chromium"
#: every analytics notebook: each gives a demo report
ANALYTICS = sorted(p.stem for p in (ROOT / "notebooks" / "analytics").glob("*.py"))

# a <pre> whose lines are columns separated by runs of spaces is a table printed as text
TEXT_TABLE = """() => [...document.querySelectorAll('pre')].filter(pre => {
    const rows = pre.innerText.split('\\n').filter(l => /\\S {2,}\\S.* {2,}\\S/.test(l));
    return rows.length >= 3;
}).map(pre => pre.innerText.slice(0, 200))"""


def _chromium() -> str:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("Debian chromium is not installed (CI needs it: apt-get install chromium)")
        pytest.skip("Debian chromium is not installed (apt-get install chromium)")
    return CHROMIUM


@pytest.fixture(scope="module")
def demo_reports(tmp_path_factory):
    """The analytics notebooks run on the demo PBX into a temporary reports folder."""
    _chromium()
    reports = tmp_path_factory.mktemp("reports")
    env = dict(os.environ, MIRTA_DB_URL="demo", MIRTA_REPORTS=str(reports))
    done = subprocess.run(
        [
            str(Path(sys.executable).parent / "mirta"),
            "report",
            "notebooks/analytics",
            "--params-dir",
            "parameters/demo",
            "--reports",
            str(reports),
            "--name",
            "browser",
            "--no-progress",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    # make demo's contract: one line per notebook, no kernel warnings, what to open next
    lines = done.stdout.splitlines()
    for name in ANALYTICS:
        assert any(re.match(rf"{name}\s+ok\s+[\d.]+ s\s+\S+\.html$", ln) for ln in lines), lines
    assert "Open the reports:" in done.stdout and " lab" in done.stdout
    assert "WARNING" not in done.stderr and "Kernel" not in done.stderr, done.stderr
    return reports


def _pages(reports: Path) -> list[tuple[str, Path]]:
    pages = [(name, reports / name / "browser.html") for name in ANALYTICS]
    tenants = sorted((reports / "cdr-report" / "browser" / "tenants").glob("cdr-*.html"))
    assert tenants, "the CDR report wrote no tenant page into its run folder"
    pages.append(("tenant-page", tenants[0]))
    queues = sorted((reports / "queue-report" / "browser" / "tenants").glob("queue-*.html"))
    assert queues, "the queue report wrote no tenant page into its run folder"
    pages.append(("queue-tenant-page", queues[0]))
    pages.append(("index", reports / "index.html"))
    return pages


def test_reports_open_offline_without_code_and_within_the_page(demo_reports):
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=_chromium(),
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            for name, path in _pages(demo_reports):
                assert path.is_file(), f"{name}: {path} missing"
                page = browser.new_page(viewport={"width": 1280, "height": 900})
                outside: list[str] = []

                def refuse(route, outside=outside):
                    url = route.request.url
                    if url.startswith(("file:", "data:", "about:")):
                        route.continue_()
                    else:
                        outside.append(url)
                        route.abort()

                page.route("**/*", refuse)
                page.goto(path.as_uri(), wait_until="load")
                page.wait_for_timeout(300)
                page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
                text = page.inner_text("body")
                checks = {
                    "outside requests": outside,
                    "code cells": page.evaluate(
                        "() => document.querySelectorAll('.jp-CodeCell .jp-InputArea,"
                        " .jp-InputPrompt, .jp-OutputPrompt').length"
                    ),
                    "<Figure size text": "<Figure size" in text,
                    "tables as text": page.evaluate(TEXT_TABLE),
                    "horizontal overflow": page.evaluate(
                        "() => document.documentElement.scrollWidth"
                        " > document.documentElement.clientWidth"
                    ),
                    "NaT shown": bool(re.search(r"\bNaT\b", text)),
                    "broken images": page.evaluate(
                        "() => [...document.images].filter(i => !i.complete"
                        " || i.naturalWidth === 0).length"
                    ),
                }
                problems += [f"{name}: {what}: {got}" for what, got in checks.items() if got]
                if name in ANALYTICS:
                    if not page.locator(".mirta-summary").count():
                        problems.append(f"{name}: no summary block")
                    elif page.evaluate(
                        "() => { const s = document.querySelector('.mirta-summary');"
                        " return [...document.querySelectorAll('.jp-OutputArea-output')]"
                        ".findIndex(o => o.contains(s)) > 0; }"
                    ):
                        problems.append(f"{name}: the summary is not the first output")
                page.close()
        finally:
            browser.close()
    assert not problems, "\n".join(problems)


def test_index_shows_key_parameters_and_links_run_files(demo_reports):
    index = (demo_reports / "index.html").read_text(encoding="utf-8")
    assert "2026-10-01 to 2026-11-01" in index and "<b>tenants</b>" in index
    assert "<em>defaults</em>" not in index
    for href in re.findall(r'href="([^"]+)"', index):
        assert (demo_reports / href).exists(), href
    assert 'href="cdr-report/browser/tenants/' in index
    assert 'href="cdr-report/browser/exports/cdr-report.xlsx"' in index
    # nothing of this run went to the project's own reports folder
    assert not (ROOT / "reports" / "cdr-report" / "browser").exists()
