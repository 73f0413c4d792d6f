"""The runbook notebooks whose own cells go beyond the driver (open_page, plan, finish), run
headless in plan mode from their ``.py`` sources (mirtalib.nbrun, papermill):

* on a plain loopback sshd of this host (no Asterisk, no MiRTA, MIRTA_DB_URL unset) each ends
  without an error cell (a plan's disagreements end in the WARNING SUMMARY; a missing program
  or database is a line of the cell that needed it) and shows no value of the demo PBX;
* on their ``replay:`` demo targets with MIRTA_DB_URL unset each prints exactly what its committed
  notebook (run by ``mirta regen`` with MIRTA_DB_URL=demo) prints: its cells read the database as
  its runbook does.

The driver-only notebooks are covered by the every-plan engine tests (test_every_plan.py).
"""

from __future__ import annotations

import sys
from pathlib import Path

import jupytext
import nbformat
import pytest

sys.path.insert(0, str(Path(__file__).parent))

from everyplan import SHORT_SAMPLING

from mirtalib.nbrun import run_notebook
from mirtalib.nbrun.discover import NOTEBOOKS_DIR

RUNBOOKS = NOTEBOOKS_DIR / "runbooks"

#: notebooks with cells of their own between the driver's (checked below against the sources)
WITH_OWN_CELLS = (
    "04", "06", "07", "08", "09", "10", "11", "12", "13", "14", "15", "17", "18", "19", "20",
    "21", "22", "23", "24", "25", "26", "27", "28", "29", "30", "31", "32", "33", "34", "35",
    "36", "37", "39", "40", "42", "43", "44", "45",
)  # fmt: skip

#: values of the demo PBX's database and estate (its phone inventory: RPS server names, MACs);
#: a real target's notebook never shows one that its own source (parameter defaults,
#: explanations) does not hold
DEMO_VALUES = (
    "10.20.0.11", "10.20.0.12", "srv01", "srv02", "ACME", "ROSSI", "DEVEL",
    "mirta-srv01", "mirta-srv02", "805ec01a2b",
)  # fmt: skip


def _source(number: str) -> Path:
    (path,) = RUNBOOKS.glob(f"{number}-*.py")
    return path


def _own_cells(path: Path) -> list[str]:
    """Code cells that are not the parameters cell nor a driver cell (imports of open_page and
    the page's RUNBOOK only, or page.plan() / page.finish())."""
    own = []
    for cell in jupytext.read(path).cells:
        if cell.cell_type != "code" or "parameters" in cell.metadata.get("tags", []):
            continue
        src = cell.source.strip()
        if src in ("page.plan()", "page.finish()"):
            continue
        lines = [ln for ln in src.splitlines() if ln.strip()]
        if (
            lines
            and lines[-1] == "page = open_page(RUNBOOK, globals())"
            and all(
                ln.startswith(
                    ("from mirtalib.runbook.page import open_page", "from mirtalib.runbooks.")
                )
                and ln.endswith((" import open_page", " import RUNBOOK"))
                for ln in lines[:-1]
            )
        ):
            continue
        own.append(src)
    return own


def test_the_list_is_the_notebooks_with_cells_of_their_own():
    numbers = sorted(p.name[:2] for p in RUNBOOKS.glob("[0-9][0-9]-*.py"))
    assert len(numbers) == 46
    with_own = [n for n in numbers if _own_cells(_source(n))]
    assert with_own == list(WITH_OWN_CELLS), "update WITH_OWN_CELLS"


def _outputs(path: Path) -> tuple[str, list[str]]:
    """The text every cell printed, and the error outputs (ename: evalue)."""
    nb = nbformat.read(path, as_version=4)
    texts, errors = [], []
    for cell in nb.cells:
        shown = ""  # stream chunks joined as printed (their split varies between runs)
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                errors.append(f"{out['ename']}: {out['evalue']}")
            shown += "".join(out.get("text", "")) + "".join(
                out.get("data", {}).get("text/plain", "")
            )
        texts.append(shown)
    return "\n".join(texts), errors


def _run(number: str, reports: Path, run: str, cli: list[tuple[str, str]]):
    if cli:  # a real target: sample briefly (a replay answers the recorded sampling only)
        cli = cli + [(k, str(v)) for k, v in SHORT_SAMPLING.get(int(number), {}).items()]
    return run_notebook(_source(number), cli=cli, reports_dir=reports, run=run, progress=False)


@pytest.fixture
def quiet_env(monkeypatch, tmp_path):
    monkeypatch.delenv("MIRTA_DB_URL", raising=False)  # no database configured
    monkeypatch.setenv("MIRTA_DOTENV", "/dev/null")
    monkeypatch.setenv("MIRTA_REPORTS", str(tmp_path / "reports"))
    return tmp_path / "reports"


@pytest.mark.parametrize("number", WITH_OWN_CELLS)
def test_plan_on_a_plain_host_ends_without_error_and_without_demo_values(number, sshd, quiet_env):
    cli = [
        ("targets", sshd.url),
        ("ssh_key_path", str(sshd.client_key)),
        ("known_hosts", str(sshd.known_hosts)),
    ]
    result = _run(number, quiet_env, "sshd", cli)
    assert result.ok, result.describe_problem()
    text, errors = _outputs(result.ipynb)
    assert not errors
    assert "WARNING SUMMARY" in text or "plan: no disagreement on" in text
    source = _source(number).read_text()
    shown = [v for v in DEMO_VALUES if v in text and v not in source]
    assert not shown, f"demo values on a real target: {shown}"


def _normalized(text: str, reports: Path) -> str:
    return text.replace(str(reports.resolve()), "<reports>").replace(str(reports), "<reports>")


@pytest.mark.parametrize("number", WITH_OWN_CELLS)
def test_replay_targets_without_a_database_read_the_demo_as_with_demo_set(
    number, quiet_env, monkeypatch
):
    """Compared with the committed notebook, which `mirta regen` ran with MIRTA_DB_URL=demo (the
    notebook contract test checks that it matches its source)."""
    # the rehearsal's backups live in the replays' memory: the default folder, as in `regen`
    monkeypatch.delenv("MIRTA_BACKUP_DIR", raising=False)
    unset = _run(number, quiet_env, "unset", [])
    assert unset.ok, unset.describe_problem()
    got, errors = _outputs(unset.ipynb)
    want, _ = _outputs(_source(number).with_suffix(".ipynb"))
    assert not errors
    assert "no database configured" not in got
    assert _normalized(got, quiet_env) == want
