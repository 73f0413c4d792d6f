"""Runbook notebooks 01, 05, 06 run in apply mode on the demo replay through `mirta run`, with
canary secrets: the secrets are written (the apply reports show the masked lines) but no notebook,
HTML report, run record, journal file or log contains them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[3]
MIRTA = Path(sys.executable).with_name("mirta")
CANARIES = {
    "MIRTA_OPENAIGW_DB_PASSWORD": "canary-nb-gwdb-0a9b8c7d",
    "MIRTA_OPENAI_API_KEY": "canary-nb-openai-1b2c3d4e",
    "MIRTA_GOOGLE_TTS_API_KEY": "canary-nb-google-5f6a7b8c",
    "MIRTA_AMIROUTER_DB_PASSWORD": "canary-nb-ardb-9d8e7f6a",
    "MIRTA_AMIROUTER_KEYSTORE_PASSWORD": "canary-nb-keystore-2c3d4e5f",
}
PAGES = {
    "01-activating-openaigateway": "DB_PASSWORD=********",
    "05-using-the-generative-artificial-intelligence-talking-with-chatgpt": (
        "OPENAI_API_KEY=********"
    ),
    "06-activating-the-switchboard": "server.ssl.key-store-password=********",
}


@pytest.mark.parametrize("stem", sorted(PAGES))
def test_apply_notebook_keeps_canaries_out_of_every_output(tmp_path, stem):
    reports = tmp_path / "reports"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MIRTA_")}
    env.update(CANARIES, MIRTA_REPORTS=str(reports))
    proc = subprocess.run(
        [str(MIRTA), "run", str(ROOT / "notebooks" / "runbooks" / f"{stem}.py"),
         "-p", "mode", "apply", "-p", "confirm", "true",
         "--reports", str(reports), "--name", "canary", "--log-output", "--no-progress"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    produced = {
        str(p.relative_to(reports)): p.read_text() for p in reports.rglob("*") if p.is_file()
    }
    produced["log"] = proc.stdout + proc.stderr
    assert any("journal/" in name for name in produced)  # <notebook>/<run>/journal/
    assert f"{stem}/canary.ipynb" in produced
    leaks = {name: s for name, text in produced.items() for s in CANARIES.values() if s in text}
    assert not leaks
    assert PAGES[stem] in produced[f"{stem}/canary.ipynb"]  # apply really wrote the secret line
