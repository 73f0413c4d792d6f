"""The ipywidgets layer drives the same runbook calls (buttons clicked programmatically)."""

from __future__ import annotations

import ipywidgets as w
import pytest

from mirtalib.runbook.render import diff_html
from mirtalib.runbook.widgets import RunbookUI
from mirtalib.runbooks.p16_tcp_port_exhaustion import RUNBOOK


@pytest.fixture
def ui(tmp_path):
    return RunbookUI(RUNBOOK.open("replay:srv01,replay:srv02", journal=tmp_path))


def test_form_mirrors_parameters(ui):
    assert isinstance(ui.fields["fin_timeout"], w.IntText)
    assert isinstance(ui.fields["tw_reuse"], w.Dropdown)
    assert list(ui.fields["socket_tool"].options) == ["ss", "netstat"]
    titles = [c.description for c in ui.checklist.children]
    assert any("Check the Asterisk log" in t for t in titles)
    assert ui.apply_button.disabled


def test_plan_review_apply_rollback(ui):
    ui.fields["fin_timeout"].value = 20
    ui.plan_button.click()
    assert "net.ipv4.tcp_fin_timeout = 20" in ui.output.value  # side-by-side diff of srv01
    assert 'class="mirta-diff"' in ui.output.value
    assert ui.rb.values["fin_timeout"] == 20
    assert ui.progress.value == ui.progress.max
    assert ui.apply_button.disabled  # not reviewed yet
    ui.reviewed.value = True
    assert not ui.apply_button.disabled
    ui.fields["fin_timeout"].value = 25  # the plan no longer matches the form
    assert ui.apply_button.disabled
    ui.fields["fin_timeout"].value = 20
    ui.reviewed.value = True
    ui.apply_button.click()
    assert "APPLY" in ui.output.value and "CHANGED" in ui.output.value
    assert ui.rb.targets[0].read_text("/etc/sysctl.conf").endswith("tcp_tw_reuse = 1\n")
    assert ui.apply_button.disabled and not ui.rollback_button.disabled
    # progress per node: srv01 applied and verified before srv02 started
    assert (
        ui.nodes.value
        == "<ul><li>1/2 srv01: <b>changed</b></li><li>2/2 srv02: <b>changed</b></li></ul>"
    )
    ui.rollback_button.click()
    assert "RESTORED" in ui.output.value
    assert "2/2 srv02: <b>restored</b>" in ui.nodes.value
    assert "tcp_fin_timeout" not in ui.rb.targets[0].read_text("/etc/sysctl.conf")


def test_errors_show_in_the_status_line(ui):
    ui.fields["fin_timeout"].value = 0
    ui.plan_button.click()
    assert "fin_timeout=0 is outside 1-120" in ui.status.value
    ui._guard(ui.do_apply)
    assert "run Plan with these values" in ui.status.value


def test_unified_diff_view():
    html = diff_html("a=1\n", "a=2\n", "/etc/x.conf", side_by_side=False)
    assert "-a=1" in html and "+a=2" in html and "#fdd" in html


def test_tenant_and_node_choices_come_from_the_database(tmp_path, monkeypatch):
    from sqlalchemy import create_engine, insert

    from mirtalib.data.schema import Schema
    from mirtalib.runbook import Param
    from mirtalib.runbook.widgets import _field, db_choices

    path = tmp_path / "pbx.sqlite"
    schema = Schema()
    engine = create_engine(f"sqlite:///{path}")
    tenants, nodes = schema.table("te_tenants"), schema.table("no_nodes")
    schema.metadata.create_all(engine, tables=[tenants, nodes])
    with engine.begin() as conn:
        conn.execute(
            insert(tenants),
            [
                {"te_id": 1, "te_code": "SALES", "te_name": "Sales"},
                {"te_id": 2, "te_code": "DEVEL", "te_name": "Devel"},
            ],
        )
        conn.execute(
            insert(nodes), [{"no_id": 1, "no_name": "srv02"}, {"no_id": 2, "no_name": "srv01"}]
        )
    engine.dispose()
    monkeypatch.setenv("MIRTA_DB_URL", f"sqlite:///{path}")
    assert db_choices("tenants") == ["DEVEL", "SALES"]
    assert db_choices("nodes") == ["srv01", "srv02"]
    field = _field(Param("tenant", "DEVEL", "tenant code", choices="tenants"), "DEVEL")
    assert isinstance(field, w.Dropdown) and list(field.options) == ["DEVEL", "SALES"]


def _tenant_node_definition():
    from mirtalib.runbook import Manual, Param, RunbookDef, Verification

    return RunbookDef(
        page=99,
        slug="choices",
        title="Choices",
        scope="node",
        params=(
            Param("tenant", "DEVEL", "tenant code", choices="tenants"),
            Param("node", "srv01", "node name", choices="nodes"),
        ),
        build=lambda v: [Manual(id="look", title="Look")],
        verification=Verification(mirta_page="Nothing to look at."),
    )


def test_widget_lists_never_show_the_demo_on_a_real_target(tmp_path, monkeypatch):
    from mirtalib.data.db import NoDatabaseConfigured
    from mirtalib.runbook.widgets import db_choices

    monkeypatch.delenv("MIRTA_DB_URL")
    with pytest.raises(NoDatabaseConfigured, match=r"no database configured \(set MIRTA_DB_URL\)"):
        db_choices("nodes")
    real = RunbookUI(_tenant_node_definition().open("local", journal=tmp_path))
    for name in ("tenant", "node"):  # free text, not the demo's tenants / nodes
        assert isinstance(real.fields[name], w.Text), name
    shown = [str(o) for f in real.fields.values() for o in getattr(f, "options", ())]
    assert "srv02" not in shown and "ACME" not in shown
    # on the replay demo nodes the demo's lists are the right ones
    demo = RunbookUI(_tenant_node_definition().open("replay:srv01", journal=tmp_path))
    assert isinstance(demo.fields["node"], w.Dropdown)
    assert {"srv01", "srv02"} <= set(demo.fields["node"].options)
