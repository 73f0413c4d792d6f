"""mirtalib.asterisk.sorcery: which PJSIP objects load from realtime and which from pjsip.conf."""

from __future__ import annotations

import pytest

from mirtalib.asterisk.conf import parse_conf
from mirtalib.asterisk.sorcery import ensure_static, merge_objects, parse_sorcery
from mirtalib.errors import ParameterError

REALTIME_ONLY = """; MiRTA realtime PJSIP
[res_pjsip]
endpoint=realtime,ps_endpoints
auth=realtime,ps_auths
aor=realtime,ps_aors
domain_alias=realtime,ps_domain_aliases
contact=realtime,ps_contacts

[res_pjsip_endpoint_identifier_ip]
identify=realtime,ps_endpoint_id_ips
"""

PAGE_03 = """[res_pjsip]
endpoint=realtime,ps_endpoints
endpoint=config,pjsip.conf,criteria=type=endpoint
auth=realtime,ps_auths
aor=realtime,ps_aors
aor=config,pjsip.conf,criteria=type=aor
domain_alias=realtime,ps_domain_aliases
contact=realtime,ps_contacts
[res_pjsip_endpoint_identifier_ip]
identify=realtime,ps_endpoint_id_ips
identify=config,pjsip.conf,criteria=type=identify
[res_pjsip_publish_asterisk]
asterisk-publication=realtime,ps_asterisk_publications
[res_pjsip_outbound_publish]
outbound-publish=realtime,ps_outbound_publishes
[res_pjsip_pubsub]
inbound-publication=realtime,ps_inbound_publications
"""

PJSIP = """[transporttls]
type=transport
protocol=tls
bind=0.0.0.0:5091

[teams](!)
type=endpoint
context=msteams

[msteams_trunk_from_teams](teams)
aors=aor_msteams_trunk_from_teams

[aor_msteams_trunk_from_teams]
type=aor
contact=sip:sbc.example.com:5067

[msteams_trunk_from_teams]
type=identify
endpoint=msteams_trunk_from_teams

[100-DEVEL]
type=endpoint
"""

REALTIME_ROWS = {
    "ps_endpoints": ["100-DEVEL", "101-DEVEL"],
    "ps_aors": ["100-DEVEL", "101-DEVEL"],
    "ps_auths": ["100-DEVEL", "101-DEVEL"],
    "ps_contacts": [],
    "ps_domain_aliases": [],
    "ps_endpoint_id_ips": [],
}


def _status(df, otype, oid, source=None):
    rows = df[(df.object_type == otype) & (df.id == oid)]
    if source is not None:
        rows = rows[rows.source == source]
    return list(rows.status)


def test_realtime_only_sorcery_ignores_the_static_teams_objects() -> None:
    df = merge_objects(
        parse_sorcery(REALTIME_ONLY), {"pjsip.conf": parse_conf(PJSIP)}, REALTIME_ROWS
    )
    assert _status(df, "endpoint", "msteams_trunk_from_teams") == ["ignored"]
    assert _status(df, "aor", "aor_msteams_trunk_from_teams") == ["ignored"]
    assert _status(df, "identify", "msteams_trunk_from_teams") == ["ignored"]
    reason = df[(df.object_type == "aor") & (df.status == "ignored")].reason.iloc[0]
    assert "aor=config,pjsip.conf,criteria=type=aor" in reason and "[res_pjsip]" in reason
    # transports are not mapped in sorcery.conf, so the default (pjsip.conf) still applies
    assert _status(df, "transport", "transporttls") == ["effective"]
    # the template is not an object at all
    assert df[df.id == "teams"].empty


def test_page_03_mapping_loads_both_and_realtime_wins_on_same_id() -> None:
    df = merge_objects(parse_sorcery(PAGE_03), {"pjsip.conf": parse_conf(PJSIP)}, REALTIME_ROWS)
    assert _status(df, "endpoint", "msteams_trunk_from_teams") == ["effective"]
    assert _status(df, "aor", "aor_msteams_trunk_from_teams") == ["effective"]
    assert _status(df, "identify", "msteams_trunk_from_teams") == ["effective"]
    assert _status(df, "endpoint", "100-DEVEL", "realtime:ps_endpoints") == ["effective"]
    assert _status(df, "endpoint", "100-DEVEL", "config:pjsip.conf") == ["shadowed"]
    unknown = df[df.status == "unknown"]
    assert set(unknown.source) == {
        "realtime:ps_asterisk_publications",
        "realtime:ps_outbound_publishes",
        "realtime:ps_inbound_publications",
    }


def test_plan_lists_sources_in_lookup_order_with_defaults() -> None:
    plan = parse_sorcery(PAGE_03).plan()
    ep = plan[plan.object_type == "endpoint"]
    assert list(ep.source) == ["realtime:ps_endpoints", "config:pjsip.conf"]
    contact = plan[plan.object_type == "contact"]
    assert list(contact.source) == ["realtime:ps_contacts"]
    reg = plan[plan.object_type == "registration"]
    assert list(reg.source) == ["config:pjsip.conf"] and bool(reg.default.iloc[0])
    assert list(parse_sorcery("").plan().query("object_type == 'contact'").source) == [
        "astdb:registrator"
    ]


def test_wrong_module_and_caches_are_not_sources() -> None:
    text = (
        "[res_pjsip]\nidentify=realtime,ps_endpoint_id_ips\n"
        "endpoint/cache=memory_cache,expire_on_reload=yes\nendpoint=realtime,ps_endpoints\n"
    )
    s = parse_sorcery(text)
    assert any("belong to [res_pjsip_endpoint_identifier_ip]" in n for n in s.notes)
    assert [m.source for m in s.wizards("identify")] == ["config:pjsip.conf"]
    assert [m.source for m in s.wizards("endpoint")] == ["realtime:ps_endpoints"]


def test_ensure_static_produces_the_page_03_file_and_is_idempotent() -> None:
    doc = parse_conf(REALTIME_ONLY)
    changes = ensure_static(doc)
    assert changes == [
        "[res_pjsip] endpoint=config,pjsip.conf,criteria=type=endpoint",
        "[res_pjsip] aor=config,pjsip.conf,criteria=type=aor",
        "[res_pjsip_endpoint_identifier_ip] identify=config,pjsip.conf,criteria=type=identify",
    ]
    text = doc.render()
    assert text.splitlines()[2:4] == [
        "endpoint=realtime,ps_endpoints",
        "endpoint=config,pjsip.conf,criteria=type=endpoint",
    ]
    assert ensure_static(parse_conf(text)) == []
    df = merge_objects(parse_sorcery(text), {"pjsip.conf": parse_conf(PJSIP)}, REALTIME_ROWS)
    assert "ignored" not in set(df.status)
    with pytest.raises(ParameterError):
        ensure_static(parse_conf(text), ["bogus"])


def test_broken_static_section_is_reported_not_fatal() -> None:
    pj = parse_conf("[x](missing_tpl)\ntype=endpoint\n[y]\ntype=aor\n")
    df = merge_objects(parse_sorcery(PAGE_03), {"pjsip.conf": pj}, REALTIME_ROWS)
    row = df[df.id == "x"].iloc[0]
    assert row.status == "error" and "missing_tpl" in row.reason
    assert _status(df, "aor", "y") == ["effective"]
