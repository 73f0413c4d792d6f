"""Canary secrets never reach an output notebook, HTML report, run record or the log."""

from __future__ import annotations

import pytest

CANARIES = {
    "MIRTA_FIXTURE_TOKEN": "canary-fixture-token-6b1f",  # referenced by the token_env parameter
    "MIRTA_SMTP_PASSWORD": "canary-smtp-password-93a0",  # secret-looking env variable
}
DB_PASSWORD = "canary-db-password-5e27"
DOTENV_SECRET = "canary-dotenv-apikey-c4d2"


@pytest.mark.parametrize("token_from", ["environment", "dotenv"])
def test_leaking_notebook_is_scrubbed_everywhere(scratch, mirta, token_from):
    db = scratch / "x.sqlite"
    env = {**CANARIES, "MIRTA_DB_URL": f"sqlite://ro:{DB_PASSWORD}@/{db}"}
    dotenv = f"MIRTA_OTHER_API_KEY={DOTENV_SECRET}\n"
    if token_from == "dotenv":  # found by the kernel although it runs in the notebook's folder
        dotenv += f"MIRTA_FIXTURE_TOKEN={env.pop('MIRTA_FIXTURE_TOKEN')}\n"
    (scratch / ".env").write_text(dotenv)
    # the fixture prints the token, the environment variable and the database URL when leak=true
    proc = mirta(
        "-v",
        "run",
        "nbs/demo/greeting.py",
        "-p",
        "leak",
        "true",
        "--reports",
        "reports",
        "--name",
        "canary",
        "--log-output",
        "--no-progress",
        env=env,
    )
    assert proc.returncode == 0, proc.stderr
    out = scratch / "reports" / "greeting"
    produced = {p.name: p.read_text() for p in out.iterdir()}
    produced["index.html"] = (scratch / "reports" / "index.html").read_text()
    produced["log"] = proc.stdout + proc.stderr
    assert set(produced) >= {"canary.ipynb", "canary.html", "canary.run.json", "index.html", "log"}
    secrets = [*CANARIES.values(), DB_PASSWORD, DOTENV_SECRET]
    leaks = {name: s for name, text in produced.items() for s in secrets if s in text}
    assert not leaks
    # the leaking cell really ran: its output is there, masked
    assert "token is ********" in produced["canary.ipynb"]
    assert "MIRTA_FIXTURE_TOKEN" in produced["canary.ipynb"]  # the reference is fine to show
    assert "database is sqlite://ro:********@/" in produced["canary.ipynb"]
    assert "token is ********" in produced["log"]
