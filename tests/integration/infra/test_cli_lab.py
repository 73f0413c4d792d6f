"""`mirta lab` serves JupyterLab on the notebooks folder, on loopback, passing extra options on."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from mirtalib.nbrun.discover import NOTEBOOKS_DIR

MIRTA = Path(sys.executable).with_name("mirta")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_lab_serves_the_notebooks_folder(tmp_path):
    port = _free_port()
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp_path), "JUPYTER_CONFIG_DIR": str(tmp_path)}
    log = (tmp_path / "lab.log").open("w")
    proc = subprocess.Popen(
        [
            str(MIRTA),
            "lab",
            "--no-browser",
            "--port",
            str(port),
            "--IdentityProvider.token=t0k3n-test",
            *(["--allow-root"] if os.geteuid() == 0 else []),  # JupyterLab refuses root otherwise
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        url = f"http://127.0.0.1:{port}/api/contents?token=t0k3n-test"
        deadline = time.monotonic() + 120
        listing = None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    listing = json.load(response)
                break
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.5)
        assert listing is not None, (tmp_path / "lab.log").read_text()[-2000:]
        names = {item["name"] for item in listing["content"]}
        assert names == {p.name for p in NOTEBOOKS_DIR.iterdir() if not p.name.startswith(".")}
        assert "START.ipynb" in names
        # each notebook appears once: the .ipynb, the jupytext .py source is hidden
        for group in ("analytics", "runbooks"):
            with urllib.request.urlopen(
                f"http://127.0.0.1:{port}/api/contents/{group}?token=t0k3n-test", timeout=10
            ) as response:
                shown = [item["name"] for item in json.load(response)["content"]]
            expected = sorted(p.name for p in (NOTEBOOKS_DIR / group).glob("*.ipynb"))
            assert sorted(shown) == expected
            assert not [n for n in shown if n.endswith(".py")]
        # the lab opens on the start page
        opener = urllib.request.build_opener(_NoRedirect)
        try:
            opener.open(f"http://127.0.0.1:{port}/?token=t0k3n-test", timeout=10)
            raise AssertionError("no redirect from /")
        except urllib.error.HTTPError as exc:
            assert exc.code in (301, 302, 303, 307)
            assert exc.headers["Location"].split("?")[0].endswith("/lab/tree/START.ipynb")
        # the token passed through as an extra option is enforced
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/contents", timeout=5)
            raise AssertionError("JupyterLab answered without the token")
        except urllib.error.HTTPError as exc:
            assert exc.code == 403
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()
