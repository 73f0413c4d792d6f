"""KVM / Proxmox guests: CPU steal and load from ``/proc/stat`` samples taken inside the guest.

The ``cpu`` lines of ``/proc/stat`` count jiffies in the order user, nice, system, idle, iowait,
irq, softirq, **steal** (8th value), guest, guest_nice. Between two samples::

    steal %     = d(steal) / d(total) * 100     total = user..steal (guest time is inside user)
    busy cores  = (d(total) - d(idle) - d(iowait) - d(steal)) / d(total) * ncpu

Samples come as text, so the runbook engine can feed what it ran on a target
(:func:`collect_proc_stat` does it on a local/SSH/replay target), or from a file
written by a loop such as ``while :; do date +%s; cat /proc/stat /proc/loadavg; sleep 20; done``:
each block starts with a time line (epoch seconds or ISO time, optionally after ``#`` or ``==>``)
followed by the ``/proc/stat`` text and optionally the ``/proc/loadavg`` line.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from mirtalib.errors import CommandError, DataSourceError, ParameterError, ParseError

log = logging.getLogger(__name__)

FIELDS = [
    "user",
    "nice",
    "system",
    "idle",
    "iowait",
    "irq",
    "softirq",
    "steal",
    "guest",
    "guest_nice",
]
_TIME = re.compile(
    r"^\s*(?:#|==>)?\s*(?:time[=:]\s*)?(?P<t>\d{9,11}(?:\.\d+)?|\d{4}-\d\d-\d\d[T ][\d:.]+)"
    r"\s*(?:<==)?\s*$"
)
_LOADAVG = re.compile(r"^\s*(\d+\.\d+)\s+(\d+\.\d+)\s+(\d+\.\d+)\s+(\d+)/(\d+)\s+\d+\s*$")


def parse_proc_stat(text: str) -> dict[str, object]:
    """Parse one ``/proc/stat`` text.

    Returns:
        ``{"cpu": {field: jiffies}, "ncpu": int, "procs_running": int|None,
        "procs_blocked": int|None,
        "load1": float|None}`` (``load1`` when a ``/proc/loadavg`` line is included).

    Raises:
        ParseError: no aggregate ``cpu`` line, or a counter that is not an integer.
    """
    cpu: dict[str, int] | None = None
    ncpu = 0
    out: dict[str, object] = {"procs_running": None, "procs_blocked": None, "load1": None}
    for lineno, line in enumerate(str(text).splitlines(), start=1):
        parts = line.split()
        if not parts:
            continue
        if parts[0] == "cpu" or re.fullmatch(r"cpu\d+", parts[0]):
            if len(parts) < 5:
                raise ParseError(f"/proc/stat line {lineno}: too few values in {line.strip()!r}")
            try:
                values = [int(v) for v in parts[1:11]]
            except ValueError as exc:
                raise ParseError(
                    f"/proc/stat line {lineno}: not an integer in {line.strip()!r}"
                ) from exc
            values += [0] * (len(FIELDS) - len(values))
            if parts[0] == "cpu":
                cpu = dict(zip(FIELDS, values, strict=True))
            else:
                ncpu += 1
        elif (
            parts[0] in ("procs_running", "procs_blocked")
            and len(parts) == 2
            and parts[1].isdigit()
        ):
            out[parts[0]] = int(parts[1])
        elif (m := _LOADAVG.match(line)) is not None:
            out["load1"] = float(m.group(1))
    if cpu is None:
        raise ParseError("/proc/stat: no aggregate 'cpu' line")
    out["cpu"] = cpu
    out["ncpu"] = ncpu or 1
    return out


def split_samples(text: str) -> list[tuple[pd.Timestamp, str]]:
    """Split a samples file into ``(time, /proc/stat text)`` blocks (see module docstring).

    Raises:
        ParseError: text before the first time line, or no time line at all.
    """
    blocks: list[tuple[pd.Timestamp, list[str]]] = []
    for lineno, line in enumerate(str(text).splitlines(), start=1):
        m = _TIME.match(line)
        if m:
            raw = m["t"]
            try:
                t = (
                    pd.to_datetime(float(raw), unit="s")
                    if re.fullmatch(r"[\d.]+", raw)
                    else pd.Timestamp(raw)
                )
            except (ValueError, OverflowError) as exc:
                raise ParseError(f"samples line {lineno}: bad time {raw!r}") from exc
            blocks.append((t, []))
        elif line.strip():
            if not blocks:
                raise ParseError(
                    f"samples line {lineno}: text before the first time line "
                    "(each sample must start with `date +%s` output)"
                )
            blocks[-1][1].append(line)
    if not blocks:
        raise ParseError(
            "samples: no time line found (each sample must start with `date +%s` output)"
        )
    return [(t, "\n".join(lines)) for t, lines in blocks]


def samples_from_text(text: str) -> pd.DataFrame:
    """Parse a samples text into one row per sample: ``time, ncpu, <jiffies fields>, total,
    procs_running, load1``.

    Raises:
        ParseError: a block is not a valid ``/proc/stat`` (the message names the sample time).
    """
    rows = []
    for t, block in split_samples(text):
        try:
            parsed = parse_proc_stat(block)
        except ParseError as exc:
            raise ParseError(f"sample at {t.isoformat()}: {exc}") from exc
        cpu = parsed["cpu"]
        assert isinstance(cpu, dict)
        row = {"time": t, "ncpu": parsed["ncpu"], **cpu}
        row["total"] = sum(cpu[f] for f in FIELDS[:8])
        row["procs_running"] = parsed["procs_running"]
        row["load1"] = parsed["load1"]
        rows.append(row)
    frame = pd.DataFrame(rows)
    frame["procs_running"] = frame["procs_running"].astype("Int64")
    frame["load1"] = frame["load1"].astype(float)
    return frame.sort_values("time").reset_index(drop=True)


def read_proc_stat_samples(path: str | Path) -> pd.DataFrame:
    """Read a samples file (see :func:`samples_from_text`).

    Raises:
        DataSourceError: the file cannot be read; ParseError: its content is not valid.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise DataSourceError(f"cannot read {path.name}: {exc.strerror}") from exc
    try:
        return samples_from_text(text)
    except ParseError as exc:
        raise ParseError(f"{path.name}: {exc}") from exc


def steal_and_load(samples: pd.DataFrame) -> pd.DataFrame:
    """Per interval between consecutive samples: ``time`` (end), ``interval_s``, ``steal_pct``,
    ``busy_cores``, ``ncpu``, ``load1`` (from /proc/loadavg, else procs_running).

    Intervals where the counters went backwards (guest reboot) are dropped and logged.
    """
    d = samples[[*FIELDS, "total"]].diff()
    out = pd.DataFrame(
        {
            "time": samples["time"],
            "interval_s": samples["time"].diff().dt.total_seconds(),
            "steal_pct": d["steal"] / d["total"] * 100.0,
            "busy_cores": (d["total"] - d["idle"] - d["iowait"] - d["steal"])
            / d["total"]
            * samples["ncpu"],
            "ncpu": samples["ncpu"],
            "load1": samples["load1"].fillna(samples["procs_running"].astype(float)),
        }
    ).iloc[1:]
    reset = (d.iloc[1:] < 0).any(axis=1) | (d["total"].iloc[1:] <= 0)
    if reset.any():
        log.warning(
            "%d interval(s) with counters going backwards (reboot?) dropped", int(reset.sum())
        )
    return out[~reset].reset_index(drop=True)


def steal_from_texts(texts: Sequence[tuple[pd.Timestamp | str, str]]) -> pd.DataFrame:
    """Steal and load from ``(time, /proc/stat text)`` pairs, as a runbook engine collects them."""
    rows = []
    for t, text in texts:
        parsed = parse_proc_stat(text)
        cpu = parsed["cpu"]
        assert isinstance(cpu, dict)
        rows.append(
            {
                "time": pd.Timestamp(t),
                "ncpu": parsed["ncpu"],
                **cpu,
                "total": sum(cpu[f] for f in FIELDS[:8]),
                "procs_running": parsed["procs_running"],
                "load1": parsed["load1"],
            }
        )
    frame = pd.DataFrame(rows).sort_values("time").reset_index(drop=True)
    frame["procs_running"] = frame["procs_running"].astype("Int64")
    frame["load1"] = frame["load1"].astype(float)
    return steal_and_load(frame)


def collect_proc_stat(target: Any, samples: int = 4, interval_s: int = 20) -> pd.DataFrame:
    """Take ``/proc/stat`` samples on a runbook target and return steal and load per interval.

    Args:
        target: a :class:`mirtalib.runbook.targets.Target` (local, SSH or replay), or any object
            whose ``run(command, timeout=...)`` returns ``exit_code`` / ``stdout`` / ``stderr``.
        samples: number of samples (>= 2).
        interval_s: seconds between samples (1..3600).

    Raises:
        ParameterError: bad ``samples`` / ``interval_s``; CommandError: the command failed;
        ParseError: its output is not ``/proc/stat`` samples.
    """
    if not 2 <= int(samples) <= 1000 or not 1 <= int(interval_s) <= 3600:
        raise ParameterError(
            f"samples must be 2..1000 and interval_s 1..3600, got {samples}, {interval_s}"
        )
    n, wait = int(samples), int(interval_s)
    command = (
        f"i=0; while [ $i -lt {n} ]; do date +%s; cat /proc/stat /proc/loadavg; i=$((i+1)); "
        f"[ $i -lt {n} ] && sleep {wait}; done; true"
    )
    result = target.run(command, timeout=n * wait + 60)
    if result.exit_code != 0:
        raise CommandError(
            f"{getattr(target, 'name', 'target')}: /proc/stat sampling failed "
            f"(exit {result.exit_code}): {result.stderr.strip()[:200]}"
        )
    return steal_and_load(samples_from_text(result.stdout))
