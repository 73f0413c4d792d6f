"""Page 09 on this machine: the OS read from the real /etc/os-release picks an install plan, and
the certificate checks read real PEM files from a Certbot-shaped live folder.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[2] / "unit" / "runbooks"))
from install_replays import make_cert, pem

from mirtalib.runbook import LocalTarget, Verdict
from mirtalib.runbooks.installs import os_probe, parse_os
from mirtalib.runbooks.p09_installing_certbot import PLATFORMS, RUNBOOK, install_plan

pytestmark = pytest.mark.skipif(
    not Path("/etc/os-release").is_file(), reason="this machine has no /etc/os-release"
)


def test_this_machine_gets_a_plan():
    found = parse_os(os_probe(LocalTarget()))
    assert found.id and found.family in ("rhel", "debian", "other")
    if found.platform in PLATFORMS:
        assert install_plan(found.platform)
        check = next(
            s
            for s in RUNBOOK.steps(RUNBOOK.validate({"platform": found.platform}))
            if s.id == "os-release"
        )
        verdict, reason = check.expect(check.parse(check.probe(LocalTarget())))
        assert verdict is Verdict.PASS and found.pretty in reason


def test_certificates_from_a_live_folder(tmp_path):
    now = datetime.now(UTC).replace(tzinfo=None)
    ca = make_cert(
        ["Local ACME CA"], now - timedelta(days=30), now + timedelta(days=900), is_ca=True
    )
    names = {"good.example.net": 60, "soon.example.net": 3}
    for name, days in names.items():
        leaf, _ = make_cert([name], now - timedelta(days=30), now + timedelta(days=days), ca=ca)
        (tmp_path / name).mkdir()
        (tmp_path / name / "fullchain.pem").write_bytes(pem(leaf) + pem(ca[0]))
    values = RUNBOOK.validate(
        {"pbx_names": ",".join([*names, "missing.example.net"]), "live_dir": str(tmp_path)}
    )
    checks = {s.id: s for s in RUNBOOK.steps(values) if s.id.startswith("cert-")}
    target = LocalTarget()
    got = {sid: c.expect(c.parse(c.probe(target)))[0] for sid, c in checks.items()}
    assert got == {
        "cert-good-example-net": Verdict.PASS,
        "cert-soon-example-net": Verdict.FAIL,  # inside expiry_fail_days
        "cert-missing-example-net": Verdict.FAIL,
    }
