"""CPU scheduling counters: ``esxtop -b`` batch CSV and vCenter performance exports, into one tidy
table, and their conversion to *percent per vCPU* (the unit every threshold is given in).

Tidy counters (:class:`CounterLoad.counters`): ``time`` (datetime64, as exported), ``vm``,
``counter`` (``ready``, ``costop``, ``maxlimited``, ``readiness``, ``usage``, ``demand``,
``run``), ``instance`` ('' = the whole VM, else the vCPU number), ``value`` (float as exported),
``unit`` (``ms`` = summation over the interval, ``pct_sum`` = esxtop percent summed over the VM's
worlds, ``pct`` = already a percentage, ``mhz``), ``interval_s``, ``source``.

Formulas (DOMAIN.md): ready % per vCPU = ready_ms / (interval_s * 1000 * vcpus) * 100; the same
for co-stop and max-limited; esxtop ``% Ready`` of a VM group is the sum over its vCPUs, so per
vCPU it is divided by vcpus; ``cpu.readiness.average`` is a percentage (the raw API gives 1/100 %,
PowerCLI and the vSphere client already divide).
"""

from __future__ import annotations

import csv
import io
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from mirtalib.errors import DataSourceError, ParseError
from mirtalib.vmware.columns import pick_columns, to_number

log = logging.getLogger(__name__)

COUNTER_COLUMNS = ["time", "vm", "counter", "instance", "value", "unit", "interval_s", "source"]
REJECT_COLUMNS = ["line", "reason", "raw"]
# vCenter metric id -> (counter, unit of the raw API)
VCENTER_METRICS = {
    "cpu.ready.summation": ("ready", "ms"),
    "cpu.costop.summation": ("costop", "ms"),
    "cpu.maxlimited.summation": ("maxlimited", "ms"),
    "cpu.run.summation": ("run", "ms"),
    "cpu.readiness.average": ("readiness", "pct"),
    "cpu.usage.average": ("usage", "pct"),
    "cpu.demand.average": ("demand", "mhz"),
}
ESXTOP_COUNTERS = {
    "% ready": "ready",
    "% costop": "costop",
    "% max limited": "maxlimited",
    "% used": "used",
    "% run": "run",
}
HYPERVISOR_GROUPS = {
    "idle",
    "system",
    "helper",
    "drivers",
    "ft",
    "vmotion",
    "user",
    "vim",
    "ioFilterVMs",
    "iofiltervms",
    "init",
    "host",
    "vmkboot",
}
_ESXTOP_COL = re.compile(
    r"^\\\\(?P<host>[^\\]+)\\Group Cpu\((?P<gid>\d+):(?P<name>[^)]*)\)\\(?P<ctr>.+)$"
)


def empty_counters() -> pd.DataFrame:
    """An empty tidy counters table with the right dtypes."""
    return pd.DataFrame(
        {
            "time": pd.Series(dtype="datetime64[ns]"),
            "vm": pd.Series(dtype="string"),
            "counter": pd.Series(dtype="string"),
            "instance": pd.Series(dtype="string"),
            "value": pd.Series(dtype=float),
            "unit": pd.Series(dtype="string"),
            "interval_s": pd.Series(dtype=float),
            "source": pd.Series(dtype="string"),
        }
    )


def empty_rejects() -> pd.DataFrame:
    """An empty rejects table (``line``, ``reason``, ``raw``)."""
    return pd.DataFrame(
        {
            "line": pd.Series(dtype="Int64"),
            "reason": pd.Series(dtype="string"),
            "raw": pd.Series(dtype="string"),
        }
    )


@dataclass
class CounterLoad:
    """Counters read from one or more files, and what could not be used."""

    counters: pd.DataFrame = field(default_factory=empty_counters)
    rejects: pd.DataFrame = field(default_factory=empty_rejects)
    source: str = ""

    def __add__(self, other: CounterLoad) -> CounterLoad:
        """Concatenate two loads."""
        return CounterLoad(
            pd.concat([self.counters, other.counters], ignore_index=True),
            pd.concat([self.rejects, other.rejects], ignore_index=True),
            ", ".join(s for s in (self.source, other.source) if s),
        )


def _rows(path: Path) -> list[list[str]]:
    try:
        text = path.read_text(encoding="utf-8-sig", errors="replace")
    except OSError as exc:
        raise DataSourceError(f"cannot read {path.name}: {exc.strerror}") from exc
    try:
        return [r for r in csv.reader(io.StringIO(text)) if r]
    except csv.Error as exc:
        raise ParseError(f"{path.name}: not a CSV file: {exc}") from exc


def _rejects(lines: list[int], reasons: list[str], raws: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "line": pd.Series(lines, dtype="Int64"),
            "reason": pd.Series(reasons, dtype="string"),
            "raw": pd.Series([r[:500] for r in raws], dtype="string"),
        }
    )


def read_esxtop(path: str | Path) -> CounterLoad:
    """Read an ``esxtop -b`` batch CSV (Perfmon PDH-CSV layout) into tidy counters.

    Only ``Group Cpu(<gid>:<vm>)`` columns with ``% Ready``, ``% CoStop``, ``% Max Limited``,
    ``% Used`` and ``% Run`` are kept; hypervisor groups (system, idle, helper ...) are skipped.
    The interval is the median spacing of the samples.

    Raises:
        DataSourceError: unreadable file; ParseError: not a PDH-CSV batch file, or no VM CPU column.
    """
    path = Path(path)
    rows = _rows(path)
    if len(rows) < 2 or "PDH-CSV" not in rows[0][0]:
        raise ParseError(
            f"{path.name}: not an esxtop batch file (first header cell should be "
            "'(PDH-CSV 4.0) ...')"
        )
    header = rows[0]
    cols: list[tuple[int, str, str]] = []
    for i, name in enumerate(header[1:], start=1):
        m = _ESXTOP_COL.match(name)
        if not m:
            continue
        ctr = ESXTOP_COUNTERS.get(m["ctr"].strip().lower())
        if ctr and m["name"] not in HYPERVISOR_GROUPS:
            cols.append((i, m["name"], ctr))
    if not cols:
        raise ParseError(
            f"{path.name}: no 'Group Cpu(<id>:<vm>)\\% Ready' column: run esxtop -b "
            "with the CPU panel's group counters enabled"
        )
    times = pd.to_datetime(
        pd.Series([r[0] for r in rows[1:]]), format="%m/%d/%Y %H:%M:%S", errors="coerce"
    )
    bad_lines, reasons, raws = [], [], []
    ok = []
    for k, (r, t) in enumerate(zip(rows[1:], times, strict=True), start=2):
        if pd.isna(t):
            bad_lines.append(k)
            reasons.append(f"bad timestamp {r[0]!r}")
            raws.append(",".join(r))
        elif len(r) != len(header):
            bad_lines.append(k)
            reasons.append(f"{len(r)} fields, header has {len(header)}")
            raws.append(",".join(r))
        else:
            ok.append((k, t, r))
    spacing = pd.Series([t for _, t, _ in ok]).diff().dt.total_seconds()
    interval = float(np.nanmedian(spacing)) if len(ok) > 1 else float("nan")
    recs = []
    for k, t, r in ok:
        for i, vm, ctr in cols:
            recs.append((k, t, vm, ctr, r[i]))
    frame = pd.DataFrame(recs, columns=["line", "time", "vm", "counter", "raw"])
    values, bad = to_number(frame["raw"])
    empty = values.isna() & ~bad
    if bad.any():
        sub = frame[bad]
        bad_lines += sub["line"].tolist()
        reasons += [
            f"{vm} {ctr}: not a number" for vm, ctr in zip(sub["vm"], sub["counter"], strict=True)
        ]
        raws += sub["raw"].tolist()
    frame = frame.assign(value=values)[~bad & ~empty]
    out = pd.DataFrame(
        {
            "time": frame["time"].astype("datetime64[ns]"),
            "vm": frame["vm"].astype("string"),
            "counter": frame["counter"].astype("string"),
            "instance": pd.Series("", index=frame.index, dtype="string"),
            "value": frame["value"].astype(float),
            "unit": pd.Series("pct_sum", index=frame.index, dtype="string"),
            "interval_s": interval,
            "source": path.name,
        }
    )
    return CounterLoad(
        out.reset_index(drop=True)[COUNTER_COLUMNS], _rejects(bad_lines, reasons, raws), path.name
    )


VCENTER_CSV = {
    "value": ["Value"],
    "time": ["Timestamp", "Time"],
    "metric": ["MetricId", "Metric", "Counter"],
    "unit": ["Unit"],
    "vm": ["Entity", "VM", "Name"],
    "interval_s": ["IntervalSecs", "Interval"],
    "instance": ["Instance"],
}


def read_vcenter_csv(path: str | Path) -> CounterLoad:
    """Read a vCenter performance export in the long layout of PowerCLI ``Get-Stat | Export-Csv``.

    Columns (any case/spacing): ``Value, Timestamp, MetricId, Unit, Entity, IntervalSecs,
    Instance``.
    Every rollup interval works (20 s realtime, 300, 1800, 7200, 86400 s): each row carries its own.
    When ``IntervalSecs`` is absent it is taken from the median spacing of each VM's samples. Rows
    with an unknown metric, a non-numeric value or an unreadable time are rejected with the reason.

    Raises:
        DataSourceError: unreadable file; SchemaError: a needed column is missing.
    """
    path = Path(path)
    rows = _rows(path)
    if not rows:
        raise ParseError(f"{path.name}: empty file")
    raw = (
        pd.DataFrame(rows[1:], columns=rows[0], dtype=object)
        if all(len(r) == len(rows[0]) for r in rows[1:])
        else None
    )
    if raw is None:
        bad = [i + 2 for i, r in enumerate(rows[1:]) if len(r) != len(rows[0])]
        raise ParseError(
            f"{path.name}: line(s) {bad[:5]} have a different number of fields than the header"
        )
    frame = pick_columns(
        raw,
        VCENTER_CSV,
        required=["value", "time", "metric", "vm"],
        what=f"{path.name} (vCenter export)",
    )
    frame["line"] = np.arange(2, len(frame) + 2)
    frame["raw"] = [",".join(r) for r in rows[1:]]
    value, bad_value = to_number(frame["value"])
    time = pd.to_datetime(frame["time"], errors="coerce", format="mixed")
    metric = frame["metric"].astype("string").str.strip().str.lower()
    known = metric.isin(list(VCENTER_METRICS))
    problems = [
        (~known, "metric not used here: " + metric.fillna("")),
        (known & bad_value, "value is not a number"),
        (known & ~bad_value & value.isna(), "empty value"),
        (known & ~bad_value & value.notna() & time.isna(), "unreadable timestamp"),
    ]
    rej = [
        _rejects(
            frame.loc[m, "line"].tolist(),
            list(r[m]) if isinstance(r, pd.Series) else [r] * int(m.sum()),
            frame.loc[m, "raw"].tolist(),
        )
        for m, r in problems
        if m.any()
    ]
    good = known & ~bad_value & value.notna() & time.notna()
    interval = (
        to_number(frame["interval_s"])[0]
        if "interval_s" in frame
        else pd.Series(np.nan, index=frame.index)
    )
    out = pd.DataFrame(
        {
            "time": time[good].astype("datetime64[ns]"),
            "vm": frame.loc[good, "vm"].astype("string").str.strip(),
            "counter": metric[good].map(lambda m: VCENTER_METRICS[m][0]).astype("string"),
            "instance": (
                frame.loc[good, "instance"].astype("string").fillna("").str.strip()
                if "instance" in frame
                else pd.Series("", index=frame.index[good], dtype="string")
            ),
            "value": value[good],
            "unit": metric[good].map(lambda m: VCENTER_METRICS[m][1]).astype("string"),
            "interval_s": interval[good],
            "source": path.name,
        }
    )
    if "unit" in frame:
        # PowerCLI already divides percent counters by 100; the raw API does not.
        raw_unit = frame.loc[good, "unit"].astype("string").str.strip().str.lower()
        hundredths = (out["unit"] == "pct") & raw_unit.isin(["percent", "1/100 %"])
        out.loc[hundredths, "value"] = out.loc[hundredths, "value"] / 100.0
    out = _fill_intervals(out)
    return CounterLoad(
        out.reset_index(drop=True)[COUNTER_COLUMNS],
        pd.concat([empty_rejects(), *rej], ignore_index=True),
        path.name,
    )


def _fill_intervals(out: pd.DataFrame) -> pd.DataFrame:
    missing = out["interval_s"].isna()
    if missing.any():
        spacing = (
            out.sort_values("time")
            .groupby(["vm", "counter", "instance"])["time"]
            .transform(lambda s: s.diff().dt.total_seconds().median())
        )
        out.loc[missing, "interval_s"] = spacing[missing]
        log.info("interval taken from sample spacing for %d row(s)", int(missing.sum()))
    return out


def per_vcpu_percent(
    counters: pd.DataFrame, vcpus: Mapping[str, int], mhz: Mapping[str, float] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Convert tidy counters to percent per vCPU.

    Args:
        counters: tidy counters (:data:`COUNTER_COLUMNS`).
        vcpus: VM name -> vCPU count (from the inventory).
        mhz: VM name -> core clock of its host, for ``cpu.demand`` (MHz):
            demand % = demand_mhz / (vCPUs x core MHz) x 100.

    Returns:
        ``(pct, skipped)``: ``pct`` has ``time, vm, counter, source, interval_s, pct``, one row per
        VM, counter and time (per-vCPU instances averaged when no whole-VM row exists); ``skipped``
        lists ``vm, counter, reason`` for what could not be converted (unknown vCPUs or
        interval).
    """
    used = ["ready", "costop", "maxlimited", "readiness", "usage", "demand"]
    c = counters[counters["counter"].isin(used)]
    mhz = mhz or {}
    c = c.assign(
        vcpus=c["vm"].map(lambda v: vcpus.get(v, np.nan)).astype(float),
        mhz=c["vm"].map(lambda v: mhz.get(v, np.nan)).astype(float),
    )
    no_vcpu = c["vcpus"].isna() & (c["unit"] != "pct")
    no_int = c["interval_s"].isna() & (c["unit"] == "ms")
    no_mhz = ~no_vcpu & (c["unit"] == "mhz") & ~(c["mhz"] > 0)
    skipped = (
        pd.concat(
            [
                c.loc[no_vcpu, ["vm", "counter"]].assign(
                    reason="vCPU count unknown (VM not in the inventory)"
                ),
                c.loc[no_int & ~no_vcpu, ["vm", "counter"]].assign(
                    reason="sampling interval unknown"
                ),
                c.loc[no_mhz, ["vm", "counter"]].assign(reason="host core MHz unknown"),
            ]
        )
        .drop_duplicates()
        .reset_index(drop=True)
    )
    c = c[~no_vcpu & ~no_int & ~no_mhz]
    whole = c["instance"] == ""
    per = np.where(whole, c["vcpus"], 1.0)
    pct = np.select(
        [c["unit"] == "ms", c["unit"] == "pct_sum", c["unit"] == "mhz"],
        [
            c["value"] / (c["interval_s"] * 1000.0 * per) * 100.0,
            c["value"] / c["vcpus"],
            c["value"] / (per * c["mhz"]) * 100.0,
        ],
        default=c["value"],
    )
    c = c.assign(pct=pct, whole=whole)
    keys = ["vm", "counter", "source", "time"]
    has_whole = c.groupby(keys)["whole"].transform("any")
    c = c[c["whole"] | ~has_whole]
    out = c.groupby(keys, as_index=False).agg(
        interval_s=("interval_s", "first"), pct=("pct", "mean")
    )
    return out[["time", "vm", "counter", "interval_s", "pct", "source"]], skipped
