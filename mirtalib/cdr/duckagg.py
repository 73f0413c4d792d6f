"""Master.csv at scale: the report's aggregates computed by DuckDB straight from the files.

:func:`load_legs` parses Master.csv line by line in Python (exact reject reasons and line numbers)
and holds every leg in memory: right for a month of one PBX, too slow and too big for tens of
millions of rows. Here DuckDB reads the same files (plain, gzip, rotated, several column
variants) in parallel, streams them through the SQL of :mod:`mirtalib.cdr.sqlagg`, and only the
aggregates come back. Unusable lines are still counted per reason: DuckDB's own CSV errors
(``store_rejects``: wrong column count, broken quotes, bad encoding) and the rows whose values
fail the same checks as :func:`mirtalib.cdr.legs.validate`.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import weakref
from collections.abc import Iterable
from pathlib import Path

import duckdb
import pandas as pd

from mirtalib.cdr import legs as L
from mirtalib.cdr.mastercsv import UNIQUEID_RE, _split_fields, expand_sources, layout_for
from mirtalib.cdr.sqlagg import SqlTarget
from mirtalib.data.schema import DISPOSITIONS
from mirtalib.errors import DataSourceError

log = logging.getLogger(__name__)

ALL_COLUMNS = (
    "accountcode", "src", "dst", "dcontext", "clid", "channel", "dstchannel", "lastapp",
    "lastdata", "start", "answer", "end", "duration", "billsec", "disposition", "amaflags",
    "uniqueid", "userfield", "peeraccount", "linkedid", "sequence",
)  # fmt: skip
_DUCK_REASONS = {
    "MISSING COLUMNS": L.R_COLUMN_COUNT,
    "TOO MANY COLUMNS": L.R_COLUMN_COUNT,
    "UNQUOTED VALUE": L.R_BROKEN_QUOTES,
    "INVALID ENCODING": L.R_BAD_ENCODING,
    "INVALID UNICODE": L.R_BAD_ENCODING,
    "LINE SIZE OVER MAXIMUM": L.R_BROKEN_QUOTES,
    "CAST": L.R_BAD_TIMESTAMP,
}


def sniff_layout(path: Path, sample: int = 200) -> tuple[str, ...]:
    """Column names of a Master.csv file from its first well-formed lines."""
    import gzip

    opener = gzip.open if path.suffix == ".gz" else open
    counts: dict[int, int] = {}
    extra: list[str] = []
    with opener(path, "rt", encoding="utf-8", errors="replace") as fh:
        for i, line in enumerate(fh):
            if i >= sample:
                break
            fields = _split_fields(line.rstrip("\r\n"))
            if fields:
                counts[len(fields)] = counts.get(len(fields), 0) + 1
                if len(fields) > 16 and fields[16]:
                    extra.append(fields[16])
    if not counts:
        raise DataSourceError(f"{path.name}: no readable Master.csv line")
    width = max(counts, key=lambda k: (counts[k], k))
    is_uid = sum(bool(UNIQUEID_RE.match(v)) for v in extra) * 2 >= len(extra)
    return layout_for(width, is_uid)


def _quote(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def csv_target(
    source: str | Path | Iterable[str | Path],
    threads: int | None = None,
    memory_mb: int = 512,
) -> SqlTarget:
    """A :class:`~mirtalib.cdr.sqlagg.SqlTarget` over Master.csv files, read by DuckDB.

    The relation ``cdr`` holds the checked rows; ``reject_counts(target)`` gives the rest.
    Files in a layout without linkedid (16 to 19 columns) are refused: see the check below.
    DuckDB may use ``memory_mb`` (default 512 MB; its own default is 80 % of the machine) and
    spills the rest to a temporary folder, so a 10-million-row month stays under 1 GB
    (measured at 10 M rows: 680 MB peak with 512, 935 MB with 768, in the same time).
    """
    files = expand_sources(source)
    con = duckdb.connect()
    spill = tempfile.mkdtemp(prefix="mirta-duckdb-")
    weakref.finalize(con, shutil.rmtree, spill, True)
    con.execute(f"SET memory_limit = '{int(memory_mb)}MB'")
    con.execute(f"SET temp_directory = {_quote(Path(spill))}")
    con.execute("SET preserve_insertion_order = false")
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    by_layout: dict[tuple[str, ...], list[Path]] = {}
    for path in files:
        by_layout.setdefault(sniff_layout(path), []).append(path)
    for layout, paths in by_layout.items():
        if "linkedid" not in layout:
            # the SQL groups legs by linkedid (else uniqueid); without linkedid only the Local
            # and overlap rules of mirtalib.cdr.calls join a call's legs (real Asterisk 22,
            # 18 columns: 86 "calls" for 24)
            raise DataSourceError(
                f"{paths[0].name}: {len(layout)}-column Master.csv has no linkedid, so its legs "
                "cannot be grouped into calls here: use load_legs() and to_calls()"
            )
    parts = []
    for n, (layout, paths) in enumerate(sorted(by_layout.items())):
        cols = "{" + ", ".join(f"'{c}': 'VARCHAR'" for c in layout) + "}"
        listing = "[" + ", ".join(_quote(p) for p in paths) + "]"
        con.execute(
            f"CREATE VIEW raw{n} AS SELECT * FROM read_csv({listing}, header = false, "
            f"delim = ',', quote = '\"', escape = '\"', columns = {cols}, "
            f"store_rejects = true, rejects_table = 'rej{n}', rejects_scan = 'scan{n}', "
            f"strict_mode = true, parallel = true)"
        )
        present = set(layout)
        select = ", ".join(
            f'"{c}"' if c in present else f'NULL::VARCHAR AS "{c}"' for c in ALL_COLUMNS
        )
        parts.append(f"SELECT {select} FROM raw{n}")
    disp = ", ".join(f"'{d}'" for d in DISPOSITIONS)
    con.execute(
        f"CREATE VIEW typed AS SELECT *, "
        f"TRY_CAST(NULLIF(start_s, '') AS TIMESTAMP) AS start, "
        f"TRY_CAST(NULLIF(answer_s, '') AS TIMESTAMP) AS answer, "
        f"TRY_CAST(NULLIF(end_s, '') AS TIMESTAMP) AS \"end\", "
        f"TRY_CAST(duration_s AS BIGINT) AS duration, TRY_CAST(billsec_s AS BIGINT) AS billsec, "
        f"TRY_CAST(sequence_s AS BIGINT) AS sequence "
        f'FROM (SELECT * RENAME (start AS start_s, answer AS answer_s, "end" AS end_s, '
        f"duration AS duration_s, billsec AS billsec_s, sequence AS sequence_s) "
        f"FROM ({' UNION ALL '.join(parts)}))"
    )
    con.execute(
        f"CREATE VIEW checked AS SELECT *, CASE "
        f"WHEN (start IS NULL AND start_s <> '') OR (answer IS NULL AND answer_s <> '') "
        f"OR (\"end\" IS NULL AND end_s <> '') THEN '{L.R_BAD_TIMESTAMP}' "
        f"WHEN duration IS NULL OR billsec IS NULL THEN '{L.R_BAD_NUMBER}' "
        f"WHEN start IS NULL THEN '{L.R_MISSING_START}' "
        f"WHEN UPPER(TRIM(disposition)) NOT IN ({disp}) THEN '{L.R_UNKNOWN_DISPOSITION}' "
        f"WHEN billsec < 0 THEN '{L.R_NEGATIVE_BILLSEC}' "
        f"WHEN duration < 0 THEN '{L.R_NEGATIVE_DURATION}' "
        f"WHEN answer < start THEN '{L.R_ANSWER_BEFORE_START}' END AS reason FROM typed"
    )
    con.execute("CREATE VIEW cdr AS SELECT * FROM checked WHERE reason IS NULL")
    cols = {c: f'"{c}"' for c in ALL_COLUMNS}

    def run(sql: str, params: dict) -> pd.DataFrame:
        return con.execute(sql, params).df()

    target = SqlTarget("duckdb", "cdr", cols, '"start"', ", ".join(p.name for p in files), run)
    target.connection = con  # type: ignore[attr-defined]
    target.n_views = len(parts)  # type: ignore[attr-defined]
    return target


def reject_counts(target: SqlTarget) -> pd.DataFrame:
    """Rows not used, per reason: DuckDB's CSV errors and the failed value checks.

    Call after a query has scanned the files (DuckDB fills its reject tables while reading).
    """
    con = target.connection  # type: ignore[attr-defined]
    checked = con.execute(
        "SELECT reason, COUNT(*) AS n FROM checked WHERE reason IS NOT NULL GROUP BY reason"
    ).df()
    rows = dict(zip(checked["reason"], checked["n"], strict=True))
    for n in range(target.n_views):  # type: ignore[attr-defined]
        try:
            errs = con.execute(  # every scan of the files appends: count distinct lines
                f"SELECT error_type, COUNT(DISTINCT (file_id, line)) AS n FROM rej{n} GROUP BY 1"
            ).df()
        except duckdb.Error:
            continue  # the files of this layout were never scanned
        for kind, count in zip(errs["error_type"], errs["n"], strict=True):
            reason = _DUCK_REASONS.get(str(kind).upper(), str(kind).lower())
            rows[reason] = rows.get(reason, 0) + int(count)
    out = pd.DataFrame({"reason": list(rows), "rows": [int(v) for v in rows.values()]})
    out["reason"] = out["reason"].astype("str")
    return out.sort_values(["rows", "reason"], ascending=[False, True], ignore_index=True)
