"""`mirta run` and `mirta report` on the fixture notebook, through the installed command."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import nbformat


def _outputs(path: Path) -> str:
    nb = nbformat.read(path, as_version=4)
    return "".join(
        "".join(out.get("text", "")) for cell in nb.cells for out in cell.get("outputs", [])
    )


def test_run_writes_notebook_html_record_and_index(scratch, mirta):
    proc = mirta(
        "run",
        "nbs/demo/greeting.py",
        "-p",
        "who",
        "bob",
        "-p",
        "tags",
        "[z, y]",
        "--reports",
        "reports",
        "--name",
        "r1",
        "--no-progress",
        env={"MIRTA_DB_URL": "demo"},  # the kernel gets mirta's environment
    )
    assert proc.returncode == 0, proc.stderr
    out = scratch / "reports" / "greeting"
    text = _outputs(out / "r1.ipynb")
    assert "hello bob #1\nhello bob #2\n" in text
    assert "['y', 'z'] 1.0" in text
    assert "working folder: demo" in text  # the kernel runs in the notebook's folder
    assert "database: demo PBX" in text
    html = (out / "r1.html").read_text()
    assert "hello bob #2" in html
    record = json.loads((out / "r1.run.json").read_text())
    assert record["status"] == "ok"
    assert record["parameters"] == {"who": "bob", "tags": ["z", "y"]}
    index = (scratch / "reports" / "index.html").read_text()
    assert 'href="greeting/r1.html"' in index
    assert "nbs/demo/greeting.py" in index


def test_parameter_files_merge_and_dash_p_wins(scratch, mirta):
    (scratch / "a.yaml").write_text("who: alice\ntimes: 1\n")
    (scratch / "b.yaml").write_text("times: 3\n")
    # the .env of the folder mirta runs in is the one the kernel reads (not the notebook's folder)
    (scratch / ".env").write_text(f"MIRTA_DB_URL=sqlite:///{scratch}/prod.sqlite\n")
    proc = mirta(
        "run",
        "nbs/demo/greeting.py",
        "-f",
        "a.yaml",
        "-f",
        "b.yaml",
        "-p",
        "times",
        "2",
        "--reports",
        "reports",
        "--name",
        "merged",
        "--no-progress",
    )
    assert proc.returncode == 0, proc.stderr
    text = _outputs(scratch / "reports" / "greeting" / "merged.ipynb")
    assert "hello alice #2\n" in text and "hello alice #3" not in text
    assert "database: configured" in text
    record = json.loads((scratch / "reports" / "greeting" / "merged.run.json").read_text())
    assert record["parameter_files"] == ["a.yaml", "b.yaml"]


def test_failing_cell_exits_non_zero_naming_the_cell(scratch, mirta):
    proc = mirta(
        "run",
        "nbs/demo/greeting.py",
        "-p",
        "fail",
        "true",
        "--reports",
        "reports",
        "--name",
        "bad",
        "--no-progress",
    )
    assert proc.returncode == 1
    assert (
        "cell 5 (In [5]: result = 1 / (0 if fail else 4)) raised ZeroDivisionError" in proc.stderr
    )
    out = scratch / "reports" / "greeting"
    assert "ZeroDivisionError" in (out / "bad.html").read_text()  # the HTML shows the failure
    assert json.loads((out / "bad.run.json").read_text())["status"] == "failed"
    assert "failed" in (scratch / "reports" / "index.html").read_text()


def test_unknown_parameter_is_an_error_and_nothing_runs(scratch, mirta):
    proc = mirta("run", "nbs/demo/greeting.py", "-p", "whom", "x", "--reports", "reports")
    assert proc.returncode == 2
    assert "unknown parameter(s) whom" in proc.stderr
    assert "valid parameters are: fail, leak, ratio, tags, times, token_env, who" in proc.stderr
    assert not list((scratch / "reports").iterdir())


def test_badly_typed_and_secret_parameters_are_refused(scratch, mirta):
    proc = mirta("run", "nbs/demo/greeting.py", "-p", "times", "many", "--reports", "reports")
    assert proc.returncode == 2
    assert "parameter times must be int, got str 'many'" in proc.stderr
    proc = mirta(
        "run", "nbs/demo/greeting.py", "-p", "smtp_password", "hunter22", "--reports", "reports"
    )
    assert proc.returncode == 2
    assert "look like secrets" in proc.stderr and "hunter22" not in proc.stderr


def test_missing_notebook_and_stray_argument(scratch, mirta):
    proc = mirta("run", "no-such-notebook", "--reports", "reports")
    assert proc.returncode == 2 and "no notebook called no-such-notebook" in proc.stderr
    proc = mirta("run", "nbs/demo/greeting.py", "extra", "--reports", "reports")
    assert proc.returncode == 2 and "-p NAME VALUE" in proc.stderr


def test_report_runs_every_notebook_and_writes_the_index(scratch, mirta):
    shutil.copy(scratch / "nbs" / "demo" / "greeting.py", scratch / "nbs" / "demo" / "broken.py")
    (scratch / "params").mkdir()
    (scratch / "params" / "broken.yaml").write_text("fail: true\n")
    proc = mirta(
        "report",
        "nbs/demo",
        "--params-dir",
        "params",
        "--reports",
        "reports",
        "--name",
        "nightly",
        "--no-progress",
    )
    assert proc.returncode == 1
    assert re.search(r"^broken +FAILED +[\d.]+ s +\S+broken/nightly\.html$", proc.stderr, re.M)
    assert "  cell 5" in proc.stderr
    assert re.search(r"^greeting +ok +[\d.]+ s ", proc.stdout, re.M)
    assert "1/2 notebooks ran" in proc.stdout and "Open the reports:" in proc.stdout
    index = (scratch / "reports" / "index.html").read_text()
    assert index.index("broken/nightly.html") < index.index("greeting/nightly.html")
    assert "params/broken.yaml" in index
    assert (scratch / "reports" / "greeting" / "nightly.html").is_file()


def test_report_with_a_bad_parameter_file_runs_nothing(scratch, mirta):
    (scratch / "params").mkdir()
    (scratch / "params" / "greeting.yaml").write_text("colour: red\n")
    proc = mirta("report", "nbs/demo", "--params-dir", "params", "--reports", "reports")
    assert proc.returncode == 2
    assert "unknown parameter(s) colour" in proc.stderr
    assert not (scratch / "reports" / "greeting").exists()


def test_list_shows_parameters_with_types_and_help(scratch, mirta):
    proc = mirta("list", "nbs", "--json")
    assert proc.returncode == 0, proc.stderr
    (item,) = json.loads(proc.stdout)
    assert item["notebook"].endswith("nbs/demo/greeting.py")
    assert item["title"] == "Greeting (test fixture)"
    assert {"name": "times", "type": "int", "default": "2", "help": "how many greetings"} in item[
        "parameters"
    ]
    text = mirta("list", "nbs").stdout
    assert 'who: str = "operator"  # whom to greet' in text
