"""Runs writing into one reports folder at the same time: no crash, no torn file, no lost run.

Real processes race: writers of run records and of the index (``multiprocessing``, many rounds)
while a reader checks every index it sees is whole, and ``mirta run`` / ``mirta report`` twice at
once.
"""

from __future__ import annotations

import json
import multiprocessing
import subprocess
import time
from pathlib import Path

import pytest

from mirtalib.errors import ParameterError
from mirtalib.nbrun import collect_runs, write_index
from mirtalib.nbrun.outputs import atomic_write_text, claim_run

from .conftest import MIRTA

ROUNDS = 60


def _writer(reports: str, who: str, rounds: int, errors) -> None:
    root = Path(reports)
    try:
        for i in range(rounds):
            record = {"run": f"{who}-{i:03d}", "name": "nb", "group": "g", "status": "ok"}
            record["padding"] = "x" * 20_000  # a large file: a torn write would show
            atomic_write_text(root / "nb" / f"{who}-{i:03d}.run.json", json.dumps(record))
            write_index(root)
    except Exception as exc:
        errors.put(f"{who}: {type(exc).__name__}: {exc}")


def test_index_writers_racing_never_fail_tear_or_lose_a_run(tmp_path):
    ctx = multiprocessing.get_context("fork")
    errors = ctx.Queue()
    procs = [ctx.Process(target=_writer, args=(str(tmp_path), who, ROUNDS, errors)) for who in "ab"]
    for p in procs:
        p.start()
    index, seen = tmp_path / "index.html", 0
    while any(p.is_alive() for p in procs):
        if index.exists():
            text = index.read_text(encoding="utf-8")
            assert text.rstrip().endswith("</html>"), "torn index.html"
            seen += 1
    for p in procs:
        p.join()
        assert p.exitcode == 0
    problems = []
    while not errors.empty():
        problems.append(errors.get())
    assert not problems
    assert seen > 0
    text = index.read_text(encoding="utf-8")
    missing = [f"{w}-{i:03d}" for w in "ab" for i in range(ROUNDS) if f"{w}-{i:03d}" not in text]
    assert not missing, f"runs missing from the last index: {missing[:5]}"
    assert not list(tmp_path.rglob("*.tmp")), "temporary files left behind"
    assert len(collect_runs(tmp_path)) == 2 * ROUNDS


def test_claim_refuses_a_given_name_in_use_and_suffixes_a_default_one(tmp_path):
    folders = [tmp_path / "a", tmp_path / "b"]
    with claim_run(folders, "r1", explicit=True) as name:
        assert name == "r1"
        with pytest.raises(ParameterError, match="'r1' is already in use"):
            with claim_run(folders[1:], "r1", explicit=True):
                pass
        with claim_run(folders[1:], "r1", explicit=False) as other:
            assert other == "r1-2"
    (tmp_path / "b" / "r1.html").write_text("done")  # a finished run in one of the folders
    with claim_run(folders, "r1", explicit=False) as name:
        assert name == "r1-2"
    with pytest.raises(ParameterError):
        with claim_run(folders, "r1", explicit=True):
            pass
    assert not list(tmp_path.rglob(".*.claim")), "claims are released"


def _start(scratch: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(MIRTA), *args, "--reports", "reports", "--no-progress"],
        cwd=scratch,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )


def _finish(procs) -> list[tuple[int, str]]:
    out = []
    deadline = time.monotonic() + 300
    for p in procs:
        _stdout, stderr = p.communicate(timeout=max(1, deadline - time.monotonic()))
        out.append((p.returncode, stderr))
    return out


def test_two_runs_with_the_same_name_at_once_one_is_refused(scratch):
    procs = [_start(scratch, "run", "nbs/demo/greeting.py", "--name", "same") for _ in range(2)]
    results = sorted(_finish(procs))
    assert [code for code, _ in results] == [0, 2], results
    assert "'same' is already in use" in results[1][1]
    record = json.loads((scratch / "reports" / "greeting" / "same.run.json").read_text())
    assert record["status"] == "ok"


def test_two_runs_and_two_reports_at_once_each_keep_their_own_run(scratch):
    procs = [_start(scratch, "run", "nbs/demo/greeting.py") for _ in range(2)]
    procs += [_start(scratch, "report", "nbs/demo") for _ in range(2)]
    results = _finish(procs)
    assert [code for code, _ in results] == [0, 0, 0, 0], results
    records = sorted((scratch / "reports" / "greeting").glob("*.run.json"))
    assert len(records) == 4, records
    runs = {json.loads(r.read_text())["run"] for r in records}
    assert len(runs) == 4
    for run in runs:
        assert (scratch / "reports" / "greeting" / f"{run}.html").is_file()
    index = (scratch / "reports" / "index.html").read_text()
    assert all(f'greeting/{run}.html"' in index for run in runs)
    assert not list((scratch / "reports").rglob("*.tmp"))
    assert not list((scratch / "reports").rglob(".*.claim"))
