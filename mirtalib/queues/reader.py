"""Reading Asterisk's queue log: the ``queue_log`` file and the ``queue_log`` database table.

The file (``/var/log/asterisk/queue_log``, rotated ``queue_log.1``, gzip ``.gz`` too) has one
event per line, written by ``logger.c`` as ``epoch|callid|queuename|agent|event|data...``: the
data values of ``apps/app_queue.c`` joined by ``|`` (any number of them, none after QUEUESTART).
The table (Asterisk's realtime ``queue_log``: ``time, callid, queuename, agent, event,
data1..data5``, read by MiRTA and QueueMetrics) holds the same values split into five columns
(``queue_adaptive_realtime``; Asterisk leaves the rest of a longer data in ``data5``), or, in
older tables, in one ``data`` column joined by ``|``. Its ``time`` is a DATETIME in PBX-local
time (``queue_log_realtime_use_gmt=no``, the default); an integer there is read as epoch seconds.

Every line or row becomes an event or a reject with its reason (:data:`REASONS`) and the field at
fault, nothing is dropped: without a period or tenant filter, events + rejects = the non-blank
lines. The checks:

* line level (files): ``bad encoding`` (a control character: NUL blocks left by a crash, binary
  garbage), ``truncated last line`` (no newline: Asterisk was writing it), ``truncated gzip
  file`` (one reject after the last line read), ``too few fields`` (fewer than the five
  ``time|callid|queuename|agent|event``);
* ``unparsable timestamp`` / ``timestamp out of range`` (outside 1900-2190) for ``time``;
* ``missing event`` (empty, or with white space), ``missing callid`` and ``missing queue`` for
  the call events of :data:`CALL_EVENTS` (Asterisk writes ``NONE`` where a value does not apply,
  which is kept as it is);
* ``unparsable number`` / ``missing number`` for the numeric data of the known events
  (:data:`NUMBERS`: e.g. CONNECT's holdtime and ringtime, ABANDON's position, original position
  and wait); the field is ``data1`` .. ``data5``.

Events of other names (custom ``QueueLog()`` events, PAUSE reasons ...) are kept as they are.
"""

from __future__ import annotations

import glob
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd
from sqlalchemy import and_, inspect, literal_column, select, type_coerce
from sqlalchemy.engine import URL
from sqlalchemy.types import NullType

from mirtalib.cdr import legs as L
from mirtalib.cdr.load import _as_datetime, normalize_tenants
from mirtalib.cdr.mastercsv import _read_bytes, decode_lines
from mirtalib.data.db import Database, open_database
from mirtalib.errors import DataSourceError, ParameterError, SchemaError
from mirtalib.settings import Settings

log = logging.getLogger(__name__)

DATA_FIELDS = ("data1", "data2", "data3", "data4", "data5")
#: Columns of the events frame, in order (``line``: line in its file, NA for database rows;
#: ``file``: the file's name, "" for database rows).
EVENT_COLUMNS = ("time", "callid", "queuename", "agent", "event", *DATA_FIELDS, "line", "file")

R_TOO_FEW = "too few fields"
R_MISSING_EVENT = "missing event"
R_MISSING_CALLID = "missing callid"
R_MISSING_QUEUE = "missing queue"
R_MISSING_NUMBER = "missing number"
REASONS = (
    L.R_BAD_ENCODING,
    L.R_TRUNCATED,
    L.R_TRUNCATED_GZIP,
    R_TOO_FEW,
    L.R_BAD_TIMESTAMP,
    L.R_TIME_RANGE,
    R_MISSING_EVENT,
    R_MISSING_CALLID,
    R_MISSING_QUEUE,
    L.R_BAD_NUMBER,
    R_MISSING_NUMBER,
)

#: Events of one caller in one queue (they need a callid and a queue name).
CALL_EVENTS = frozenset(
    {
        "ENTERQUEUE", "CONNECT", "COMPLETECALLER", "COMPLETEAGENT", "ABANDON",
        "EXITWITHTIMEOUT", "EXITEMPTY", "EXITWITHKEY", "WITHDRAW", "RINGNOANSWER",
        "RINGCANCELED", "BLINDTRANSFER", "ATTENDEDTRANSFER", "TRANSFER", "AGENTDUMP",
        "SYSCOMPAT",
    }
)  # fmt: skip

#: Numeric data of the known events (app_queue.c of Asterisk 22): event -> ((data index
#: 1-based, name, required), ...). ATTENDEDTRANSFER is read from its last three values.
NUMBERS: dict[str, tuple[tuple[int, str, bool], ...]] = {
    "ENTERQUEUE": ((3, "position", False),),  # url|callerid|position[|callername]
    "CONNECT": ((1, "holdtime", True), (3, "ringtime", False)),  # holdtime|peer uniqueid|ringtime
    "COMPLETECALLER": ((1, "holdtime", True), (2, "calltime", True), (3, "position", False)),
    "COMPLETEAGENT": ((1, "holdtime", True), (2, "calltime", True), (3, "position", False)),
    "ABANDON": ((1, "exit_position", False), (2, "position", False), (3, "wait", True)),
    "EXITWITHTIMEOUT": ((1, "exit_position", False), (2, "position", False), (3, "wait", True)),
    "EXITEMPTY": ((1, "exit_position", False), (2, "position", False), (3, "wait", True)),
    "WITHDRAW": ((1, "exit_position", False), (2, "position", False), (3, "wait", True)),
    "EXITWITHKEY": ((2, "exit_position", False), (3, "position", False), (4, "wait", False)),
    "RINGNOANSWER": ((1, "ring_ms", True),),
    "RINGCANCELED": ((1, "ring_ms", False),),
    "BLINDTRANSFER": ((3, "holdtime", True), (4, "calltime", True), (5, "position", False)),
    "TRANSFER": ((3, "holdtime", True), (4, "calltime", True), (5, "position", False)),
}
_INT = re.compile(r"^[+-]?\d{1,18}$")
_EVENT = re.compile(r"^\S+$")
_EPOCH_MIN = int(L.TIME_MIN.timestamp())
_EPOCH_MAX = int(L.TIME_MAX.timestamp())


@dataclass
class QueueLogLoad:
    """Result of :func:`load_queue_log`.

    Attributes:
        events: one row per event (:data:`EVENT_COLUMNS`): ``time`` (datetime64[ns], PBX-local,
            naive), ``callid, queuename, agent, event, data1..data5`` (str, "" when absent;
            ``event`` upper case), ``line`` (Int64), ``file`` (str); in time order, events of
            one second in the order they were written.
        rejects: ``line, reason, raw, field, file`` (as :attr:`mirtalib.cdr.LegLoad.rejects`).
        source: where the events came from (no password).
    """

    events: pd.DataFrame
    rejects: pd.DataFrame
    source: str

    def reject_counts(self, by_field: bool = False) -> pd.DataFrame:
        """Rejects per reason (``reason, rows``), or per reason and field."""
        return L.reject_counts(self.rejects, by_field)


def empty_events() -> pd.DataFrame:
    """An events frame without rows."""
    cols = {c: pd.Series(dtype="str") for c in EVENT_COLUMNS}
    cols["time"] = pd.Series(dtype="datetime64[ns]")
    cols["line"] = pd.Series(dtype="Int64")
    return pd.DataFrame(cols)[list(EVENT_COLUMNS)]


def _empty_rejects() -> pd.DataFrame:
    return L.empty_rejects().assign(file=pd.Series(dtype="str"))


def _tz(timezone: str | None) -> ZoneInfo:
    name = timezone or Settings.load().timezone
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ParameterError(f"timezone: {name!r} is not an IANA time zone name") from None


def split_data(event: str, data: Sequence[str]) -> list[str]:
    """The data values of an event as data1..data5 (a longer data keeps the rest, joined by
    ``|``, in data5, as Asterisk's adaptive realtime does)."""
    values = list(data)
    if len(values) > 5:
        values = [*values[:4], "|".join(values[4:])]
    return values + [""] * (5 - len(values))


def numbers(event: str, data: Sequence[str]) -> tuple[dict[str, int | None], str | None, str]:
    """The numeric values of an event's data (see :data:`NUMBERS`).

    Returns:
        (name -> int or None when absent, the reason when one is wrong (else None), its field).
    """
    values = list(data)
    if event == "ATTENDEDTRANSFER":  # BRIDGE|id|hold|call|pos, APP|app|..., LINK|c1|c2|...
        joined = "|".join(values).rstrip("|").split("|")
        tail = joined[-3:] if len(joined) >= 4 else []
        spec = (("holdtime", True), ("calltime", True), ("position", False))
        out: dict[str, int | None] = {}
        for k, (name, required) in enumerate(spec):
            text = tail[k].strip() if k < len(tail) else ""
            if not text:
                if required:
                    return out, R_MISSING_NUMBER, f"data{min(len(joined) - 2 + k, 5)}"
                out[name] = None
            elif not _INT.match(text):
                return out, L.R_BAD_NUMBER, f"data{min(len(joined) - 2 + k, 5)}"
            else:
                out[name] = int(text)
        return out, None, ""
    out = {}
    for index, name, required in NUMBERS.get(event, ()):
        text = values[index - 1].strip() if index <= len(values) else ""
        if not text:
            if required:
                return out, R_MISSING_NUMBER, f"data{index}"
            out[name] = None
        elif not _INT.match(text):
            return out, L.R_BAD_NUMBER, f"data{index}"
        else:
            out[name] = int(text)
    return out, None, ""


def check_fields(callid: str, queue: str, event: str, data: Sequence[str]) -> tuple[str, str]:
    """The reason (and field) an event with these values cannot be used, or ("", "")."""
    if not _EVENT.match(event):
        return R_MISSING_EVENT, "event"
    if event in CALL_EVENTS:
        if not callid.strip() or callid == "NONE":
            return R_MISSING_CALLID, "callid"
        if not queue.strip() or queue == "NONE":
            return R_MISSING_QUEUE, "queuename"
    _, reason, where = numbers(event, data)
    return (reason, where) if reason else ("", "")


def _epoch_reason(text: str) -> tuple[int | None, str]:
    text = text.strip()
    if not _INT.match(text):
        return None, L.R_BAD_TIMESTAMP
    value = int(text)
    if not _EPOCH_MIN <= value < _EPOCH_MAX:
        return None, L.R_TIME_RANGE
    return value, ""


def _local(epochs: Sequence[int], tz: ZoneInfo) -> np.ndarray:
    stamps = pd.to_datetime(np.asarray(epochs, dtype="int64"), unit="s", utc=True)
    return stamps.tz_convert(tz).tz_localize(None).to_numpy(dtype="datetime64[ns]")


class _Collector:
    """Events and rejects of one source, row by row."""

    def __init__(self) -> None:
        self.rows: list[list] = []
        self.rejects: list[tuple] = []

    def event(self, when, callid, queue, agent, event, data, line, file) -> None:
        self.rows.append([when, callid, queue, agent, event, *split_data(event, data), line, file])

    def reject(self, line, reason, raw, field, file) -> None:
        self.rejects.append((line, reason, raw, field, file))

    def frames(self, times: np.ndarray | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
        if self.rows:
            events = pd.DataFrame(self.rows, columns=list(EVENT_COLUMNS))
            for col in EVENT_COLUMNS:
                if col not in ("time", "line"):
                    events[col] = events[col].astype("str")
            events["time"] = (
                times if times is not None else pd.to_datetime(events["time"])
            ).astype("datetime64[ns]")
            events["line"] = pd.array(events["line"], dtype="Int64")
        else:
            events = empty_events()
        if self.rejects:
            lines, reasons, raws, fields, files = zip(*self.rejects, strict=True)
            rejects = L.make_rejects(lines, reasons, raws, fields)
            rejects["file"] = pd.Series(files, dtype="str")
        else:
            rejects = _empty_rejects()
        return events, rejects


def read_file(
    path: Path, tz: ZoneInfo, label: str | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Events and rejects of one queue_log file (plain or gzip), in file order; ``label``
    names the file in the ``file`` columns (default: its name)."""
    data, cut_short = _read_bytes(path)
    lines, bad_encoding, truncated = decode_lines(data)
    out = _Collector()
    epochs: list[int] = []
    name = label or path.name
    for number, line in enumerate(lines, start=1):
        if truncated and number == len(lines):
            out.reject(number, L.R_TRUNCATED, line, "", name)
            continue
        if not line.strip():
            continue
        if number - 1 in bad_encoding:
            out.reject(number, L.R_BAD_ENCODING, line, "", name)
            continue
        fields = line.split("|")
        if len(fields) < 5:
            out.reject(number, R_TOO_FEW, line, "", name)
            continue
        epoch, why = _epoch_reason(fields[0])
        if why:
            out.reject(number, why, line, "time", name)
            continue
        callid, queue, agent, event = fields[1:5]
        event = event.strip().upper()
        data = fields[5:]
        reason, where = check_fields(callid, queue, event, data)
        if reason:
            out.reject(number, reason, line, where, name)
            continue
        epochs.append(epoch)  # type: ignore[arg-type]
        out.event(None, callid, queue, agent, event, data, number, name)
    if cut_short:
        out.reject(len(lines) + 1, L.R_TRUNCATED_GZIP, f"{name} ends here", "", name)
    return out.frames(_local(epochs, tz) if epochs else None)


def expand_files(source: str | Path | Iterable[str | Path]) -> list[Path]:
    """A path, a folder (its ``queue_log*`` files), a glob or a list of them -> the files,
    oldest rotation first (``queue_log.2.gz``, ``queue_log.1``, ``queue_log``).

    Raises:
        DataSourceError: when nothing matches.
    """
    items = [source] if isinstance(source, str | Path) else list(source)
    files: list[Path] = []
    for item in items:
        text = str(item)
        path = Path(text)
        if path.is_dir():
            found = [p for p in path.glob("queue_log*") if p.is_file()]
        elif any(ch in text for ch in "*?["):
            found = [Path(p) for p in glob.glob(text) if Path(p).is_file()]
        else:
            found = [path] if path.is_file() else []
        if not found:
            raise DataSourceError(f"no queue_log file at {text!r}")
        files.extend(sorted(found, key=_rotation_key))
    return files


def _rotation_key(path: Path) -> tuple[int, str]:
    match = re.search(r"\.(\d+)(?:\.gz)?$", path.name)
    return (-int(match.group(1)) if match else 0, path.name)


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, bytes | bytearray | memoryview):
        raw = bytes(value)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return raw.decode("latin-1")
    return str(value)


def _db_time(value: object, tz: ZoneInfo) -> tuple[pd.Timestamp | None, str]:
    """A table's time value (DATETIME, text, or epoch seconds) as a naive local time."""
    if isinstance(value, int | np.integer) or (isinstance(value, str) and _INT.match(value)):
        epoch, why = _epoch_reason(str(int(value)))
        if why:
            return None, why
        return pd.Timestamp(_local([epoch], tz)[0]), ""  # type: ignore[list-item]
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, L.R_BAD_TIMESTAMP
    parsed, reason = L.parse_times(pd.Series([value], dtype="object"))
    if pd.notna(reason.iloc[0]):
        return None, str(reason.iloc[0])
    if pd.isna(parsed.iloc[0]):
        return None, L.R_BAD_TIMESTAMP
    return parsed.iloc[0], ""


def read_table(
    db: Database, start: datetime | None, end: datetime | None, tz: ZoneInfo
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Events and rejects of the ``queue_log`` table of ``db`` (the period filtered in SQL when
    the time column is a DATETIME)."""
    db.require_table("queue_log")
    table = db.schema.table("queue_log")
    physical = {c["name"].lower(): c for c in inspect(db.engine).get_columns(table.name)}
    cols = {k: col for k, col in table.c.items() if col.name.lower() in physical}
    missing = {"time", "callid", "queuename", "agent", "event"} - set(cols)
    if missing:
        raise SchemaError(f"{db.description}: table {table.name!r} lacks {sorted(missing)}")
    adaptive = "data1" in cols
    if not adaptive and "data" not in physical:
        raise SchemaError(
            f"{db.description}: table {table.name!r} has neither data1..data5 nor data"
        )
    wanted = ["time", "callid", "queuename", "agent", "event"]
    parts = [type_coerce(cols[k], NullType()).label(k) for k in wanted]
    if adaptive:
        parts += [type_coerce(cols[k], NullType()).label(k) for k in DATA_FIELDS if k in cols]
    else:
        parts.append(literal_column(physical["data"]["name"]).label("data"))
    query = select(*parts).select_from(table)
    time_type = str(physical[cols["time"].name.lower()]["type"]).upper()
    if "DATE" in time_type or "TIME" in time_type:
        terms = []
        if start is not None:
            terms.append(cols["time"] >= start)
        if end is not None:
            terms.append(cols["time"] < end)
        if terms:
            query = query.where(and_(*terms))
    if "id" in cols:
        query = query.order_by(cols["id"])
    frame = db.read_sql(query)
    out = _Collector()
    for row in frame.itertuples(index=False):
        values = row._asdict()
        raw = " ".join(f"{k}={_text(v)}" for k, v in values.items())
        when, why = _db_time(values["time"], tz)
        if why:
            out.reject(pd.NA, why, raw, "time", "")
            continue
        callid, queue, agent = (_text(values[k]) for k in ("callid", "queuename", "agent"))
        event = _text(values["event"]).strip().upper()
        if adaptive:
            data = [_text(values.get(k)) for k in DATA_FIELDS]
        else:
            data = _text(values["data"]).split("|")
        reason, where = check_fields(callid, queue, event, data)
        if reason:
            out.reject(pd.NA, reason, raw, where, "")
            continue
        out.event(when, callid, queue, agent, event, data, pd.NA, "")
    log.info("%s: %d queue_log rows read", db.description, len(frame))
    return out.frames()


def _is_file_source(source: object) -> bool:
    if isinstance(source, Path):
        return True
    if isinstance(source, str):
        return "://" not in source
    return not isinstance(source, Database | URL) and source is not None


def tenant_of_queue(names: pd.Series) -> pd.Series:
    """Tenant code of MiRTA queue names (``support-DEVEL``, ``500-ACME`` -> the part after the
    last dash when it is a tenant code), else ""."""
    found = names.astype("str").str.extract(r"-(?P<t>[A-Z][A-Z0-9_]*)$")["t"]
    return found.fillna("").astype("str")


def event_tenant(events: pd.DataFrame) -> pd.Series:
    """Tenant of each event: of its queue, else of its agent (``100-DEVEL``), else ""."""
    tenant = tenant_of_queue(events["queuename"])
    return tenant.where(tenant.ne(""), tenant_of_queue(events["agent"])).astype("str")


def load_queue_log(
    source: Database | URL | str | Path | Iterable[str | Path] | None = None,
    start: date | datetime | str | None = None,
    end: date | datetime | str | None = None,
    tenants: str | Sequence[str] | None = None,
    timezone: str | None = None,
) -> QueueLogLoad:
    """Load queue_log events from files or from a database's ``queue_log`` table.

    Args:
        source: ``queue_log`` files (a path, a folder: its ``queue_log*``, a glob or a list;
            gzip read as such), an open :class:`~mirtalib.data.db.Database`, a database URL, or
            None for the configured database (as :func:`mirtalib.data.db.open_database`).
        start, end: the period [start, end) in PBX-local time; the later events of a call that
            entered a queue in the period are kept (they close it), up to a day after ``end``.
        tenants: tenant codes (list or comma-separated), None/"all" for every tenant; an
            event's tenant is its queue's (``support-DEVEL``: DEVEL), else its agent's; events
            of no tenant (QUEUESTART) are kept.
        timezone: the PBX's zone (file times are epoch seconds); default MIRTA_TIMEZONE.

    Returns:
        :class:`QueueLogLoad`: events, rejects with reasons, source.

    Raises:
        ParameterError: bad period, tenants or time zone.
        DataSourceError / SchemaError: the source cannot be read or has no queue_log.
    """
    t0, t1 = _as_datetime(start, "start"), _as_datetime(end, "end")
    if t0 and t1 and t1 <= t0:
        raise ParameterError(f"end={t1} is not after start={t0}")
    codes = normalize_tenants(tenants)
    tz = _tz(timezone)
    if _is_file_source(source):
        files = expand_files(source)  # type: ignore[arg-type]
        names = [p.name for p in files]  # one queue_log per node: then named node/queue_log
        labels = [f"{p.parent.name}/{p.name}" if names.count(p.name) > 1 else p.name
                  for p in files]  # fmt: skip
        parts = [read_file(p, tz, label) for p, label in zip(files, labels, strict=True)]
        events = pd.concat([p[0] for p in parts], ignore_index=True)
        rejects = pd.concat([p[1] for p in parts], ignore_index=True)
        described = ", ".join(labels)
    else:
        db = source if isinstance(source, Database) else open_database(source)
        late = t1 + pd.Timedelta(days=1) if t1 is not None else None
        events, rejects = read_table(db, t0, late, tz)
        described = db.description
    events = events.sort_values("time", kind="stable", ignore_index=True)
    if t0 is not None or t1 is not None:
        inside = pd.Series(True, index=events.index)
        if t0 is not None:
            inside &= events["time"] >= t0
        if t1 is not None:
            entered = events.loc[
                inside & events["event"].eq("ENTERQUEUE") & (events["time"] < t1), "callid"
            ]
            late_ok = events["callid"].isin(set(entered)) & (
                events["time"] < t1 + pd.Timedelta(days=1)
            )
            inside &= (events["time"] < t1) | (late_ok & events["event"].isin(CALL_EVENTS))
        events = events[inside].reset_index(drop=True)
    if codes is not None:
        tenant = event_tenant(events)
        events = events[tenant.isin(codes) | tenant.eq("")].reset_index(drop=True)
    if len(rejects):
        log.warning("%s: %d queue_log lines rejected", described, len(rejects))
    return QueueLogLoad(events=events[list(EVENT_COLUMNS)], rejects=rejects, source=described)
