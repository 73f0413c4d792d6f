"""Findings from performance data: ready / co-stop / max-limited / readiness per source file,
KVM steal, and guest load against cores (seed page 17's rule), in the rows of
:data:`mirtalib.vmware.findings.FINDING_COLUMNS`.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from mirtalib.vmware.findings import (
    DEFAULT_THRESHOLDS,
    FINDING_COLUMNS,
    HARM,
    INFO,
    OK,
    RISK,
    Thresholds,
    _level,
    _row,
)


def counter_stats(pct: pd.DataFrame) -> pd.DataFrame:
    """Per VM, counter and source file: samples, interval, mean, p95 and max of percent per vCPU.

    Sources are kept apart: a p95 of 5 s esxtop samples and one of 300 s rollups do not mix.
    """
    cols = ["vm", "counter", "source", "samples", "interval_s", "mean", "p95", "max"]
    if pct.empty:
        return pd.DataFrame(columns=cols)
    g = pct.groupby(["vm", "counter", "source"])
    out = g.agg(
        samples=("pct", "size"),
        mean=("pct", "mean"),
        p95=("pct", lambda s: s.quantile(0.95)),
        max=("pct", "max"),
    )
    out["interval_s"] = g["interval_s"].agg(lambda s: "/".join(f"{v:g}" for v in sorted(set(s))))
    return out.reset_index()[cols]


def counter_findings(
    stats: pd.DataFrame,
    pbx_vms: list[str],
    th: Thresholds = DEFAULT_THRESHOLDS,
    size_to: dict[str, int] | None = None,
) -> pd.DataFrame:
    """Ready, co-stop, max-limited and readiness findings for the PBX VMs, one set per source file.

    ``size_to`` maps a VM to the vCPU count its measured load needs (for the co-stop action).
    """
    rows = []
    size_to = size_to or {}
    gen = f"generic: < {th.generic_ready[0]:g} % fine, > {th.generic_ready[1]:g} % critical"
    for (vm, source), s in stats[stats["vm"].isin(pbx_vms)].groupby(["vm", "source"], sort=True):
        s = s.set_index("counter")
        r = s.loc["ready"] if "ready" in s.index else None
        n = int(r["samples"]) if r is not None else int(s["samples"].max())
        where = f"{source}, {n} x {s['interval_s'].iloc[0]} s"
        if r is not None:
            lvl = _level(r["p95"], th.ready_risk, th.ready_harm)
            rows.append(
                _row(
                    vm,
                    "ready % per vCPU",
                    f"p95 {r['p95']:.2f} %, max {r['max']:.2f} % ({where})",
                    "ready_ms / (interval_s x 1000 x vCPUs) x 100",
                    f"voice: p95 < {th.ready_risk:g} % OK, >= {th.ready_harm:g} % harmful ({gen})",
                    lvl,
                    "" if lvl == OK else "reduce contention on the host (see the ratio)",
                )
            )
        if "costop" in s.index:
            c = s.loc["costop"]
            lvl = _level(c["p95"], th.costop_risk, th.costop_harm)
            act = ""
            if lvl != OK:
                act = f"too many vCPUs for the host: remove vCPUs from {vm}"
                if vm in size_to:
                    act = f"remove vCPUs from {vm} down to {size_to[vm]} (measured p95 load x 1.5)"
            rows.append(
                _row(
                    vm,
                    "co-stop % per vCPU",
                    f"p95 {c['p95']:.2f} %, max {c['max']:.2f} % ({where})",
                    "costop_ms / (interval_s x 1000 x vCPUs) x 100",
                    f"p95 < {th.costop_risk:g} % OK, >= {th.costop_harm:g} % harmful",
                    lvl,
                    act,
                )
            )
        if "maxlimited" in s.index:
            m = s.loc["maxlimited"]
            lvl = HARM if m["max"] > 0 else OK
            rows.append(
                _row(
                    vm,
                    "max-limited %",
                    f"max {m['max']:.2f} % ({where})",
                    "maxlimited per vCPU",
                    "0 (any value means a CPU limit is set)",
                    lvl,
                    "" if lvl == OK else f"remove the CPU limit on {vm}",
                )
            )
        if "readiness" in s.index and r is not None:
            a = s.loc["readiness"]
            diff = abs(a["mean"] - r["mean"])
            lvl = OK if diff <= max(th.readiness_tolerance, 0.25 * r["mean"]) else RISK
            rows.append(
                _row(
                    vm,
                    "readiness cross-check",
                    f"readiness {a['mean']:.2f} % vs ready {r['mean']:.2f} % ({source})",
                    "mean cpu.readiness.average vs mean ready % per vCPU",
                    f"agree within {th.readiness_tolerance:g} point or 25 %",
                    lvl,
                    "" if lvl == OK else "check the vCPU count and the export interval",
                )
            )
    return pd.DataFrame(rows, columns=FINDING_COLUMNS)


def guest_findings(
    vm: str, series: pd.DataFrame, th: Thresholds = DEFAULT_THRESHOLDS
) -> pd.DataFrame:
    """Steal % and load-vs-cores findings from :func:`mirtalib.vmware.kvm.steal_and_load` output."""
    rows = []
    steal = series["steal_pct"].dropna()
    if len(steal) and float(steal.max()) == 0.0:
        rows.append(
            _row(
                vm,
                "steal % (/proc/stat)",
                "0 in every interval",
                "d(steal) / d(total jiffies) x 100",
                "VMware guests do not report steal: use ready %",
                INFO,
            )
        )
    elif len(steal):
        p95 = float(steal.quantile(0.95))
        lvl = _level(p95, th.steal_risk, th.steal_harm)
        rows.append(
            _row(
                vm,
                "steal % (/proc/stat)",
                f"p95 {p95:.2f} %, max {steal.max():.2f} % ({len(steal)} intervals)",
                "d(steal) / d(total jiffies) x 100",
                f"p95 < {th.steal_risk:g} % OK, >= {th.steal_harm:g} % harmful",
                lvl,
                "" if lvl == OK else "the KVM host is overcommitted: pin or move guests",
            )
        )
    rows.append(load_finding(vm, series["load1"], series["ncpu"]))
    return pd.DataFrame(rows, columns=FINDING_COLUMNS)


def load_finding(
    vm: str, load: pd.Series, cores: pd.Series | float, what: str = "load"
) -> dict[str, str]:
    """Page 17's rule: the load should never be higher than the number of cores."""
    cores = pd.Series(cores, index=load.index) if np.isscalar(cores) else cores
    ok = load.notna()
    over = (load[ok] > cores[ok]).mean() if ok.any() else float("nan")
    n = int(cores.max()) if len(cores) else 0
    lvl = (
        INFO if not ok.any() else HARM if load[ok].quantile(0.95) > n else RISK if over > 0 else OK
    )
    return _row(
        vm,
        f"guest {what} vs cores",
        f"max {load.max():.2f}, over {n} cores in {over:.1%} of samples",
        f"{what} per sample vs cores",
        "never above the cores (page 17)",
        lvl,
        ""
        if lvl in (OK, INFO)
        else f"{vm} needs more CPU than it can get: find the load, then size",
    )


def recommended_vcpus(busy_p95: float, headroom: float = 1.5) -> int:
    """vCPUs to give a VM whose p95 busy vCPUs is ``busy_p95`` (headroom x, at least 2)."""
    return max(2, math.ceil(busy_p95 * headroom))
