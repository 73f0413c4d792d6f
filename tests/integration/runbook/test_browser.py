"""JupyterLab served on 127.0.0.1 with a token, driven by a real headless Chromium (Playwright):
run the page-16 runbook notebook, change a parameter in the form, press Plan and see the diff."""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[3]
NOTEBOOK = ROOT / "notebooks" / "runbooks" / "16-tcp-port-exhaustion.ipynb"
CHROMIUM = "/usr/bin/chromium"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


ARTIFACTS = ROOT / "test-artifacts"


@pytest.fixture
def lab(tmp_path):
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed (apt-get install chromium)")
    work = tmp_path / "lab"
    work.mkdir()
    shutil.copy(NOTEBOOK, work / NOTEBOOK.name)
    token = secrets.token_hex(16)
    port = free_port()
    env = dict(
        os.environ,
        MIRTA_REPORTS=str(tmp_path / "reports"),
        JUPYTER_CONFIG_DIR=str(tmp_path / "jupyter-config"),
        JUPYTER_RUNTIME_DIR=str(tmp_path / "jupyter-runtime"),
    )
    log = (tmp_path / "lab.log").open("wb")
    proc = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "jupyter"),
            "lab",
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={port}",
            f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={work}",
            "--LabApp.expose_app_in_browser=True",
            "--LabApp.news_url=None",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            "--LabServerApp.extension_manager=readonly",
            *(["--allow-root"] if os.geteuid() == 0 else []),
        ],
        cwd=work,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2):
                break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError((tmp_path / "lab.log").read_text()[-3000:]) from None
            time.sleep(0.3)
    try:
        yield base, token
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def test_plan_button_shows_the_diff(lab):
    from playwright.sync_api import sync_playwright

    base, token = lab
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        try:
            page.goto(f"{base}/lab/tree/{NOTEBOOK.name}?token={token}")
            page.wait_for_selector(".jp-Notebook", timeout=60_000)
            page.wait_for_function(
                "() => window.jupyterapp && window.jupyterapp.shell.currentWidget"
                " && window.jupyterapp.shell.currentWidget.sessionContext"
                " && window.jupyterapp.shell.currentWidget.sessionContext.session"
                " && window.jupyterapp.shell.currentWidget.sessionContext.session.kernel",
                timeout=60_000,
            )
            page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
            field = page.get_by_role("spinbutton", name="fin_timeout")
            field.wait_for(timeout=120_000)
            field.fill("20")
            field.press("Enter")
            page.locator(".jupyter-widgets button", has_text="Plan").click()
            diff = page.locator(".mirta-diff", has_text="net.ipv4.tcp_fin_timeout = 20").first
            diff.wait_for(timeout=60_000)
            diff.scroll_into_view_if_needed()
            page.screenshot(path=str(ARTIFACTS / "p16-plan-in-jupyterlab.png"), full_page=False)
            assert page.locator(".jupyter-widgets", has_text="PLAN (nothing was changed)").count()
            assert page.locator(".jupyter-widgets button", has_text="Apply").first.is_disabled()
        except Exception:
            page.screenshot(path=str(ARTIFACTS / "p16-plan-in-jupyterlab-FAILED.png"))
            raise
        finally:
            browser.close()
