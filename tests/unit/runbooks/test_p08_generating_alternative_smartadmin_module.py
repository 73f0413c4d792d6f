"""Page 08 (SmartAdmin module): colour and build.json editors, node check, replay run."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # install_replays.py, next to this file
from install_replays import isolated

from mirtalib.errors import ParameterError, ParseError
from mirtalib.runbook import Status, rehearse
from mirtalib.runbooks import get
from mirtalib.runbooks.p08_generating_alternative_smartadmin_module import (
    RUNBOOK,
    scss_colors,
    set_compile_flags,
    set_scss_variables,
)

SCSS = (
    "$color-primary:\t#2198F3;\n$color-fusion: darken($color-primary, 25%);\n"
    "$primary: $color-primary;\n"
)


def test_scss_editor():
    out = set_scss_variables(SCSS, {"color-primary": "#1F6FB2", "color-danger": "#FC1349"})
    assert out.startswith("$color-primary:\t#1F6FB2;\n$color-fusion: darken($color-primary, 25%);")
    assert out.endswith("$color-danger: #FC1349;\n")
    assert set_scss_variables(out, {"color-primary": "#1F6FB2", "color-danger": "#FC1349"}) == out
    assert scss_colors(out)["primary"] == "#1F6FB2"
    assert scss_colors(SCSS)["info"] == "<missing>"


def test_build_json_editor():
    text = json.dumps({"compile": {"jsUglify": False, "rtl": False}, "x": 1}, indent=2) + "\n"
    out = set_compile_flags(text, {"jsUglify": True, "rtl": False})
    assert json.loads(out) == {"compile": {"jsUglify": True, "rtl": False}, "x": 1}
    assert set_compile_flags(out, {"jsUglify": True}) == out  # nothing to do: text unchanged
    with pytest.raises(ParseError, match="build.json"):
        set_compile_flags("{not json", {"rtl": True})


@pytest.fixture
def rb(tmp_path):
    (tmp_path / "r").mkdir()
    runbook = RUNBOOK.open(
        "replay:srv01", journal=tmp_path / "j", target_options=isolated(tmp_path / "r")
    )
    yield runbook
    runbook.close()


def _steps(report):
    return {r.step_id: r for r in report.nodes[0].results}


def test_plan_and_rehearsal_on_demo(rb):
    assert get(8) is RUNBOOK
    s = _steps(rb.plan())
    assert s["node-version"].status is Status.WARN  # 14.x where the page builds with 10.x
    assert "nvm install 10.16.0" in s["node-version"].reason
    assert "+$color-primary:\t\t\t\t\t\t#1F6FB2;" in s["scss-colors"].diff
    assert '+        "jsSourcemaps": false,' in s["build-json"].diff
    assert s["npm-install"].status is Status.OK
    assert s["gulp-build"].status is Status.WOULD_RUN
    assert rehearse(rb).idempotent
    rb.apply(confirm=True)
    checks = {x.step_id: x for x in rb.verify().nodes[0].results if x.kind == "check"}
    assert checks["built-color"].status is Status.PASS


def test_rtl_adds_the_rtl_build():
    ids = [s.id for s in RUNBOOK.steps(RUNBOOK.validate({"rtl": True}))]
    assert "gulp-rtl" in ids


@pytest.mark.parametrize(
    ("name", "value", "match"),
    [
        ("color_primary", "blue", "color_primary"),
        ("color_danger", "#12345", "color_danger"),
        ("node_version", "v10", "node_version"),
        ("built_css", "../../etc/passwd", "built_css"),
        ("source_dir", "smartadmin", "source_dir"),
    ],
)
def test_bad_parameters(name, value, match):
    with pytest.raises(ParameterError, match=match):
        RUNBOOK.validate({name: value})
