"""SQLAlchemy Core definitions of the MiRTA / Asterisk tables the library reads.

Every table and column has a *logical* name (the SQLAlchemy ``key``, used by all library code) and a
*physical* name (what the database calls it). The physical names default to what public MiRTA and
Asterisk material shows; where nothing public confirms a name it is marked ``ASSUMED`` below, and a
deployment overrides it with a YAML file (``MIRTA_SCHEMA_MAP``)::

    tables:
      ee_extensionevents: log_extension_events      # logical table -> physical table
    columns:
      st_states.st_state: st_status                 # logical table.column -> physical column
      ex_extensions.ex_recording: ex_rec_outbound

Code always refers to ``schema.table("st_states").c.st_state`` and labels results with the logical
name, so the rest of the library never sees the physical names.

Assumed names (no public source confirms them; override as needed):
    * ``ex_extensions``: ex_recording, ex_recording_stereo, ex_transcript
    * ``di_dids``: every column but di_recording
    * ``qm_queuemembers`` (whole table), ``no_nodes`` (whole table)
    * ``st_states``: st_state, st_lastupdate, st_node
    * ``ee_extensionevents`` (whole table: MiRTA's "Log Extension Events")
    * ``rm_recordingmetadatas`` columns, ``tr_transcripts`` columns

``queue_log`` is Asterisk's realtime queue log table (contrib/ast-db-manage: id, time, callid,
queuename, agent, event, data1..data5; MiRTA and QueueMetrics read the same columns); an older
table with one ``data`` column instead of data1..data5 is read too (:mod:`mirtalib.queues`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import yaml
from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Float,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
)

from mirtalib.errors import ConfigurationError

CdrLayout = Literal["current", "legacy"]

# Recording policy values of extensions and DIDs (ASSUMED codes for MiRTA's drop-down choices).
RECORDING_NO = "NO"
RECORDING_YES = "YES"
RECORDING_YES_STOP_CALLER = "YES_STOP_CALLER"  # "Yes, but allow to stop by caller"
RECORDING_YES_STOP_CALLED = "YES_STOP_CALLED"  # "Yes, but allow to stop by called"
RECORDING_POLICIES = (
    RECORDING_NO,
    RECORDING_YES,
    RECORDING_YES_STOP_CALLER,
    RECORDING_YES_STOP_CALLED,
)

DISPOSITIONS = ("ANSWERED", "NO ANSWER", "BUSY", "FAILED", "CONGESTION")

# Columns common to both CDR layouts, in logical names: (name, type)
_CDR_COMMON = [
    ("clid", String(80)),
    ("src", String(80)),
    ("dst", String(80)),
    ("dcontext", String(80)),
    ("channel", String(80)),
    ("dstchannel", String(80)),
    ("lastapp", String(80)),
    ("lastdata", String(80)),
    ("duration", Integer),
    ("billsec", Integer),
    ("disposition", String(45)),
    ("amaflags", Integer),
    ("accountcode", String(20)),
    ("uniqueid", String(150)),
    ("userfield", String(255)),
    ("peeraccount", String(20)),
    ("linkedid", String(150)),
    ("sequence", Integer),
]
# MiRTA's extra CDR columns
_CDR_MIRTA = [
    ("realsrc", String(80)),
    ("firstdst", String(80)),
    ("lastdst", String(80)),
    ("wherelanded", String(80)),
    ("prevuniqueid", String(150)),
    ("cc_cost", Numeric(12, 5)),
    ("cc_buy", Numeric(12, 5)),
    ("cc_country", String(80)),
    ("cc_network", String(80)),
]


@dataclass
class SchemaMap:
    """Physical-name overrides: ``tables[logical] = physical``, ``columns["t.c"] = physical``."""

    tables: dict[str, str] = field(default_factory=dict)
    columns: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_yaml(cls, path: Path) -> SchemaMap:
        """Read a schema map file; raises ConfigurationError naming the file and the problem."""
        try:
            data = yaml.safe_load(Path(path).read_text()) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigurationError(f"schema map {path}: cannot be read ({exc})") from None
        if not isinstance(data, dict) or set(data) - {"tables", "columns"}:
            raise ConfigurationError(
                f"schema map {path}: expected only the keys 'tables' and 'columns'"
            )
        tables = data.get("tables") or {}
        columns = data.get("columns") or {}
        for key, value in [*tables.items(), *columns.items()]:
            if not isinstance(key, str) or not isinstance(value, str) or not value:
                raise ConfigurationError(f"schema map {path}: bad entry {key!r}: {value!r}")
        return cls(tables=dict(tables), columns=dict(columns))


class Schema:
    """The table definitions with a deployment's name overrides applied.

    Args:
        mapping: physical-name overrides (default: none).
        cdr_layout: which CDR layout the ``cdr`` table has ("current" start/answer/end, or
            "legacy" calldate).
    """

    def __init__(self, mapping: SchemaMap | None = None, cdr_layout: CdrLayout = "current"):
        self.mapping = mapping or SchemaMap()
        self.cdr_layout: CdrLayout = cdr_layout
        self.metadata = MetaData()
        self._define()
        known = set(self.metadata.tables)
        unknown_tables = {t for t in self.mapping.tables if t not in self._logical}
        unknown_cols = {
            k
            for k in self.mapping.columns
            if "." not in k
            or k.split(".", 1)[0] not in self._logical
            or k.split(".", 1)[1] not in self._logical[k.split(".", 1)[0]].c
        }
        if unknown_tables or unknown_cols:
            raise ConfigurationError(
                "schema map names unknown tables/columns: "
                + ", ".join(sorted(unknown_tables | unknown_cols))
                + f" (known tables: {', '.join(sorted(self._logical))})"
            )
        del known

    # -- helpers -----------------------------------------------------------------------------
    def _col(self, table: str, key: str, type_, **kw) -> Column:
        name = self.mapping.columns.get(f"{table}.{key}", key)
        return Column(name, type_, key=key, **kw)

    def _table(self, key: str, *cols_and_indexes) -> Table:
        name = self.mapping.tables.get(key, key)
        table = Table(name, self.metadata, *cols_and_indexes)
        self._logical[key] = table
        return table

    def table(self, logical: str) -> Table:
        """Return the table by its logical name (raises ConfigurationError if unknown)."""
        try:
            return self._logical[logical]
        except KeyError:
            raise ConfigurationError(
                f"unknown table {logical!r}; known: {', '.join(sorted(self._logical))}"
            ) from None

    @property
    def tables(self) -> dict[str, Table]:
        """Logical name -> Table."""
        return dict(self._logical)

    # -- definitions ---------------------------------------------------------------------------
    def _define(self) -> None:
        self._logical: dict[str, Table] = {}
        c = self._col
        self._table(
            "te_tenants",
            c("te_tenants", "te_id", Integer, primary_key=True),
            c("te_tenants", "te_code", String(20), nullable=False, unique=True),
            c("te_tenants", "te_name", String(100)),
        )
        self._table(
            "no_nodes",
            c("no_nodes", "no_id", Integer, primary_key=True),
            c("no_nodes", "no_name", String(50), nullable=False),
            c("no_nodes", "no_ip", String(45)),
            c("no_nodes", "no_fqdn", String(255)),
        )
        self._table(
            "ex_extensions",
            c("ex_extensions", "ex_id", Integer, primary_key=True),
            c("ex_extensions", "ex_te_id", Integer, nullable=False),
            c("ex_extensions", "ex_number", String(20), nullable=False),
            c("ex_extensions", "ex_name", String(100)),
            c("ex_extensions", "ex_tech", String(10)),
            c("ex_extensions", "ex_trunk", Integer),
            c("ex_extensions", "ex_recording", String(20)),
            c("ex_extensions", "ex_recording_stereo", Integer),
            c("ex_extensions", "ex_transcript", Integer),
        )
        self._table(
            "di_dids",
            c("di_dids", "di_id", Integer, primary_key=True),
            c("di_dids", "di_te_id", Integer, nullable=False),
            c("di_dids", "di_number", String(40), nullable=False),
            c("di_dids", "di_destination", String(80)),
            c("di_dids", "di_recording", String(20)),
            c("di_dids", "di_recording_stereo", Integer),
            c("di_dids", "di_transcript", Integer),
        )
        self._table(
            "qu_queues",
            c("qu_queues", "qu_id", Integer, primary_key=True),
            c("qu_queues", "qu_te_id", Integer, nullable=False),
            c("qu_queues", "qu_number", String(20), nullable=False),
            c("qu_queues", "qu_name", String(100)),
            c("qu_queues", "qu_strategy", String(20)),
        )
        self._table(
            "qm_queuemembers",
            c("qm_queuemembers", "qm_id", Integer, primary_key=True),
            c("qm_queuemembers", "qm_qu_id", Integer, nullable=False),
            c("qm_queuemembers", "qm_ex_id", Integer, nullable=False),
        )
        self._table(
            "pk_parkinglots",
            c("pk_parkinglots", "pk_id", Integer, primary_key=True),
            c("pk_parkinglots", "pk_te_id", Integer, nullable=False),
            c("pk_parkinglots", "pk_name", String(50)),
            c("pk_parkinglots", "pk_start", String(20)),
            c("pk_parkinglots", "pk_end", String(20)),
        )
        cdr_cols = [c("cdr", k, t) for k, t in _CDR_COMMON + _CDR_MIRTA]
        if self.cdr_layout == "current":
            times = [
                c("cdr", "start", DateTime),
                c("cdr", "answer", DateTime),
                c("cdr", "end", DateTime),
            ]
            idx = [("cdr_start", ("start",)), ("cdr_account_start", ("accountcode", "start"))]
        elif self.cdr_layout == "legacy":
            times = [c("cdr", "calldate", DateTime, nullable=False)]
            idx = [
                ("cdr_calldate", ("calldate",)),
                ("cdr_account_calldate", ("accountcode", "calldate")),
            ]
        else:
            raise ConfigurationError(f"cdr_layout {self.cdr_layout!r}: use 'current' or 'legacy'")
        cdr = self._table("cdr", *times, *cdr_cols)
        for ix_name, keys in idx:
            Index(ix_name, *[cdr.c[key] for key in keys])
        Index("cdr_linkedid", cdr.c.linkedid)
        self._table(
            "st_states",
            c("st_states", "st_id", Integer, primary_key=True),
            c("st_states", "st_extension", String(80), nullable=False),
            c("st_states", "st_state", String(20)),
            c("st_states", "st_lastupdate", DateTime),
            c("st_states", "st_node", String(50)),
        )
        ee = self._table(
            "ee_extensionevents",
            c(
                "ee_extensionevents",
                "ee_id",
                BigInteger().with_variant(Integer, "sqlite"),
                primary_key=True,
            ),
            c("ee_extensionevents", "ee_time", DateTime, nullable=False),
            c("ee_extensionevents", "ee_extension", String(80), nullable=False),
            c("ee_extensionevents", "ee_event", String(40)),
            c("ee_extensionevents", "ee_state", String(20)),
            c("ee_extensionevents", "ee_uniqueid", String(150)),
            c("ee_extensionevents", "ee_node", String(50)),
        )
        Index("ee_ext_time", ee.c.ee_extension, ee.c.ee_time)
        rm = self._table(
            "rm_recordingmetadatas",
            c("rm_recordingmetadatas", "rm_id", Integer, primary_key=True),
            c("rm_recordingmetadatas", "rm_te_id", Integer),
            c("rm_recordingmetadatas", "rm_uniqueid", String(150)),
            c("rm_recordingmetadatas", "rm_linkedid", String(150)),
            c("rm_recordingmetadatas", "rm_filename", String(255)),
            c("rm_recordingmetadatas", "rm_start", DateTime),
            c("rm_recordingmetadatas", "rm_duration", Float),
            c("rm_recordingmetadatas", "rm_size", BigInteger),
            c("rm_recordingmetadatas", "rm_channels", Integer),
            c("rm_recordingmetadatas", "rm_owner", String(80)),
        )
        Index("rm_uniqueid", rm.c.rm_uniqueid)
        ql = self._table(
            "queue_log",
            c("queue_log", "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
            c("queue_log", "time", DateTime),
            c("queue_log", "callid", String(80)),
            c("queue_log", "queuename", String(256)),
            c("queue_log", "agent", String(80)),
            c("queue_log", "event", String(32)),
            *[c("queue_log", f"data{i}", String(100)) for i in range(1, 6)],
        )
        Index("queue_log_time", ql.c.time)
        self._table(
            "tr_transcripts",
            c("tr_transcripts", "tr_id", Integer, primary_key=True),
            c("tr_transcripts", "tr_rm_id", Integer, nullable=False),
            c("tr_transcripts", "tr_speaker", String(40)),
            c("tr_transcripts", "tr_start", Float),
            c("tr_transcripts", "tr_end", Float),
            c("tr_transcripts", "tr_text", Text),
            c("tr_transcripts", "tr_sentiment", Float),
            c("tr_transcripts", "tr_summary", Text),
        )


def load_schema(map_path: Path | None = None, cdr_layout: CdrLayout = "current") -> Schema:
    """Build the schema, applying the overrides in ``map_path`` when given."""
    mapping = SchemaMap.from_yaml(map_path) if map_path else None
    return Schema(mapping, cdr_layout=cdr_layout)
