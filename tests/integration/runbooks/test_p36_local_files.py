"""Page 36 on this machine: real files in a temporary tree, real ``grep -P``, real ``ip``.

The same token rule runs twice: in Python (the file edits) and as a PCRE in GNU grep (the search
for files not listed). Both must agree on what is ``10.0.0.1`` and what is not.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from mirtalib.runbook import LocalTarget, Status
from mirtalib.runbooks.hostmove import grep_command, unlisted_files
from mirtalib.runbooks.p36_changing_server_ip import RUNBOOK

pytestmark = pytest.mark.skipif(
    shutil.which("grep") is None or shutil.which("ip") is None,
    reason="needs GNU grep and iproute2's ip",
)

FILES = {
    "etc/hosts": "127.0.0.1 localhost\n10.0.0.1 pbx1\n10.0.0.10 wallboard\n",
    "etc/asterisk/manager.conf": "[mirta]\nsecret = Wallb0ardSecret9\n"
    "permit=10.0.0.1/255.255.255.255\npermit=10.0.0.10/255.255.255.255\n",
    "etc/odbc.ini": "[MySQL-asterisk]\nServer = 110.0.0.1\n",
    "etc/sysconfig/iptables": "-A INPUT -s 10.0.0.1/32 -p tcp --dport 5038 -j ACCEPT\n",
    "etc/other.conf": "backup=10.0.0.1.5 and 10.0.0.100\n",
}


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    for rel, text in FILES.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    os.chmod(tmp_path / "etc/asterisk/manager.conf", 0o640)
    return tmp_path


def _steps(report):
    return {r.step_id: r for r in report.nodes[0].results}


def test_grep_and_python_agree_on_tokens(tree):
    listed = [str(tree / "etc/hosts")]
    out = LocalTarget().run(grep_command("10.0.0.1", "ip", [str(tree / "etc")]))
    assert out.exit_code == 0
    found = sorted(Path(p).relative_to(tree).as_posix() for p in unlisted_files(listed)(out.stdout))
    # odbc.ini (110.0.0.1) and other.conf (10.0.0.1.5, 10.0.0.100) hold no token
    assert found == ["etc/asterisk/manager.conf", "etc/sysconfig/iptables"]


def test_plan_apply_verify_rollback_on_real_files(tree, tmp_path):
    files = ",".join(
        str(tree / p) for p in ("etc/hosts", "etc/asterisk/manager.conf", "etc/odbc.ini")
    )
    rb = RUNBOOK.open(
        "local",
        journal=tmp_path / "journal",
        old_ip="10.0.0.1",
        new_ip="10.0.0.2",
        files=files,
        search_dirs=str(tree / "etc"),
    )
    plan = _steps(rb.plan())
    assert "10.0.0.1 found 2 time(s)" in plan["occurrences-before"].reason
    assert plan["unlisted-files"].status is Status.WARN
    assert "iptables" in plan["unlisted-files"].reason
    assert plan["edit-03"].status is Status.OK  # 110.0.0.1 is another address
    assert "Wallb0ardSecret9" not in plan["edit-02"].diff  # masked next to the replaced line
    assert (tree / "etc/hosts").read_text() == FILES["etc/hosts"]  # plan wrote nothing

    applied = rb.apply(confirm=True)
    assert not applied.failed
    assert (
        tree / "etc/hosts"
    ).read_text() == "127.0.0.1 localhost\n10.0.0.2 pbx1\n10.0.0.10 wallboard\n"
    manager = tree / "etc/asterisk/manager.conf"
    assert "permit=10.0.0.10/255.255.255.255" in manager.read_text()
    assert oct(manager.stat().st_mode & 0o777) == "0o640"
    backup = Path(rb.backup_dir, applied.run_id, str(tree / "etc/hosts").lstrip("/"))
    assert backup.read_text() == FILES["etc/hosts"]
    assert not [p for p in (tree / "etc").iterdir() if "mirta" in p.name]  # none in /etc

    verify = _steps(rb.verify())
    assert verify["occurrences-after"].status is Status.PASS
    assert verify["address-after"].status is Status.PASS  # this machine never held 10.0.0.1

    rb.rollback(confirm=True)
    for rel in ("etc/hosts", "etc/asterisk/manager.conf"):
        assert (tree / rel).read_text() == FILES[rel]
