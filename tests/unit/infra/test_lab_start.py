"""`mirta lab`: its start page lists every notebook once with its title; the command line hides
the jupytext sources and opens the start page."""

from __future__ import annotations

import ast
import re

import nbformat

from mirtalib.nbrun.discover import NOTEBOOKS_DIR, START_PAGE, find_notebooks
from mirtalib.nbrun.lab import HIDE_GLOBS, lab_argv, start_page, write_start_page


def _tree(tmp_path):
    for group, name, title in [
        ("analytics", "cdr-report", "CDR report: calls per tenant"),
        ("runbooks", "16-tcp", "Page 16: TCP port exhaustion"),
    ]:
        (tmp_path / group).mkdir(exist_ok=True)
        (tmp_path / group / f"{name}.py").write_text(
            f'# %% [markdown]\n# # {title}\n# more text\n\n# %% tags=["parameters"]\nx = 1\n'
        )
    return tmp_path


def test_start_page_lists_each_notebook_once_with_its_title(tmp_path):
    root = _tree(tmp_path)
    text = start_page(root).cells[0].source
    assert "- [cdr-report](analytics/cdr-report.ipynb): CDR report: calls per tenant" in text
    assert "- [16-tcp](runbooks/16-tcp.ipynb): Page 16: TCP port exhaustion" in text
    assert text.index("## Analytics") < text.index("## Runbooks")
    path = write_start_page(root)
    assert path == root / START_PAGE
    first = path.read_text()
    assert nbformat.reads(first, as_version=4).cells[0].source == text
    write_start_page(root)  # unchanged notebooks: the same file
    assert path.read_text() == first
    # the start page is not a notebook of its own (mirta list / report ignore it)
    assert [p.name for p in find_notebooks(root)] == ["cdr-report.py", "16-tcp.py"]


def test_start_page_of_the_project_has_one_line_per_notebook():
    text = start_page(NOTEBOOKS_DIR).cells[0].source
    entries = re.findall(r"^- \[([^\]]+)\]\(([^)]+)\): (.+)$", text, re.M)
    assert sorted(e[0] for e in entries) == sorted(p.stem for p in find_notebooks(NOTEBOOKS_DIR))
    assert all(title and not title.startswith("#") for _, _, title in entries)


def test_lab_command_line_hides_sources_and_opens_the_start_page():
    argv = lab_argv(NOTEBOOKS_DIR, port=8890, ip="127.0.0.1", browser=False, extra=["--x=1"])
    assert f"--ServerApp.root_dir={NOTEBOOKS_DIR}" in argv
    assert "--LabApp.default_url=/lab/tree/START.ipynb" in argv
    globs = next(a for a in argv if a.startswith("--ContentsManager.hide_globs="))
    assert ast.literal_eval(globs.split("=", 1)[1]) == HIDE_GLOBS
    assert "*.py" in HIDE_GLOBS
    assert argv[-2:] == ["--no-browser", "--x=1"]  # extra options last: they win
