"""Benchmark of the CDR report's data work at scale: MariaDB and Master.csv, ours vs baselines.

Usage::

    .venv/bin/python benchmarks/cdr_bench.py --rows 1000000            # 1M CDR rows
    .venv/bin/python benchmarks/cdr_bench.py --rows 1000000,10000000 --json out.json  # + growth
    .venv/bin/python benchmarks/cdr_bench.py --rows 20000 --base-scale 0.2   # smoke run (tests)

Data: the demo generator writes one month (``--base-scale``, 3.2 = about 100k CDR rows) into a
fresh MariaDB database on 127.0.0.1:3306 (root) and a Master.csv; both are then replicated
server-side / by DuckDB until ``--rows`` is reached, every copy with its own uniqueids and
linkedids (same times: the PBX simply gets k times busier). The database is dropped at the end.

Measured, each in its own process (wall time after the common imports, and peak RSS of that
process sampled every 50 ms):

* ``db_scan``: the anchor: one plain ``GROUP BY tenant, day`` scan of the table in MariaDB,
  its rows read (every index ignored).
* ``db_index_scan``: the same statement as MariaDB runs it by itself here, from the
  ``(accountcode, start)`` index alone (a quarter of the table's bytes): shown beside it.
* ``db_read``: the engine's SELECT streamed through ConnectorX and dropped: what reading the
  rows costs any engine that reads them, before any work on them.
* ``db_sql``: the report's sql engine (:mod:`mirtalib.cdr.engine`: the rows read once through
  ConnectorX as Arrow batches, calls and every table in DuckDB capped at 512 MB).
* ``db_pandas``: the report's pandas engine, the readable reference: every
  table of ``db_sql`` and ``csv_ours`` must have the same digest (skipped where the naive
  baseline would not fit in memory).
* ``db_naive``: the baseline: ``SELECT *`` of every row into pandas, then the same tables there
  (calls by linkedid, cube, concurrency, top destinations).
* ``csv_ours``: the report's sql engine on the Master.csv (DuckDB's CSV reader, reject checks
  included).
* ``csv_duckdb``: DuckDB's own time for the aggregates on the same file (auto-detected CSV,
  legs grouped by linkedid, the cube; no checks): the reference for the csv path.
* ``db_daily``: the scheduled month-to-date report with ``cache="on"``: yesterday's run (the
  month up to day 30, not timed) leaves the calls in a cache file; then, timed one after the
  other in the same process, the run up to day 31 (reads the rows added since) and a full run
  of the same period without the cache. Their tables must be identical.

The tables of ``db_sql``, ``db_naive`` and ``csv_ours`` are compared: the run fails if they differ.
"""

from __future__ import annotations

import argparse
import json
import math
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve()
HOST, PORT = "127.0.0.1", 3306


def _url(db: str) -> str:
    # no driver named: mysqlclient when installed, else PyMySQL (mirtalib.settings), for both
    return f"mysql://root@{HOST}:{PORT}/{db}"


def _admin():
    import pymysql

    return pymysql.connect(host=HOST, port=PORT, user="root", autocommit=True)


# --------------------------------------------------------------------------------- data
def build_data(rows: int, base_scale: float, work: Path) -> tuple[str, Path, int, int]:
    """Create the database and the Master.csv of about ``rows`` CDR rows.

    Returns:
        (database name, Master.csv path, rows in the database, copies).
    """
    import duckdb

    from mirtalib.demo.build import build_demo
    from mirtalib.demo.paths import DemoPaths

    name = f"mirta_bench_{secrets.token_hex(4)}"
    with _admin().cursor() as cur:
        cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    paths = DemoPaths(work / "demo")
    model = build_demo(paths, scale=base_scale, db_url=_url(name), plugins=False)
    copies = max(1, math.ceil(rows / model.n_legs))
    conn = _admin()
    with conn.cursor() as cur:
        cur.execute(f"USE `{name}`")
        if copies > 1:
            cur.execute("RENAME TABLE cdr TO cdr_base")
            cur.execute("CREATE TABLE cdr LIKE cdr_base")
            cur.execute("SHOW COLUMNS FROM cdr_base")
            cols = [r[0] for r in cur.fetchall()]

            def shifted(col: str, k: int) -> str:
                if col not in ("uniqueid", "linkedid", "prevuniqueid"):
                    return f"`{col}`"
                return (
                    f"IF(`{col}` LIKE '%.%', CONCAT(SUBSTRING_INDEX(`{col}`, '.', 1), '.', "
                    f"CAST(SUBSTRING_INDEX(`{col}`, '.', -1) AS UNSIGNED) + {k * 10**8}), "
                    f"`{col}`)"
                )

            for k in range(copies):
                select = ", ".join(shifted(c, k) for c in cols)
                cur.execute(
                    f"INSERT INTO cdr ({', '.join(f'`{c}`' for c in cols)}) "
                    f"SELECT {select} FROM cdr_base"
                )
            cur.execute("DROP TABLE cdr_base")
        cur.execute("SELECT COUNT(*) FROM cdr")
        n_db = int(cur.fetchone()[0])
    conn.close()
    big = work / "Master.csv"
    if copies == 1:
        shutil.copy(paths.master_csv, big)
    else:
        con = duckdb.connect()
        from mirtalib.cdr.engine import ALL_COLUMNS

        spec = "{" + ", ".join(f"'{c}': 'VARCHAR'" for c in ALL_COLUMNS) + "}"
        src = str(paths.master_csv).replace("'", "''")
        ints = {"duration", "billsec", "sequence"}
        times = {"start", "answer", "end"}

        def shifted_csv(col: str) -> str:
            if col in ("uniqueid", "linkedid"):
                return (
                    f"split_part(\"{col}\", '.', 1) || '.' || "
                    f"(CAST(split_part(\"{col}\", '.', 2) AS BIGINT) + k * 100000000)"
                )
            return f'"{col}"'

        select = ", ".join(f'{shifted_csv(c)} AS "{c}"' for c in ALL_COLUMNS)
        quoted = ", ".join(f'"{c}"' for c in ALL_COLUMNS if c not in ints | times)
        con.execute(
            f"COPY (SELECT {select} FROM read_csv('{src}', header = false, quote = '\"', "
            f"escape = '\"', columns = {spec}), range({copies}) t(k)) "
            f"TO '{big}' (HEADER false, QUOTE '\"', ESCAPE '\"', FORCE_QUOTE ({quoted}))"
        )
        # timestamps: quote the non-empty ones as cdr_csv does (DuckDB cannot force-quote NULLs
        # away, so they were written bare; quoting them is cosmetic and skipped)
        con.close()
    return name, big, n_db, copies


# --------------------------------------------------------------------------------- tasks
def _db_sql(url: str, tmp_mb: int, engine: str = "sql") -> dict:
    from mirtalib.cdr.report import ReportParams, build_report

    params = ReportParams(source=url, engine=engine, start="", end="", sql_tmp_mb=tmp_mb)
    report = build_report(params)
    return {
        "kpis": report.tables["kpis_tenant"],
        "peaks": report.tables["concurrency"],
        "tables": table_digests(report.tables),
    }


def table_digests(tables: dict) -> dict[str, str]:
    """Per table, a digest of its columns, dtypes and values, floats to 9 decimals (the tests
    compare them with pandas' tolerance; sums in another order differ in the last bits)."""
    import hashlib

    import pandas as pd

    out = {}
    for name, frame in sorted(tables.items()):
        h = hashlib.sha256(repr(frame.dtypes.astype(str).to_dict()).encode())
        floats = frame.select_dtypes("float").columns
        frame = frame.assign(**{c: frame[c].round(9) for c in floats})
        h.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
        out[name] = h.hexdigest()[:16]
    return out


def task_db_pandas(url: str) -> dict:
    """The report's pandas engine (the readable reference), every table."""
    return _db_sql(url, 512, engine="pandas")


def task_db_sql(url: str) -> dict:
    """The report's sql engine with its defaults (DuckDB capped at 512 MB)."""
    return _db_sql(url, 512)


def task_db_naive(url: str) -> dict:
    import pandas as pd

    from mirtalib.cdr import cube as C
    from mirtalib.cdr.calls import to_calls
    from mirtalib.cdr.concurrency import concurrency
    from mirtalib.cdr.destinations import top_destinations
    from mirtalib.cdr.legs import normalize
    from mirtalib.data.db import open_database

    db = open_database(url)
    with db.connect() as conn:
        raw = pd.read_sql("SELECT * FROM cdr", conn)  # the naive way: every row, every column
    calls = to_calls(normalize(raw))
    cube = C.cube_from_calls(calls)
    tables = {
        "kpis": C.cube_kpis(cube, ["tenant"]),
        "day": C.cube_kpis(cube, ["tenant", "day"]),
        "heat": C.cube_heatmap(cube),
        "mix": C.cube_disposition_mix(cube),
    }
    peaks = [
        concurrency(calls, by=d).rename(columns={d: "group"}).assign(dim=d)
        for d in ("tenant", "node", "trunk")
    ]
    calls["country"] = ""
    calls["number_type"] = ""
    tables["top"] = top_destinations(calls, by="tenant")
    tables["peaks"] = pd.concat(peaks, ignore_index=True)
    return tables


def task_csv_ours(csv: str) -> dict:
    """The report's sql engine on the Master.csv (reject checks included)."""
    return _db_sql(csv, 512)


def _scan(url: str, table_rows: bool) -> dict:
    import pandas as pd
    from sqlalchemy import text

    from mirtalib.data.db import open_database

    db = open_database(url)
    with db.connect() as conn:
        hint = ""
        if table_rows:  # no index may stand in for the table's rows
            indexes = text(
                "SELECT DISTINCT index_name FROM information_schema.statistics "
                "WHERE table_schema = DATABASE() AND table_name = 'cdr'"
            )
            names = conn.execute(indexes).scalars()
            hint = f" IGNORE INDEX ({', '.join(f'`{n}`' for n in names)})"
        frame = pd.read_sql(
            f"SELECT accountcode AS tenant, DATE(start) AS day, COUNT(*) AS legs FROM cdr{hint} "
            "GROUP BY accountcode, DATE(start)",
            conn,
        )
    return {"kpis": None, "groups": len(frame)}


def task_db_scan(url: str) -> dict:
    """The anchor: one plain ``GROUP BY tenant, day`` scan of the table's rows in MariaDB."""
    return _scan(url, table_rows=True)


def task_db_index_scan(url: str) -> dict:
    """The same ``GROUP BY`` as MariaDB runs it by itself here: from the (accountcode, start)
    index alone, a quarter of the table's bytes."""
    return _scan(url, table_rows=False)


def task_db_read(url: str) -> dict:
    """The floor of any engine that reads the rows: the engine's own SELECT streamed through
    ConnectorX as Arrow batches and dropped, nothing done with them."""
    import connectorx as cx

    from mirtalib.cdr.engine import _connectorx_url, _db_select
    from mirtalib.data.db import open_database

    db = open_database(url)
    sql, _legacy = _db_select(db, None, None, None)
    rows = 0
    for batch in cx.read_sql(_connectorx_url(db), sql, return_type="arrow_stream"):
        rows += batch.num_rows
    return {"kpis": None, "rows": rows}


def task_csv_duckdb(csv: str) -> dict:
    """DuckDB's own time on the file: auto-detected CSV, legs grouped by linkedid, the cube
    (tenant, day, hour, outcome) with the calls' billable sums, no checks."""
    import duckdb

    from mirtalib.cdr.engine import ALL_COLUMNS

    con = duckdb.connect()
    con.execute("SET memory_limit = '512MB'")
    names = "[" + ", ".join(f"'{c}'" for c in ALL_COLUMNS) + "]"
    frame = con.execute(
        f"""
WITH legs AS (SELECT * FROM read_csv_auto('{csv}', header = false, names = {names})),
calls AS (
  SELECT linkedid, MAX(accountcode) AS tenant, MIN(start) AS t0,
         MIN(CASE disposition WHEN 'ANSWERED' THEN 0 WHEN 'NO ANSWER' THEN 1 ELSE 2 END) AS o,
         SUM(CASE WHEN disposition = 'ANSWERED' THEN billsec ELSE 0 END) AS billable
  FROM legs GROUP BY linkedid)
SELECT tenant, date_trunc('day', t0) AS day, hour(t0) AS hour, o, COUNT(*) AS calls,
       SUM(billable) AS billable FROM calls GROUP BY ALL
"""
    ).df()
    return {"kpis": None, "groups": len(frame)}


def task_db_daily(url: str) -> dict:
    """The daily run on day 30 of the month with the cache, against a full run (see above)."""
    import os

    import pandas as pd

    from mirtalib.cdr.report import ReportParams, build_report
    from mirtalib.data.db import open_database

    db = open_database(url)
    with db.connect() as conn:
        first = pd.read_sql("SELECT MIN(start) AS t FROM cdr", conn)["t"].iloc[0]
    month = pd.Timestamp(first).to_period("M").start_time
    day30, day31 = month + pd.Timedelta(days=29), month + pd.Timedelta(days=30)
    os.environ["MIRTA_HOME"] = tempfile.mkdtemp(prefix="cdr-bench-home-")
    try:

        def run(end, cache: str):
            params = ReportParams(source=url, engine="sql", start=f"{month:%Y-%m-%d}",
                                  end=f"{end:%Y-%m-%d}", cache=cache)  # fmt: skip
            began = time.perf_counter()
            report = build_report(params)
            return report, time.perf_counter() - began

        _, yesterday = run(day30, "on")
        daily, daily_s = run(day31, "on")
        full, full_s = run(day31, "off")
    finally:
        shutil.rmtree(os.environ["MIRTA_HOME"], ignore_errors=True)
    same = all(daily.tables[k].equals(t) for k, t in full.tables.items())
    note = next((n for n in daily.notes if n.startswith("cache:")), "")
    return {"kpis": None, "daily_s": daily_s, "full_s": full_s, "yesterday_s": yesterday,
            "same": same, "note": note}  # fmt: skip


TASKS = {
    "db_pandas": task_db_pandas,
    "db_daily": task_db_daily,
    "db_sql": task_db_sql,
    "db_naive": task_db_naive,
    "db_scan": task_db_scan,
    "db_index_scan": task_db_index_scan,
    "db_read": task_db_read,
    "csv_ours": task_csv_ours,
    "csv_duckdb": task_csv_duckdb,
}


def child(task: str, arg: str, out: Path) -> None:
    """Run one task in this process; write its figures and key tables to ``out`` (JSON)."""
    import threading

    import psutil

    # ru_maxrss is inherited from the parent across fork/exec on Linux: sample RSS instead
    me, peak_bytes, done = psutil.Process(), [0], threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak_bytes[0] = max(peak_bytes[0], me.memory_info().rss)
            done.wait(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    # the modules every task uses are loaded before the clock starts: the figures are the work
    # on the rows, not the interpreter's imports (about 1 s, the same at every size)
    import duckdb  # noqa: F401
    import pandas  # noqa: F401

    import mirtalib.cdr.report
    import mirtalib.data.db  # noqa: F401

    began = time.perf_counter()
    tables = TASKS[task](arg)
    wall = time.perf_counter() - began
    done.set()
    sampler.join()
    peak = max(peak_bytes[0], me.memory_info().rss) / 2**20
    kpis = tables["kpis"].round(6).to_dict("list") if tables.get("kpis") is not None else None
    peaks = tables.get("peaks")
    peak_rows = None
    if peaks is not None:
        keep = peaks[peaks["dim"].isin(["tenant", "node", "trunk"])]
        peak_rows = sorted(
            zip(keep["dim"], keep["group"], keep["peak"].astype(int).tolist(), strict=True)
        )
    extra = {k: v for k, v in tables.items() if k not in ("kpis", "peaks")}
    figures = {"wall_s": wall, "peak_rss_mb": peak, "kpis": kpis, "peaks": peak_rows, **extra}
    out.write_text(json.dumps(figures, default=str))


def run_child(task: str, arg: str, work: Path) -> dict:
    out = work / f"{task}.json"
    proc = subprocess.run(
        [sys.executable, str(HERE), "--child", task, "--arg", arg, "--out", str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        return {"error": proc.stderr.strip().splitlines()[-1] if proc.stderr else "failed"}
    return json.loads(out.read_text())


# the naive baseline holds every row and column in pandas: 4,028 MB peak for 1,099,197 rows here
NAIVE_BYTES_PER_ROW = 3_700


def naive_fits(rows: int) -> tuple[bool, str]:
    """Whether the naive baseline can run here without exhausting memory, and why not."""
    import psutil

    need, have = rows * NAIVE_BYTES_PER_ROW, psutil.virtual_memory().available
    if need < 0.8 * have:
        return True, ""
    return False, (
        f"not run: SELECT * into pandas needs about {need / 2**30:,.0f} GB for {rows:,} rows "
        f"(measured {NAIVE_BYTES_PER_ROW:,} bytes per row); {have / 2**30:,.0f} GB available"
    )


def run_size(rows: int, args, work: Path) -> dict:
    """Build ``rows`` CDR rows, run the tasks on them, report; the database is dropped."""
    name = ""
    try:
        began = time.perf_counter()
        name, csv, n_rows, copies = build_data(rows, args.base_scale, work)
        setup = time.perf_counter() - began
        results = {
            "rows": n_rows,
            "copies": copies,
            "setup_s": setup,
            "csv_bytes": csv.stat().st_size,
            "tasks": {},
        }
        for task in args.tasks.split(","):
            if task in ("db_naive", "db_pandas"):
                fits, why = naive_fits(n_rows)
                if not fits:
                    results["tasks"][task] = {"skipped": why}
                    continue
            arg = _url(name) if task.startswith("db_") else str(csv)
            results["tasks"][task] = run_child(task, arg, work)
        report(results)
        return results
    finally:
        if name:
            with _admin().cursor() as cur:
                cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
        for path in work.glob("*"):
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> int:
    """Build the data, run every task, check they agree, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rows", default="1000000", help="CDR rows; several sizes: 1000000,10000000"
    )
    parser.add_argument("--base-scale", type=float, default=3.2)
    parser.add_argument(
        "--tasks",
        default="db_scan,db_index_scan,db_read,db_sql,db_pandas,db_naive,csv_ours,csv_duckdb,"
        "db_daily",
    )
    parser.add_argument("--json", default="", help="also write the figures to this file")
    parser.add_argument("--child", default="", help=argparse.SUPPRESS)
    parser.add_argument("--arg", default="", help=argparse.SUPPRESS)
    parser.add_argument("--out", default="", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.arg, Path(args.out))
        return 0
    work = Path(tempfile.mkdtemp(prefix="cdr-bench-"))
    try:
        runs = [run_size(int(n), args, work) for n in str(args.rows).split(",")]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if len(runs) > 1:
        scaling(runs)
    if args.json:
        payload = runs[0] if len(runs) == 1 else {"runs": runs}
        Path(args.json).write_text(json.dumps(payload, indent=2, default=str))
    return 0 if all(r["agree"] for r in runs) else 1


def scaling(runs: list[dict]) -> None:
    """Print how each task's time grew from the smallest to the largest size."""
    small, big = runs[0], runs[-1]
    factor = big["rows"] / small["rows"]
    out = [f"growth {small['rows']:,} -> {big['rows']:,} rows ({factor:.1f}x the rows):"]
    for task, r in big["tasks"].items():
        s = small["tasks"].get(task, {})
        if "wall_s" in r and "wall_s" in s:
            out.append(f"  {task:<11} time {r['wall_s'] / s['wall_s']:5.1f}x")
    out += naive_estimate(small, big)
    sys.stdout.write("\n".join(out) + "\n")


def naive_estimate(small: dict, big: dict) -> list[str]:
    """Where the naive baseline could not run at the larger size: its time there estimated
    from the smaller size as growing no faster than the rows (a lower bound: it groups in
    memory, and grouping does not get cheaper per row), and how db_sql compares with that."""
    naive, sql = small["tasks"].get("db_naive", {}), big["tasks"].get("db_sql", {})
    if (
        "wall_s" not in naive
        or "wall_s" not in sql
        or "skipped" not in big["tasks"].get("db_naive", {})
    ):
        return []
    low = naive["wall_s"] * big["rows"] / small["rows"]
    return [
        f"  db_naive at {big['rows']:,} rows not run; at least {low:,.0f} s if it could "
        f"(its {small['rows']:,}-row time x the rows): naive / sql >= {low / sql['wall_s']:.1f}x"
    ]


def report(results: dict) -> None:
    """Print the figures, the ratios and whether the engines agree (sets results['agree'])."""
    rows, tasks = results["rows"], results["tasks"]
    out = [
        f"{rows:,} CDR rows ({results['copies']} copies of the demo month; "
        f"Master.csv {results['csv_bytes'] / 1e6:,.0f} MB; setup {results['setup_s']:.0f} s)"
    ]
    for name, r in tasks.items():
        if "skipped" in r:
            out.append(f"  {name:<11} {r['skipped']}")
            continue
        if "error" in r:
            out.append(f"  {name:<11} FAILED: {r['error']}")
            continue
        out.append(
            f"  {name:<11} {r['wall_s']:8.1f} s  {rows / r['wall_s']:>12,.0f} rows/s  "
            f"peak RSS {r['peak_rss_mb']:,.0f} MB"
        )
    ok = {k: v for k, v in tasks.items() if "error" not in v and "skipped" not in v}
    for anchor, what in (
        ("db_scan", "GROUP BY tenant, day scan of the table"),
        ("db_index_scan", "the same GROUP BY from the index"),
        ("db_read", "reading the rows alone"),
    ):
        if "db_sql" in ok and anchor in ok:
            ratio = ok["db_sql"]["wall_s"] / ok[anchor]["wall_s"]
            out.append(f"  MariaDB: sql / {what} = {ratio:.2f}x")
    if "db_sql" in ok and "db_naive" in ok:
        speedup = ok["db_naive"]["wall_s"] / ok["db_sql"]["wall_s"]
        out.append(f"  MariaDB: naive / sql = {speedup:.1f}x")
    if "csv_ours" in ok and "csv_duckdb" in ok:
        out.append(
            f"  Master.csv: ours / DuckDB = "
            f"{ok['csv_ours']['wall_s'] / ok['csv_duckdb']['wall_s']:.2f}x"
        )
    if "db_daily" in ok:
        d = ok["db_daily"]
        out.append(
            f"  MariaDB, month to date: the day-31 run with the cache {d['daily_s']:.1f} s, a "
            f"full run {d['full_s']:.1f} s = {d['daily_s'] / d['full_s']:.1%}; tables "
            f"{'identical' if d['same'] else 'DIFFERENT'} ({d['note']})"
        )
    kpis = [json.dumps(v["kpis"], sort_keys=True) for v in ok.values() if v["kpis"] is not None]
    peaks = [json.dumps(v["peaks"]) for k, v in ok.items() if v.get("peaks") is not None]
    same = ok.get("db_daily", {}).get("same", True)
    digests = {k: json.dumps(v["tables"], sort_keys=True) for k, v in ok.items() if v.get("tables")}
    if "db_pandas" in digests:
        differ = sorted(k for k, d in digests.items() if d != digests["db_pandas"])
        out.append(
            "  every table equal to the pandas reference: "
            + (
                ", ".join(k for k in digests if k != "db_pandas")
                if not differ
                else "NO: " + ", ".join(differ)
            )
        )
        same = same and not differ
    results["agree"] = len(set(kpis)) <= 1 and len(set(peaks)) <= 1 and same
    out.append("  tables agree across engines: " + ("yes" if results["agree"] else "NO"))
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    sys.exit(main())
