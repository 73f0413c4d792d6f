"""A secret typed into a parameter value is refused before anything runs or is written (exit 2).

Each case passes a unique random canary through one path (``-p``, ``-f`` file, ``mirta report``
``--params-dir``), then every file under the reports folder, stdout and stderr (the log, ``-v``)
are searched for it.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest


def _canary() -> str:
    return "cnry" + secrets.token_hex(8)


def _leaks(root: Path, proc, canary: str) -> list[str]:
    found = [str(p) for p in root.rglob("*") if p.is_file() and canary in p.read_text("utf-8")]
    found += [name for name in ("stdout", "stderr") if canary in getattr(proc, name)]
    return found


def _refused(proc, scratch: Path, canary: str, name: str) -> None:
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert f"{name} " in proc.stderr and "not shown" in proc.stderr, proc.stderr
    assert not _leaks(scratch / "reports", proc, canary)
    assert not [p for p in (scratch / "reports").rglob("*")], "something was written"


CASES = {
    "db-url": ("who", "mysql+pymysql://u:{c}@h/db", {}),
    "smtp-url": ("who", "smtp://relay-user:{c}@relay.example.com:587", {}),
    "https-url-in-list": ("tags", '[a, "https://u:{c}@x.example.com/p"]', {}),
    "password-in-env-ref": ("token_env", "{c}!", {}),
    "password-in-env-ref-with-space": ("token_env", "{c} ", {}),
    "valid-name-but-env-secret": ("token_env", "{c}", {"MIRTA_SMTP_PASSWORD": "{c}"}),
    "equal-to-env-secret": ("who", "{c}", {"MIRTA_SMTP_PASSWORD": "{c}"}),
    "contains-env-secret": ("who", "pw={c};", {"GITHUB_TOKEN": "{c}"}),
    "equal-to-referenced-variable": ("who", "{c}", {"MIRTA_FIXTURE_TOKEN": "{c}"}),
    "equal-to-db-url-password": ("who", "{c}", {"MIRTA_DB_URL": "mysql+pymysql://u:{c}@h/db"}),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_secret_in_a_dash_p_value_is_refused_and_written_nowhere(scratch, mirta, case):
    name, value, env = CASES[case]
    canary = _canary()
    env = {k: v.format(c=canary) for k, v in env.items()}
    proc = mirta(
        "-v",
        "run",
        "nbs/demo/greeting.py",
        "-p",
        name,
        value.format(c=canary),
        "--reports",
        "reports",
        "--no-progress",
        env=env,
    )
    _refused(proc, scratch, canary, name)


def test_secret_in_a_parameter_file_is_refused(scratch, mirta):
    canary = _canary()
    (scratch / "p.yaml").write_text(f"who: mysql+pymysql://u:{canary}@h/db\n")
    proc = mirta("-v", "run", "nbs/demo/greeting.py", "-f", "p.yaml", "--reports", "reports")
    _refused(proc, scratch, canary, "who")


def test_secret_in_a_report_parameter_folder_is_refused(scratch, mirta):
    canary = _canary()
    (scratch / "params").mkdir()
    (scratch / "params" / "greeting.yaml").write_text(f"token_env: '{canary} x'\n")
    proc = mirta("-v", "report", "nbs/demo", "--params-dir", "params", "--reports", "reports")
    _refused(proc, scratch, canary, "token_env")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("source", "mysql+pymysql://u:{c}@h/db"),
        ("smtp_password_env", "{c}!"),
        ("source", "env:{c}!"),
    ],
)
def test_cdr_report_refuses_the_issue_examples(scratch, mirta, name, value):
    canary = _canary()
    proc = mirta(
        "-v", "run", "cdr-report", "-p", name, value.format(c=canary), "--reports", "reports"
    )
    _refused(proc, scratch, canary, name)


def test_harmless_look_alikes_still_run(scratch, mirta):
    """A port and path with '@', a short env secret and a variable name are not secrets."""
    proc = mirta(
        "run",
        "nbs/demo/greeting.py",
        "-p",
        "who",
        "https://host.example.com:8443/users/@me",
        "-p",
        "tags",
        "[abc, MIRTA_OTHER]",
        "--reports",
        "reports",
        "--name",
        "ok",
        "--no-progress",
        env={"MIRTA_SMTP_PASSWORD": "abc"},  # shorter than 4: too ambiguous to refuse
    )
    assert proc.returncode == 0, proc.stderr
    assert (scratch / "reports" / "greeting" / "ok.run.json").is_file()
