"""Legs grouped into calls by MariaDB/MySQL in ONE ``GROUP BY`` (no window functions).

:func:`mirtalib.cdr.sqlagg.calls_cte` groups legs into calls with two window functions (the
first leg by ``ROW_NUMBER``, the union of answered intervals by a running ``MAX``); on MariaDB
each window is a sort of every leg and the derived tables are materialized, which made grouping
1.1 M legs cost about 25 s. This module gets the same per-call values from a single hash
aggregation over the table:

* the first leg (by start, uniqueid, sequence) and the first leg with a trunk are the ``MIN`` of
  a sortable key (zero-padded start, uniqueid, zero-padded sequence) with what is needed of that
  leg appended; Python splits the key off again;
* the union of the answered intervals ``[start + duration - billsec, start + duration]`` needs
  only the *sorted* answer and end times, not which answer belongs to which end (the number of
  legs up at time t is #answers <= t minus #ends <= t): ``union = last end - first answer - the
  gaps between the k-th end and the (k+1)-th answer``. For up to three answered legs ``MIN``,
  ``MAX`` and ``SUM`` of each give the sorted values exactly; calls with more answered legs (rare:
  repeated transfers) have their answered legs read back by linkedid and are computed the same
  way.

The strings carried through the aggregation are converted to ASCII so MariaDB's in-memory
temporary table stays narrow (its rows are fixed width, each string as wide as its column is
declared, 4 bytes a character in utf8mb4). The strings are also cut to :data:`CAPPED` widths
(uniqueid 48, destination 40, channel 64 characters; the columns allow 150, 80 and 80) and the
tenant code converted to ASCII too, which halves the memory per call (measured 993 -> 510
bytes) and so the number of partitions. Every call says whether one of its legs had a longer
value (1) or a character that is not ASCII in a converted string (2: it would have become
``?``, and two uniqueids differing only there would have merged); if any did, the grouping
starts again, with the declared widths (:data:`DECLARED`, still ASCII) for long values and with
the declared widths and every character as it is (:data:`UNICODE`: utf8mb4 compared by code,
measured 3373 bytes per call) for non-ASCII ones, so neither the cut nor the
conversion ever changes a result. The session's in-memory temporary table limit is raised
(``tmp_mb``, default 1024 MB, this session only) so the grouping does not spill to disk
(measured 2x slower); the calls are split into hash partitions of the call key, as many as keep
each partition in memory, and two partition queries group at once on their own connections,
a third starting while one streams its rows (each scans the table: a bigger ``tmp_mb`` means
fewer scans). The driver's tuples go straight into numpy arrays and are reduced to the report's
tables with integer codes, chunk by chunk.
"""

from __future__ import annotations

import logging
import math
import queue
import re
import threading
import weakref
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from operator import itemgetter

import numpy as np
import pandas as pd

from mirtalib.cdr.sqlagg import NODE_RE, SqlTarget, _where
from mirtalib.errors import DataSourceError

log = logging.getLogger(__name__)

# a leg whose channel is one of a MiRTA extension is not a trunk (mirtalib.cdr.naming)
EXT_RX = "(?-i)^(PJSIP|SIP|IAX2)/[0-9*#]+-[A-Z][A-Z0-9_]*(-[0-9a-fA-F]{8})?$"
TECHS = ("PJSIP", "SIP", "IAX2", "DAHDI", "Dahdi", "OOH323", "H323")
MAX_INLINE = 3  # calls with up to this many answered legs are computed from MIN/MAX/SUM
SEP = "\x01"
COLUMNS = (
    "t0", "t1", "tenant", "outcome", "first", "tkf", "n_ans",
    "a_min", "a_max", "a_sum", "e_min", "e_max", "e_sum", "big_key", "wide",
)  # fmt: skip


def _is_trunk(x: str) -> str:
    """SQL: channel expression ``x`` is an outside (trunk) channel, as in
    :func:`mirtalib.cdr.naming.trunk_of`: a SIP/PJSIP/IAX2/DAHDI/H323 channel with a peer name
    that is not a MiRTA extension. The name itself is cut in Python (:func:`trunk_name`):
    string functions per leg cost MariaDB more than the grouping."""
    techs = ", ".join(f"'{t}'" for t in TECHS)
    tech = f"SUBSTRING_INDEX({x}, '/', 1)"
    return (
        f"(BINARY {tech} IN ({techs}) AND LENGTH({x}) > LENGTH({tech}) + 1 "
        f"AND NOT {x} REGEXP '{EXT_RX}')"
    )


_HEX = frozenset("0123456789abcdefABCDEF")


def trunk_name(channel: str) -> str:
    """Trunk name of a trunk channel: without technology and ``-0000002a`` suffix."""
    peer = channel.partition("/")[2]
    if len(peer) > 9 and peer[-9] == "-" and _HEX.issuperset(peer[-8:]):
        return peer[:-9]
    return peer


_CUT_COLUMNS = (
    ("uniqueid", "uid"), ("linkedid", "uid"), ("dst", "dst"), ("firstdst", "dst"),
    ("channel", "channel"), ("dstchannel", "channel"),
)  # fmt: skip


@dataclass(frozen=True)
class Widths:
    """Characters kept of the strings grouped in MariaDB (None: the columns' declared widths)."""

    uid: int | None = None  # uniqueid, linkedid
    dst: int | None = None  # dst, firstdst
    channel: int | None = None  # channel, dstchannel
    ascii_tenant: bool = False  # the tenant code as ASCII (1 byte a character, not 4)
    ascii: bool = True  # the call key and first-leg strings as ASCII (else utf8mb4, binary)

    def cut(self, expr: str, kind: str) -> str:
        width = getattr(self, kind)
        expr = expr if self.ascii else f"CONVERT({expr} USING utf8mb4)"
        return expr if width is None else f"LEFT({expr}, {width})"

    @property
    def sep(self) -> str:
        """SQL of :data:`SEP` (a character string where the strings are not ASCII)."""
        return "CHAR(1)" if self.ascii else "CHAR(1 USING utf8mb4)"

    def text(self, expr: str) -> str:
        """SQL: a grouped string as ASCII, or as utf8mb4 compared by code."""
        if self.ascii:
            return f"CONVERT({expr} USING ascii)"
        return f"CONVERT({expr} USING utf8mb4) COLLATE utf8mb4_bin"

    def tenant(self, q: SqlTarget) -> str:
        code = q.col("accountcode")
        return f"CONVERT({code} USING ascii)" if self.ascii_tenant else code

    def too_wide(self, q: SqlTarget) -> str:
        """SQL: 2 where a leg has a character that is not ASCII in a string converted to ASCII,
        else 1 where it has a value longer than its width, else 0 (0 when nothing is cut or
        converted)."""
        longer = [
            f"CHAR_LENGTH({q.cols[col]}) > {getattr(self, kind)}"
            for col, kind in _CUT_COLUMNS
            if col in q.cols and getattr(self, kind) is not None
        ]
        converted = [col for col, _ in _CUT_COLUMNS if col in q.cols] if self.ascii else []
        if self.ascii_tenant and "accountcode" in q.cols:
            converted.append("accountcode")
        bytes_per_char = _bytes_per_char(q) if converted else {}
        foreign = []
        for col in converted:
            x, width = q.cols[col], bytes_per_char.get(col)
            if width == 1:  # latin1 and the like: a byte a character, ASCII or not
                foreign.append(f"LENGTH(CONVERT({x} USING utf8mb4)) > CHAR_LENGTH({x})")
            elif width is not None or col not in bytes_per_char:
                foreign.append(f"LENGTH({x}) > CHAR_LENGTH({x})")  # a multi-byte character
        if foreign and longer:
            return (
                f"CASE WHEN {' OR '.join(foreign)} THEN 2 WHEN {' OR '.join(longer)} THEN 1 "
                "ELSE 0 END"
            )
        if foreign:
            return f"COALESCE({' OR '.join(foreign)}, 0) * 2"
        return f"COALESCE({' OR '.join(longer)}, 0)" if longer else "0"


_CHARSETS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _bytes_per_char(q: SqlTarget) -> dict[str, int | None]:
    """Logical column -> most bytes a character of its charset takes (1: latin1 and the like),
    None for ``ascii`` columns (no character to lose), read once per target; unknown columns
    are left out (checked as multi-byte)."""
    found = _CHARSETS.get(q)
    if found is not None:
        return found
    sql = (
        "SELECT c.COLUMN_NAME AS name, c.CHARACTER_SET_NAME AS cs, s.MAXLEN AS maxlen "
        "FROM information_schema.COLUMNS c JOIN information_schema.CHARACTER_SETS s "
        "ON s.CHARACTER_SET_NAME = c.CHARACTER_SET_NAME "
        "WHERE c.TABLE_SCHEMA = DATABASE() AND c.TABLE_NAME = :t"
    )
    frame = q.run(sql, {"t": q.table.strip("`")})
    physical = {str(n).lower(): (str(cs).lower(), int(m)) for n, cs, m in frame.to_numpy()}
    found = {}
    for key, quoted in q.cols.items():
        got = physical.get(quoted.strip("`").lower())
        if got is not None:
            found[key] = None if got[0] == "ascii" else got[1]
    _CHARSETS[q] = found
    return found


DECLARED = Widths()
CAPPED = Widths(uid=48, dst=40, channel=64, ascii_tenant=True)
UNICODE = Widths(ascii=False)


def _call_key(q: SqlTarget, widths: Widths = DECLARED) -> str:
    linkedid, uniqueid = q.col("linkedid"), q.col("uniqueid")
    key = widths.cut(f"COALESCE(NULLIF({linkedid}, ''), {uniqueid})", "uid")
    if widths.ascii:
        return f"CONVERT({key} USING ascii) COLLATE ascii_bin"
    return f"{key} COLLATE utf8mb4_bin"


def grouped_calls_sql(
    q: SqlTarget,
    start: datetime | None = None,
    end: datetime | None = None,
    tenants: Sequence[str] | None = None,
    part: tuple[int, int, int] = (0, 1, 1),
    widths: Widths = DECLARED,
) -> tuple[str, dict]:
    """The one-``GROUP BY`` query (one row per call, :data:`COLUMNS`) and its parameters.

    ``part=(lo, hi, n)``: only the calls whose key hashes to ``lo <= h < hi`` modulo ``n``.
    ``widths``: how much of each string is kept, and whether as ASCII; the ``wide`` column says
    whether a leg of the call had a longer value (1) or a character that is not ASCII in a
    converted string (2): the call's values may then be cut or altered, run again with
    :data:`DECLARED` (1) or :data:`UNICODE` (2).
    """
    if q.kind != "mysql":
        raise ValueError("grouped_calls_sql is for MariaDB/MySQL")
    cond, params = _where(q, start, end, tenants)
    lo, hi, n = (int(x) for x in part)
    if not 0 <= lo < hi <= n:
        raise ValueError(f"part={part}: need 0 <= lo < hi <= n")
    if (lo, hi) != (0, n):
        linkedid, uniqueid = q.col("linkedid"), q.col("uniqueid")
        hashed = f"CRC32(COALESCE(NULLIF({linkedid}, ''), {uniqueid})) % {n}"
        cond = (cond + " AND " if cond else "WHERE ") + f"{hashed} BETWEEN {lo} AND {hi - 1}"
    s = q.secs(q.start)
    dur, bill = q.col("duration", "0"), q.col("billsec", "0")
    disp, uf = q.col("disposition"), q.col("userfield")
    ans = f"{disp} = 'ANSWERED'"  # the columns' collation is case-insensitive, as UPPER() was
    a, e = f"{s} + {dur} - {bill}", f"{s} + {dur}"
    key = (
        f"CONCAT(LPAD({s} + 10000000000, 11, '0'), {widths.cut(q.col('uniqueid'), 'uid')}, "
        f"{widths.sep}, "
        f"LPAD({q.col('sequence', '0')} + 10000000000, 11, '0'))"
    )
    code = f"CASE {uf} WHEN 'IN' THEN 'I' WHEN 'OUT' THEN 'O' WHEN 'LOCAL' THEN 'L' ELSE '-' END"
    firstdst = q.col("firstdst")
    dst = widths.cut(f"CASE WHEN {firstdst} <> '' THEN {firstdst} ELSE {q.col('dst')} END", "dst")
    ch, dch = q.col("channel"), q.col("dstchannel")
    # the key is built only for legs with a trunk (NULL for the others: MIN skips them)
    trunk_leg = (
        f"CASE WHEN {_is_trunk(ch)} THEN CONCAT({key}, 'I', {widths.cut(ch, 'channel')}) "
        f"WHEN {_is_trunk(dch)} THEN CONCAT({key}, 'O', {widths.cut(dch, 'channel')}) END"
    )
    outcome = (
        f"CASE {disp} WHEN 'ANSWERED' THEN 0 WHEN 'NO ANSWER' THEN 1 WHEN 'BUSY' THEN 2 "
        "WHEN 'CONGESTION' THEN 3 WHEN 'FAILED' THEN 4 ELSE 9 END"
    )
    n_ans = f"CAST(SUM({ans}) AS SIGNED)"
    # each aggregate is named once: MariaDB computes an aggregate again for every reference
    # numbers are never NULL (0 where a call has no answered leg: n_ans tells), so the client
    # reads each column straight into a numpy array
    sql = f"""SELECT COALESCE(MIN({s}), 0) AS t0, COALESCE(MAX({e}), 0) AS t1,
  MAX({widths.tenant(q)}) AS tenant, MIN({outcome}) AS outcome,
  MIN({widths.text(f"CONCAT({key}, {code}, {dst})")}) AS first,
  MIN({widths.text(trunk_leg)}) AS tkf,
  COALESCE({n_ans}, 0) AS n_ans,
  COALESCE(MIN(CASE WHEN {ans} THEN {a} END), 0) AS a_min,
  COALESCE(MAX(CASE WHEN {ans} THEN {a} END), 0) AS a_max,
  COALESCE(CAST(SUM(CASE WHEN {ans} THEN {a} END) AS SIGNED), 0) AS a_sum,
  COALESCE(MIN(CASE WHEN {ans} THEN {e} END), 0) AS e_min,
  COALESCE(MAX(CASE WHEN {ans} THEN {e} END), 0) AS e_max,
  COALESCE(CAST(SUM(CASE WHEN {ans} THEN {e} END) AS SIGNED), 0) AS e_sum,
  CASE WHEN {n_ans} > {MAX_INLINE} THEN {_call_key(q, widths)} END AS big_key,
  MAX({widths.too_wide(q)}) AS wide
FROM {q.table} {cond}
GROUP BY {_call_key(q, widths)} ORDER BY NULL
"""
    return sql, params


def union_from_sorted(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Length of the union of intervals given only their sorted starts and sorted ends.

    ``starts`` and ``ends`` are (calls, k) arrays, each row sorted ascending (NaN padding after
    the real values is not allowed: pass equal-k blocks). The union is the span minus the gaps
    between the i-th end and the (i+1)-th start.
    """
    span = ends[:, -1] - starts[:, 0]
    gaps = np.clip(starts[:, 1:] - ends[:, :-1], 0, None).sum(axis=1)
    return span - gaps


def _inline_billable(rows) -> np.ndarray:
    """Billable seconds of calls with 0..3 answered legs, from MIN/MAX/SUM of answers and ends.

    ``rows``: a DataFrame or a dict of sequences with ``n_ans`` and the six aggregates
    (NULL/None where a call has no answered leg).
    """
    n = np.nan_to_num(np.asarray(rows["n_ans"], dtype="float64")).astype("int64")
    out = np.zeros(len(n), dtype="int64")
    cols = {c: np.asarray(rows[c], dtype="float64") for c in COLUMNS[7:13]}
    for k in (1, 2, 3):
        m = n == k
        if not m.any():
            continue
        lo_a, hi_a, sum_a = cols["a_min"][m], cols["a_max"][m], cols["a_sum"][m]
        lo_e, hi_e, sum_e = cols["e_min"][m], cols["e_max"][m], cols["e_sum"][m]
        if k == 1:
            starts, ends = sum_a[:, None], sum_e[:, None]
        elif k == 2:
            starts, ends = np.c_[lo_a, hi_a], np.c_[lo_e, hi_e]
        else:
            starts = np.c_[lo_a, sum_a - lo_a - hi_a, hi_a]
            ends = np.c_[lo_e, sum_e - lo_e - hi_e, hi_e]
        out[m] = union_from_sorted(starts, ends).round().astype("int64")
    return out


_DIRS = {"I": "IN", "O": "OUT", "L": "LOCAL"}
_NODE = re.compile(NODE_RE)  # the SQL paths' rule


class _Dims:
    """Codes for the (tenant, direction, node, trunk) of calls, shared by all chunks."""

    def __init__(self) -> None:
        self.codes: dict[tuple[str, str, str, str], int] = {}
        self.nodes: dict[str, str] = {}

    def node(self, uid: str) -> str:
        """Node name from a uniqueid ``<node>-<epoch>.<n>`` (NODE_RE), else ""."""
        prefix, dash, rest = uid.partition("-")
        epoch, dot, seq = rest.partition(".")
        if not (dash and dot and epoch.isdigit() and seq.isdigit() and rest.isascii()):
            return ""
        ok = self.nodes.get(prefix)
        if ok is None:  # one regex per distinct prefix, not per call
            ok = self.nodes[prefix] = prefix if _NODE.match(prefix + "-0.0") else ""
        return ok

    def parse(self, tenants, firsts, tkfs) -> tuple[np.ndarray, list[str | None]]:
        """Dimension code of every call, and its destination (None unless outbound).

        The hot loop of the MariaDB path (one pass per call): plain string operations only.
        """
        codes, dsts = [], []
        lookup, node_of, dirs, hexdigits = self.codes.get, self.node, _DIRS, _HEX
        for tenant, first, tkf in zip(tenants, firsts, tkfs):  # noqa: B905 - iterators
            if not isinstance(first, str):
                first = ""
            cut = first.find(SEP) + 12  # end of "<start:11><uniqueid>\x01<sequence:11>"
            direction = dirs.get(first[cut : cut + 1])
            trunk = ""
            if isinstance(tkf, str):
                tcut = tkf.find(SEP) + 12  # its own key: another leg's uniqueid may be longer
                peer = tkf[tcut + 1 :].partition("/")[2]
                if len(peer) > 9 and peer[-9] == "-" and hexdigits.issuperset(peer[-8:]):
                    peer = peer[:-9]
                trunk = peer
                if direction is None:
                    if tkf[:tcut] == first[:cut]:  # the first leg is the one with the trunk
                        direction = "IN" if tkf[tcut : tcut + 1] == "I" else "OUT"
                    else:
                        direction = "LOCAL"
            elif direction is None:
                direction = "LOCAL"
            dim = (
                tenant if isinstance(tenant, str) else "",
                direction,
                node_of(first[11 : cut - 12]),
                trunk,
            )
            code = lookup(dim)
            if code is None:
                code = self.codes[dim] = len(self.codes)
            codes.append(code)
            dsts.append(first[cut + 1 :] if direction == "OUT" else None)
        return np.array(codes, dtype="int64"), dsts

    def table(self) -> pd.DataFrame:
        """tenant, direction, node, trunk by code."""
        return pd.DataFrame(list(self.codes), columns=["tenant", "direction", "node", "trunk"])

    def groups(self, dim: str) -> tuple[np.ndarray, list[str]]:
        """For a concurrency dimension (tenant, node, trunk): the group number of every code
        (stable as codes are added) and the group names by number."""
        col = ("tenant", "direction", "node", "trunk").index(dim)
        names: dict[str, int] = {}
        numbers = [names.setdefault(dim_[col], len(names)) for dim_ in self.codes]
        return np.array(numbers, dtype="int64"), list(names)


def _big_billable(
    q: SqlTarget,
    keys: list[str],
    n_ans: dict[str, int],
    start: datetime | None,
    end: datetime | None,
    tenants: Sequence[str] | None,
    widths: Widths = DECLARED,
) -> dict[str, int]:
    """Billable seconds of the calls with many answered legs, from their answered legs (keyed as
    they were grouped with ``widths``)."""
    cond, params = _where(q, start, end, tenants)
    s = q.secs(q.start)
    dur, bill = q.col("duration", "0"), q.col("billsec", "0")
    base = f"{q.col('disposition')} = 'ANSWERED'" + (" AND " + cond[6:] if cond else "")
    found: dict[str, list[tuple[int, int]]] = {}
    for lookup in ("linkedid", "uniqueid"):
        todo = [k for k in keys if len(found.get(k, ())) < n_ans[k]]
        if lookup == "uniqueid":
            for k in todo:  # legs without linkedid are grouped by uniqueid: read them again
                found.pop(k, None)
        for i in range(0, len(todo), 1000):
            batch = todo[i : i + 1000]
            marks = ", ".join(f":k{j}" for j in range(len(batch)))
            only = "" if lookup == "linkedid" else f"AND COALESCE({q.col('linkedid')}, '') = '' "
            sql = (
                f"SELECT {_call_key(q, widths)} AS k, {s} + {dur} - {bill} AS a, {s} + {dur} AS e "
                f"FROM {q.table} WHERE {base} {only}AND {q.cols[lookup]} IN ({marks})"
            )
            frame = q.run(sql, {**params, **{f"k{j}": k for j, k in enumerate(batch)}})
            for k, a, e in frame.itertuples(index=False):
                found.setdefault(str(k), []).append((int(a), int(e)))
    out = {}
    for k in keys:
        legs = found.get(k, [])
        if len(legs) != n_ans[k]:
            raise DataSourceError(
                f"{q.description}: call {k!r}: {n_ans[k]} answered legs grouped, "
                f"{len(legs)} read back"
            )
        starts = np.sort(np.array([a for a, _ in legs], dtype="float64"))[None, :]
        ends = np.sort(np.array([e for _, e in legs], dtype="float64"))[None, :]
        out[k] = int(union_from_sorted(starts, ends)[0].round())
    return out


def _tdiv(a: np.ndarray, b: int) -> np.ndarray:
    """Integer division truncating toward zero, as SQL ``DIV`` does."""
    return np.sign(a) * (np.abs(a) // b)


class _Events:
    """Concurrency events (+1 at a call's start, -1 at its end) per group and second, summed;
    compacted as they grow so memory follows distinct (group, second) pairs, not calls."""

    SHIFT = 2**34  # seconds since 2000 (offset by 2**33) fit below; groups above

    def __init__(self) -> None:
        self.keys: list[np.ndarray] = []
        self.sums: list[np.ndarray] = []
        self.pending = 0

    def add(self, groups: np.ndarray, t0: np.ndarray, t1: np.ndarray) -> None:
        base = groups * self.SHIFT + 2**33
        keys = np.concatenate([base + t0, base + t1])
        ones = np.ones(len(t0), dtype="int32")
        self._push(keys, np.concatenate([ones, -ones]))

    def _push(self, keys: np.ndarray, d: np.ndarray) -> None:
        if not len(keys):
            return
        uniq, inverse = np.unique(keys, return_inverse=True)
        self.keys.append(uniq)
        self.sums.append(np.bincount(inverse, weights=d, minlength=len(uniq)).astype("int32"))
        self.pending += len(uniq)
        if len(self.keys) > 1 and self.pending > 2 * max(len(self.keys[0]), 1_000_000):
            self.compact()

    def compact(self) -> None:
        if len(self.keys) > 1:
            keys, d = np.concatenate(self.keys), np.concatenate(self.sums)
            self.keys, self.sums, self.pending = [], [], 0
            self._push(keys, d)
            self.pending = 0

    def minutes(self) -> tuple[np.ndarray, ...]:
        """Per (group, minute): group, minute, top level, first second at top, net change."""
        self.compact()
        if not self.keys or not len(self.keys[0]):
            empty = np.array([], dtype="int64")
            return empty, empty, empty, empty, empty
        keys, d = self.keys[0], self.sums[0]
        g, t = keys // self.SHIFT, keys % self.SHIFT - 2**33
        level = np.cumsum(d, dtype="int64")
        g_start = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
        before = np.r_[0, level[:-1]][g_start]  # level carried over from earlier groups
        level = level - np.repeat(before, np.diff(np.r_[g_start, len(g)]))
        m = _tdiv(t, 60)
        run = np.flatnonzero(np.r_[True, (g[1:] != g[:-1]) | (m[1:] != m[:-1])])
        top = np.maximum.reduceat(level, run)
        at_top = np.where(level == np.repeat(top, np.diff(np.r_[run, len(g)])), t, 2**62)
        return g[run], m[run], top, np.minimum.reduceat(at_top, run), np.add.reduceat(d, run)


# Size of one call in MariaDB's in-memory temporary table (fixed-width rows: the call key, the
# two first-leg strings, tenant, the numbers, hash index) by string widths, measured on the
# demo month (993, 510 and 3373 bytes) and rounded up, and calls per CDR row (the
# demo month: 0.64). Used only to choose how many partitions keep each partition's grouping in
# memory.
BYTES_PER_CALL = {DECLARED: 1000, CAPPED: 560, UNICODE: 3500}
CALLS_PER_ROW = 0.7


def partitions(
    q: SqlTarget, tmp_bytes: int, workers: int, widths: Widths = DECLARED
) -> list[tuple[int, int, int]]:
    """Hash partitions of the call keys, each small enough for the in-memory temporary table.

    Every partition query scans the whole table, so there are as few as memory allows, at
    least one per worker. When the largest of unequal shares (1, 2, ... parts) fits, the shares
    are unequal, so the first is done early and reduced while the database still groups the
    others; otherwise equal, a multiple of ``workers``. The number of rows is the server's
    estimate. Spilling to disk measured 2x slower.
    """
    size = q.estimate_rows() * CALLS_PER_ROW * BYTES_PER_CALL[widths]
    total = workers * (workers + 1) // 2
    if size * workers / total <= tmp_bytes:
        return [(i * (i + 1) // 2, (i + 1) * (i + 2) // 2, total) for i in range(workers)]
    needed = math.ceil(size / max(tmp_bytes, 1))
    needed = workers * math.ceil(needed / workers)
    return [(i, i + 1, needed) for i in range(needed)]


def _parallel_rows(
    q: SqlTarget,
    start: datetime | None,
    end: datetime | None,
    tenants: Sequence[str] | None,
    chunksize: int,
    session: list[str],
    workers: int,
    tmp_bytes: int,
    widths: Widths,
) -> Iterator[list[tuple]]:
    """Chunks of grouped rows from the partition queries.

    At most ``workers`` queries group at once (MariaDB builds a query's temporary table before
    its first row; each uses one core). A query whose rows stream no longer groups, so one more
    query may start grouping meanwhile: at most ``workers + 1`` queries, and their temporary
    tables, are alive at once. The rows are read one query after the other, in the order their
    grouping finished, so the first query to finish frees its place for the next one as soon as
    possible. (Before, the workers grouped and then streamed in step, and the server's cores
    idled while Python reduced the rows: 69 s at 10 M rows, 62-66 s with this.)
    """
    workers = max(1, int(workers))
    shares = partitions(q, tmp_bytes, workers, widths)
    if len(shares) == 1:
        sql, params = grouped_calls_sql(q, start, end, tenants, widths=widths)
        yield from q.stream_rows(sql, params, chunksize, session)
        return
    todo: queue.SimpleQueue = queue.SimpleQueue()
    for part in shares:
        todo.put(part)
    grouping = threading.Semaphore(workers)
    streams: queue.SimpleQueue = queue.SimpleQueue()  # one chunk queue per query, as grouped
    stop = threading.Event()
    end_of_rows = object()

    def put(chunks: queue.Queue, item) -> bool:
        while not stop.is_set():
            try:
                chunks.put(item, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    def run(part: tuple[int, int, int]) -> None:
        """One partition query: group (holding a grouping slot), then stream its rows."""
        while not grouping.acquire(timeout=0.2):
            if stop.is_set():
                return
        held = True
        chunks: queue.Queue = queue.Queue(maxsize=2)  # each chunk is tens of MB of tuples
        try:
            sql, params = grouped_calls_sql(q, start, end, tenants, part, widths)
            for rows in q.stream_rows(sql, params, chunksize, session):
                if held:  # grouped: the rows stream from now on
                    grouping.release()
                    held = False
                    streams.put(chunks)
                if not put(chunks, rows):
                    return
            item = end_of_rows
        except BaseException as exc:  # handed to the consumer, raised there
            item = exc
        finally:
            if held:
                grouping.release()
                streams.put(chunks)
        put(chunks, item)

    def pump() -> None:
        while not stop.is_set():
            try:
                part = todo.get_nowait()
            except queue.Empty:
                return
            run(part)

    threads = [threading.Thread(target=pump, daemon=True) for _ in range(workers + 1)]
    for t in threads:
        t.start()
    try:
        for _ in shares:
            chunks = streams.get()
            while (item := chunks.get()) is not end_of_rows:
                if isinstance(item, BaseException):
                    raise item
                yield item
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=30)


def report_aggregates(
    q: SqlTarget,
    start: datetime | None = None,
    end: datetime | None = None,
    tenants: Sequence[str] | None = None,
    short_s: int = 6,
    top_n: int = 10,
    chunksize: int = 50_000,
    tmp_mb: int = 1024,
    workers: int = 2,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The call cube, top destinations and concurrency minutes of
    :func:`mirtalib.cdr.onepass.report_aggregates`, from one ``GROUP BY`` in MariaDB/MySQL.

    The per-call rows are streamed (server-side cursor) and reduced chunk by chunk with
    integer codes: memory follows the distinct (dimension, hour) cells, destinations and
    (group, second) concurrency events, not the calls. ``workers`` queries group at once on
    their own connections (and one more while a query streams its rows), each the calls of
    one hash partition of the call keys (a call never spans two); MariaDB runs each query on
    one core. Strings are grouped cut to
    :data:`CAPPED` widths, as ASCII; where a leg has a longer value, everything is grouped again
    with the declared widths, and where a leg has a character that is not ASCII, with the
    declared widths and every character (logged), so the results never depend on the cut or
    the conversion.
    """
    args = (q, start, end, tenants, short_s, top_n, chunksize, tmp_mb, workers)
    widths = CAPPED
    while True:
        try:
            return _report_aggregates(*args, widths=widths)
        except _TooWide as exc:
            if widths is UNICODE:  # nothing is cut or converted there: cannot happen
                raise DataSourceError(f"{q.description}: {exc}") from exc
            widths = UNICODE if exc.foreign or widths is DECLARED else DECLARED
            how = "and characters" if widths is UNICODE else ""
            log.info(
                "%s: %s; grouping again with the columns' declared widths %s",
                q.description, exc, how,
            )  # fmt: skip


class _TooWide(Exception):
    """A grouped call had a value longer than the widths it was grouped with, or a character
    that is not ASCII in a string grouped as ASCII (``foreign``)."""

    def __init__(self, message: str, foreign: bool) -> None:
        super().__init__(message)
        self.foreign = foreign


def _report_aggregates(
    q: SqlTarget,
    start: datetime | None,
    end: datetime | None,
    tenants: Sequence[str] | None,
    short_s: int,
    top_n: int,
    chunksize: int,
    tmp_mb: int,
    workers: int,
    widths: Widths,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    from mirtalib.cdr import onepass

    size = tmp_mb << 20
    session = [f"SET SESSION tmp_table_size = {size}, max_heap_table_size = {size}"]
    dims = _Dims()
    cube_parts: list[pd.DataFrame] = []
    dst: dict[tuple[str, str], list[int]] = {}
    events = {dim: _Events() for dim in ("all", "tenant", "node", "trunk")}
    held: list[pd.DataFrame] = []

    def reduce(codes, dsts, outcome, billable, t0, t1) -> None:
        day = _tdiv(t0, 86400)
        hour = _tdiv(t0 - 86400 * day, 3600)
        frame = pd.DataFrame(
            {
                "code": codes,
                "day": day,
                "hour": hour,
                "outcome": outcome,
                "calls": 1,
                "billable": billable,
                "duration": t1 - t0,
                "short": ((outcome == 0) & (billable < short_s)).astype("int64"),
            }
        )
        keys = ["code", "day", "hour", "outcome"]
        cube_parts.append(frame.groupby(keys, sort=False).sum().reset_index())
        tenant_of = [dim[0] for dim in dims.codes]
        for i in np.flatnonzero([d is not None for d in dsts]):
            tally = dst.setdefault((tenant_of[codes[i]], dsts[i]), [0, 0, 0])
            tally[0] += 1
            tally[1] += int(outcome[i] == 0)
            tally[2] += int(billable[i])
        span = t1 > t0
        for dim, ev in events.items():
            if dim == "all":
                ev.add(np.zeros(int(span.sum()), dtype="int64"), t0[span], t1[span])
                continue
            number, names = dims.groups(dim)
            keep = span
            if dim == "trunk":
                keep = span & np.array([n != "" for n in names], dtype=bool)[number[codes]]
            ev.add(number[codes][keep], t0[keep], t1[keep])

    chunks = _parallel_rows(q, start, end, tenants, chunksize, session, workers, size, widths)
    for rows in chunks:
        n = len(rows)
        col = {
            name: np.fromiter(map(itemgetter(i), rows), dtype="int64", count=n)
            for i, name in enumerate(COLUMNS)
            if name not in ("tenant", "first", "tkf", "big_key")
        }
        if col["wide"].any():
            chunks.close()  # stops the partition queries
            foreign = bool((col["wide"] >= 2).any())
            what = "a character that is not ASCII" if foreign else "a value longer than"
            raise _TooWide(f"a leg has {what} {widths}", foreign)
        codes, dsts = dims.parse(
            map(itemgetter(2), rows), map(itemgetter(4), rows), map(itemgetter(5), rows)
        )
        n_ans = col["n_ans"]
        billable = _inline_billable(col)
        outcome, t0, t1 = col["outcome"], col["t0"], col["t1"]
        big = n_ans > MAX_INLINE
        if big.any():
            held.append(
                pd.DataFrame(
                    {"code": codes[big], "dst": np.array(dsts, dtype=object)[big],
                     "key": np.array([r[13] for r in rows], dtype=object)[big].astype("str"),
                     "n": n_ans[big], "outcome": outcome[big], "t0": t0[big], "t1": t1[big]}
                )
            )  # fmt: skip
            ok = ~big
            dsts = [d for d, keep in zip(dsts, ok, strict=True) if keep]
            codes, outcome, billable, t0, t1 = (x[ok] for x in (codes, outcome, billable, t0, t1))
        reduce(codes, dsts, outcome, billable, t0, t1)
    if held:
        rest = pd.concat(held, ignore_index=True)
        keys = rest["key"].tolist()
        log.info("%s: %d calls with more than %d answered legs", q.description, len(keys),
                 MAX_INLINE)  # fmt: skip
        n_ans = dict(zip(keys, rest["n"].astype(int), strict=True))
        billable = _big_billable(q, keys, n_ans, start, end, tenants, widths)
        reduce(
            rest["code"].to_numpy(dtype="int64"),
            rest["dst"].tolist(),
            rest["outcome"].to_numpy(dtype="int64"),
            np.array([billable[k] for k in keys], dtype="int64"),
            rest["t0"].to_numpy(dtype="int64"),
            rest["t1"].to_numpy(dtype="int64"),
        )
    return (
        _final_cube(cube_parts, dims.table(), onepass),
        _final_top(dst, top_n, onepass),
        _final_minutes(events, dims),
    )


def _final_cube(parts: list[pd.DataFrame], table: pd.DataFrame, onepass) -> pd.DataFrame:
    cols = ["calls", "billable", "duration", "short"]
    keys = ["code", "day", "hour", "outcome"]
    if not parts:
        return onepass._cube([])
    cube = pd.concat(parts).groupby(keys, sort=False)[cols].sum().reset_index()
    cube = pd.concat([table.iloc[cube["code"]].reset_index(drop=True), cube], axis=1)
    cube = cube.set_index(["tenant", "direction", "node", "trunk", "day", "hour", "outcome"])
    return onepass._cube([cube[cols]])


def _final_top(dst: dict, top_n: int, onepass) -> pd.DataFrame:
    if not dst:
        return onepass._top([], top_n)
    index = pd.MultiIndex.from_tuples(list(dst), names=["tenant", "dst"])
    per = pd.DataFrame(list(dst.values()), index=index, columns=["calls", "answered", "billable"])
    return onepass._top([per], top_n)


def _final_minutes(events: dict, dims: _Dims) -> pd.DataFrame:
    frames = []
    for dim, ev in events.items():
        g, m, top, at, net = ev.minutes()
        names = np.array([""] if dim == "all" else dims.groups(dim)[1], dtype=object)
        frames.append(
            pd.DataFrame({"dim": dim, "g": names[g], "m": m, "top": top, "top_at": at, "net": net})
        )
    out = pd.concat(frames, ignore_index=True)
    out = out.sort_values(["dim", "g", "m"], ignore_index=True)
    for col in ("m", "top", "top_at", "net"):
        out[col] = out[col].astype("int64")
    out["dim"] = out["dim"].astype("str")
    out["g"] = out["g"].fillna("").astype("str")
    return out[["dim", "g", "m", "top", "top_at", "net"]]
