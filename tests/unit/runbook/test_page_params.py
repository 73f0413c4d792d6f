"""One source for each parameter: Param constraints, the generated parameters cells, the
parameter files of the runbook notebooks, and the shared driver (run_page / open_page)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from mirtalib.errors import ConfirmationRequired, ParameterError
from mirtalib.nbrun.discover import NOTEBOOKS_DIR, PARAMETERS_DIR
from mirtalib.nbrun.params import load_parameter_files
from mirtalib.runbook import Param, VerificationFailed
from mirtalib.runbook.cell import page_of, parameter_line, parameters_cell, source_cell, sync_source
from mirtalib.runbook.model import validate_values
from mirtalib.runbook.page import JUPYTER_SESSION_ENV, notebook_params, open_page, run_page
from mirtalib.runbooks import available
from mirtalib.runbooks.p16_tcp_port_exhaustion import RUNBOOK as P16

SOURCES = sorted((NOTEBOOKS_DIR / "runbooks").glob("[0-9][0-9]-*.py"))
FILES = [PARAMETERS_DIR / kind / f"{s.stem}.yaml" for s in SOURCES for kind in ("demo", "examples")]


def _rel(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


# -- Param's declared constraints -------------------------------------------------------------


@pytest.mark.parametrize(
    ("param", "value", "message"),
    [
        (Param("fin_timeout", 30, between=(1, 120)), 0, r"fin_timeout=0 is outside 1-120"),
        (Param("share", 0.5, between=(0.2, 10.0)), 60, r"share=60.0 is outside 0.2-10"),
        (Param("tool", "ss", choices=("ss", "netstat")), "lsof", r"'lsof' is not one of"),
        (Param("ami_port", 5038, kind="port"), 70000, r"ami_port=70000: is outside 1-65535"),
        (Param("conf", "/etc/x", kind="path"), "etc/x", r"conf='etc/x': must be an absolute"),
        (Param("key", "", kind="path", optional=True), "rel/key", r"must be an absolute path"),
        (Param("names", "a.example", items="hostname"), " , ", r"names=' , ' lists nothing"),
        (Param("names", "a.example", items="hostname"), "a.example,b_x", r"names='b_x'"),
        (Param("tenant", "DEVEL", kind="tenant"), "devel", r"tenant='devel': is not a tenant"),
        (Param("n", 1), True, r"n=True is not a int"),
    ],
)
def test_a_declared_constraint_refuses_with_the_name_value_and_what_is_allowed(
    param, value, message
):
    with pytest.raises(ParameterError, match=message):
        param.coerce(value)


def test_declared_constraints_normalize_and_allow_empty_when_optional():
    assert Param("key", "", kind="path", optional=True).coerce("") == ""
    assert Param("key", "", kind="path", optional=True).coerce("/a/../b") == "/b"
    assert Param("names", "x.y", items="hostname").coerce(" A.example , b.ex ") == "a.example,b.ex"
    assert Param("peers", "", items="extension", optional=True).coerce("") == ""
    assert Param("ttl", 60, between=(60, 600)).coerce("600") == 600
    custom = Param("code", "*97", kind=lambda v, name: v.removeprefix("*"))
    assert custom.coerce("*98") == "98"
    with pytest.raises(ParameterError, match="unknown kind 'ports'"):
        Param("p", 1, kind="ports")


def test_the_parameters_cell_line_says_the_range_and_refuses_what_papermill_skips():
    assert parameter_line(Param("t", 30, "timeout in seconds", between=(1, 120))) == (
        "t: int = 30  # timeout in seconds; 1-120"
    )
    assert parameter_line(Param("s", "ss", "ss or netstat", choices=("ss", "netstat"))) == (
        's: str = "ss"  # ss or netstat'
    )
    with pytest.raises(ParameterError, match="hide it from papermill"):
        parameter_line(Param("cipher", "", "cipher= of the transport"))


# -- every page: its cell, its parameter files -------------------------------------------------


def test_every_page_has_a_notebook_source():
    assert sorted(int(s.name[:2]) for s in SOURCES) == sorted(available())


@pytest.mark.parametrize("source", SOURCES, ids=lambda s: s.stem[:2])
def test_the_committed_parameters_cell_is_the_one_generated_from_the_page(source):
    assert source_cell(source.read_text()) == parameters_cell(page_of(source)), (
        f"{source.name}: its parameters cell is not the page's; run "
        "`python scripts/sync_parameters_cells.py` (then `mirta regen` the notebook)"
    )


@pytest.mark.parametrize("path", FILES, ids=_rel)
def test_a_runbook_parameter_file_uses_declared_parameters_with_valid_values(path):
    assert path.is_file(), f"missing {_rel(path)}"
    values = load_parameter_files([path])
    params = notebook_params(page_of(path.with_suffix(".py")))
    unknown = sorted(set(values) - {p.name for p in params})
    assert not unknown, f"{_rel(path)}: not parameters of the page: {unknown}"
    try:
        validate_values(params, values)  # ParameterError names the value at fault
    except ParameterError as exc:
        # a production template names files of the operator's machine (page 24's inventory)
        if not (path.parent.name == "examples" and str(exc).endswith("file not found")):
            raise


def test_sync_rewrites_only_the_parameters_cell(tmp_path):
    source = tmp_path / "16-tcp-port-exhaustion.py"
    text = (NOTEBOOKS_DIR / "runbooks" / source.name).read_text()
    assert not sync_source_copy(source, text)
    stale = text.replace("fin_timeout: int = 30", "fin_timeout: int = 45")
    assert sync_source_copy(source, stale)
    assert source.read_text() == text


def sync_source_copy(path: Path, text: str) -> bool:
    path.write_text(text)
    return sync_source(path)


# -- the driver --------------------------------------------------------------------------------


@pytest.fixture
def namespace(tmp_path, monkeypatch):
    monkeypatch.setenv("MIRTA_REPORTS", str(tmp_path / "reports"))
    monkeypatch.delenv(JUPYTER_SESSION_ENV, raising=False)
    return {p.name: p.default for p in notebook_params(P16)}


def test_run_page_plans_rehearses_and_ends_a_plan_with_a_warning_summary(namespace, capsys):
    assert run_page(P16, namespace) is None
    out = capsys.readouterr().out
    assert out.index("current verification") < out.index("PLAN (nothing was changed)")
    assert "REHEARSAL on in-memory copies" in out
    assert "WARNING SUMMARY: the plan found 1 disagreement(s) on srv01, srv02" in out
    assert "srv01: warn: TIME_WAIT sockets on port 5038 (now)" in out
    assert "no failure" not in out
    assert {"rb", "plan", "final"} <= set(namespace) and namespace["final"] is namespace["plan"]


def test_apply_without_confirm_says_how_to_confirm_where_the_notebook_runs(
    namespace, monkeypatch, capsys
):
    namespace["mode"] = "apply"
    with pytest.raises(ConfirmationRequired, match="-p confirm true"):
        run_page(P16, namespace)
    monkeypatch.setenv(JUPYTER_SESSION_ENV, "16-tcp-port-exhaustion.ipynb")
    page = open_page(P16, namespace)
    page.plan()
    with pytest.raises(ConfirmationRequired, match=r"set confirm = True in the parameters cell"):
        page.finish()
    assert all(t.state == "initial" for t in namespace["rb"].targets)  # nothing applied


def test_a_failed_verify_raises_and_a_confirmed_apply_ends_without_failure(namespace, capsys):
    namespace["mode"] = "verify"
    with pytest.raises(VerificationFailed, match="verify of page 16 failed"):
        run_page(P16, namespace)
    namespace.update(mode="apply", confirm=True)
    run_page(P16, namespace)
    assert "apply: no failure on srv01, srv02" in capsys.readouterr().out


def test_a_bad_common_parameter_is_refused_before_anything_opens(namespace):
    namespace["mode"] = "aply"
    with pytest.raises(ParameterError, match="mode='aply' is not one of"):
        run_page(P16, namespace)
    namespace.update(mode="plan", known_hosts="relative/known_hosts")
    with pytest.raises(ParameterError, match="known_hosts='relative/known_hosts'"):
        run_page(P16, namespace)


def test_demo_yaml_of_page_16_matches_its_defaults():
    demo = yaml.safe_load((PARAMETERS_DIR / "demo" / "16-tcp-port-exhaustion.yaml").read_text())
    assert demo["targets"] == P16.demo_targets
