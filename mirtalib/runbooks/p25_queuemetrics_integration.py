"""Seed page 25, *QueueMetrics integration*: send queue events to QueueMetrics Live.

QueueMetrics gives a web interface and an API login (``webqloader``) for the qloader JSON API.
In MiRTA: *Admin/Settings* enables the integration with the API URL, credentials and a delay
(milliseconds; the page suggests 5000); each queue to monitor gets its QueueMetrics switch; in
QueueMetrics each queue is created with the MiRTA *Queue ID* (the number in the queue page's
link, e.g. 340: not the queue's dial number).

Checks here: the API URL must be the full ``.../<Company>/jsonQLoaderApi.do`` (the access URL
without the API page is the page's named pitfall), the delay is in milliseconds within a sane
range (a value under 100 was almost certainly typed in seconds), the per-queue mapping table
(tenant, queue, MiRTA Queue ID to enter in QueueMetrics) comes from the database, the API
password stays in the env var named by a parameter (the page prints one; never put it in a
notebook), and the node can reach the API.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import pandas as pd
import sqlalchemy as sa

from mirtalib import validate
from mirtalib.data.db import Database, NoDatabaseConfigured, open_database, or_no_database
from mirtalib.errors import ParameterError
from mirtalib.runbook import Check, Manual, Param, Phase, RunbookDef, Step, Verdict, Verification
from mirtalib.runbook.checks import database_finding
from mirtalib.secrets import resolve_secret
from mirtalib.validate import cmd

API_PAGE = "jsonQLoaderApi.do"
DELAY_MIN, DELAY_MAX, PAGE_DELAY = 1000, 60000, 5000


def api_url(value: Any) -> str:
    """The full qloader API URL (ParameterError naming ``api_url`` with the fix)."""
    url = validate.url(value, "api_url", schemes=("https",))
    parts = urlsplit(url)
    segments = [s for s in parts.path.split("/") if s]
    if not segments or segments[-1] != API_PAGE:
        hint = url.rstrip("/") + "/" + API_PAGE
        raise ParameterError(
            f"api_url={value!r} is not the API URL: it must end with /{API_PAGE} "
            f"(did you paste the access URL? try {hint})"
        )
    if len(segments) < 2:
        raise ParameterError(f"api_url={value!r} lacks the account part (/<Company>/{API_PAGE})")
    if parts.query or parts.fragment:
        raise ParameterError(f"api_url={value!r} must not carry a query or fragment")
    return url


def delay_ms(value: int) -> int:
    """The delay in milliseconds (ParameterError when outside 1000-60000)."""
    if 0 < value < 100:
        raise ParameterError(
            f"delay_ms={value}: the delay is in milliseconds; {value} s is {value * 1000}"
        )
    if not DELAY_MIN <= value <= DELAY_MAX:
        raise ParameterError(
            f"delay_ms={value} is outside {DELAY_MIN}-{DELAY_MAX} ms (page suggests {PAGE_DELAY})"
        )
    return value


def _queue_list(value: str) -> str:
    items = [v.strip() for v in value.split(",") if v.strip()]
    for item in items:
        if not re.fullmatch(r"[A-Z0-9_]+:[0-9*#]+", item):
            raise ParameterError(f"queues: {item!r} is not TENANT:NUMBER (e.g. ACME:500)")
    return ",".join(items)


def queue_mapping(queues: str, db: Database | None = None) -> pd.DataFrame:
    """Per-queue table: tenant, number, name, MiRTA Queue ID (what QueueMetrics gets).

    Args:
        queues: ``TENANT:NUMBER`` items; empty: every queue.

    Raises:
        ParameterError: naming the queues that are not in the database.
    """
    db = db or open_database()
    qu, te = db.schema.table("qu_queues"), db.schema.table("te_tenants")
    frame = db.read_sql(
        sa.select(
            te.c.te_code.label("tenant"),
            qu.c.qu_number.label("queue"),
            qu.c.qu_name.label("name"),
            qu.c.qu_id.label("queue_id"),
        )
        .join(te, te.c.te_id == qu.c.qu_te_id)
        .order_by(te.c.te_code, qu.c.qu_number)
    )
    frame["queue"] = frame["queue"].astype(str)
    wanted = [q for q in queues.split(",") if q]
    if wanted:
        keys = frame["tenant"] + ":" + frame["queue"]
        missing = sorted(set(wanted) - set(keys))
        if missing:
            raise ParameterError(f"queues not in the database: {missing}")
        frame = frame[keys.isin(wanted)]
    frame = frame.reset_index(drop=True)
    frame["in QueueMetrics"] = "queue ID " + frame["queue_id"].astype(str)
    return frame


def queue_mapping_text(queues: str) -> str:
    """The notebook's :func:`queue_mapping` table, or why it cannot be read (no database)."""
    return or_no_database(lambda: queue_mapping(queues).to_string(index=False))


PARAMS = (
    Param(
        "api_url",
        "https://my.queuemetrics-live.com/DemoCompany/jsonQLoaderApi.do",
        "full qloader API URL",
        check=api_url,
    ),
    Param("api_login", "webqloader", "API login from QueueMetrics"),
    Param(
        "api_password_env",
        "MIRTA_QM_PASSWORD",
        "env var holding the API password (never the password)",
        kind="env_var",
        secret_ref=True,
    ),
    Param(
        "delay_ms",
        PAGE_DELAY,
        ("delay before sending, in milliseconds (1000-60000; page: 5000)"),
        check=delay_ms,
    ),
    Param(
        "queues",
        "ACME:500,ACME:501",
        "queues to monitor as TENANT:NUMBER, comma-separated; empty: all",
        check=_queue_list,
    ),
)


def _http_expect(code: str) -> tuple[Verdict, str]:
    code = code.strip()
    if code.startswith("2") or code in ("400", "401", "405"):
        return Verdict.PASS, f"HTTP {code}: the node reaches the QueueMetrics API"
    return Verdict.FAIL, f"HTTP {code or 'no answer'}: the node cannot reach the API"


def build(v: dict[str, Any]) -> list[Step]:
    """Steps of page 25 for validated parameter values ``v``."""
    env = v["api_password_env"]
    try:
        table = queue_mapping(v["queues"])
    except NoDatabaseConfigured as exc:  # never the demo's queues on a real node
        unread = f"{v['queues'] or 'every queue'} (names and MiRTA Queue IDs not read: {exc})"
        queues = ids = unread
        found: list[Step] = [
            database_finding("queue-ids", "Queues and their MiRTA Queue IDs", str(exc))
        ]
    else:
        queues = ", ".join(f"{r.tenant}:{r.queue} {r.name}" for r in table.itertuples())
        ids = ", ".join(f"{r.tenant}:{r.queue} -> {r.queue_id}" for r in table.itertuples())
        found = []
    return [
        *found,
        Check(
            id="api-password",
            title=f"API password available in {env}",
            phase=Phase.BEFORE,
            probe=lambda _t: "set" if resolve_secret(env, required=False) else "unset",
            expect=lambda s: (
                (Verdict.PASS, f"{env} is set")
                if s == "set"
                else (Verdict.WARN, f"{env} is not set here (needed to paste it into MiRTA)")
            ),
        ),
        Manual(
            id="admin-settings",
            title="Enable QueueMetrics in Admin/Settings",
            where="MiRTA Admin/Settings > QueueMetrics",
            detail=f"URL {v['api_url']}, login {v['api_login']}, password from {env}, "
            f"delay {v['delay_ms']} ms",
        ),
        Manual(
            id="queues",
            title="Enable QueueMetrics on each queue",
            where="MiRTA Configuration > Queues",
            detail=queues,
        ),
        Manual(
            id="qm-queues",
            title="Create the queues in QueueMetrics with the MiRTA IDs",
            where="QueueMetrics > Edit queues",
            detail=ids,
        ),
        Check(
            id="api-reachable",
            title="The node reaches the QueueMetrics API",
            command=cmd(
                "curl",
                "-sS",
                "-o",
                "/dev/null",
                "--max-time",
                "10",
                "-w",
                "%{http_code}",
                v["api_url"],
            ),
            expect=_http_expect,
        ),
    ]


RUNBOOK = RunbookDef(
    page=25,
    slug="queuemetrics-integration",
    title="QueueMetrics integration",
    scope="tenant",
    roles=("pbx",),
    params=PARAMS,
    build=build,
    summary="QueueMetrics Live: API URL form, delay in ms, per-queue Queue ID mapping",
    verification=Verification(
        mirta_page="Place a test call into a monitored queue: it shows in QueueMetrics "
        "(real-time page) after the delay.",
        asterisk_log="No QueueMetrics upload errors in the MiRTA/Asterisk logs.",
        status_menu="Status menu: the queue shows the call as QueueMetrics does.",
    ),
)
