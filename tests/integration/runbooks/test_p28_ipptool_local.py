"""Page 28 on this machine: the real ipptool found by the runbook and sent to loopback ports."""

from __future__ import annotations

import shutil
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from mirtalib.asterisk.ipptool import parse_ipptool
from mirtalib.runbook import Status
from mirtalib.runbooks.p28_upgrading_cups_to_include_ipp_support import RUNBOOK, printer_command

pytestmark = pytest.mark.skipif(
    shutil.which("ipptool") is None, reason="ipptool missing (Debian package cups-ipp-utils)"
)


class _NotIpp(BaseHTTPRequestHandler):
    def do_POST(self):
        self.send_response(404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def web_port():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _NotIpp)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.server_address[1]
    httpd.shutdown()
    httpd.server_close()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _local_platform() -> str:
    from mirtalib.asterisk.osrelease import parse_os_release

    with open("/etc/os-release", encoding="utf-8") as fh:
        return parse_os_release(fh.read()).platform


def test_plan_finds_the_real_ipptool(tmp_path):
    rb = RUNBOOK.open("local", journal=tmp_path / "j", platform=_local_platform(), printer_uri="")
    plan = {r.step_id: r for r in rb.plan().nodes[0].results}
    assert plan["os-release"].status is Status.PASS
    assert plan["ipptool-before"].status is Status.PASS
    assert shutil.which("ipptool") in plan["ipptool-before"].reason
    assert plan["install-ipptool"].status is Status.OK  # guard passed: nothing to install


def test_unreachable_printer_fails_with_the_port_forward_hint(tmp_path):
    port = _closed_port()
    rb = RUNBOOK.open(
        "local",
        journal=tmp_path / "j",
        platform=_local_platform(),
        printer_uri=f"ipp://127.0.0.1:{port}/ipp/print",
        ipp_timeout=5,
    )
    verify = {r.step_id: r for r in rb.verify().nodes[0].results}
    assert verify["ipptool-after"].status is Status.PASS
    assert verify["printer-ipp"].status is Status.FAIL
    assert "Unable to connect" in verify["printer-ipp"].reason
    assert "port forward" in verify["printer-ipp"].reason


def test_a_web_server_is_not_a_printer(web_port):
    import subprocess

    out = subprocess.run(
        printer_command(f"ipp://127.0.0.1:{web_port}/ipp/print", 5),
        shell=True,
        capture_output=True,
        text=True,
    )
    run = parse_ipptool(out.stdout)
    assert out.returncode == 1
    assert [r for _, r in run.tests] == ["FAIL"]
    assert any("IPP request failed" in e for e in run.errors)
    assert "printer-uri" not in run.attributes  # the request's own attributes are not the answer
    assert not run.rejects
