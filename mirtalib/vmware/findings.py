"""Oversubscription findings and a verdict per PBX VM, each with its formula and threshold.

Checks (DOMAIN.md, seed pages 40 and 17):

* host vCPU:core ratio = vCPUs of powered-on VMs / physical cores (threads are not cores; a
  hyper-threaded host is credited at most ``ht_credit`` = 25 % extra capacity);
* PBX width: PBX vCPUs vs the host's cores, and vs cores - 1 (one left for the hypervisor);
* ready % and co-stop % per vCPU (p95 and max at the export's interval), with voice thresholds
  stricter than the generic 5 % / 10 %; readiness cross-check; max-limited > 0 or a CPU limit set;
  Latency Sensitivity and full reservation for PBX VMs; KVM steal %;
* guest load vs cores over time (page 17: the load should never exceed the number of cores).

The voice thresholds are this project's choices (VMware documents only the generic ones): they are
fields of :class:`Thresholds` so an operator can change them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from mirtalib.vmware.inventory import Inventory

OK, RISK, HARM, INFO = "OK", "at risk", "harmful", "info"
RANK = {INFO: 0, OK: 0, RISK: 1, HARM: 2}
FINDING_COLUMNS = ["subject", "check", "value", "formula", "threshold", "level", "action"]


@dataclass(frozen=True)
class Thresholds:
    """Limits used by the findings (percentages are per vCPU)."""

    ht_credit: float = 0.25
    ready_risk: float = 2.0
    ready_harm: float = 5.0
    costop_risk: float = 0.5
    costop_harm: float = 3.0
    steal_risk: float = 2.0
    steal_harm: float = 5.0
    readiness_tolerance: float = 1.0
    generic_ready: tuple[float, float] = (5.0, 10.0)


DEFAULT_THRESHOLDS = Thresholds()


def _level(value: float, risk: float, harm: float) -> str:
    if not np.isfinite(value):
        return INFO
    return HARM if value >= harm else RISK if value >= risk else OK


def _row(
    subject: str, check: str, value: str, formula: str, threshold: str, level: str, action: str = ""
) -> dict[str, str]:
    return dict(
        zip(
            FINDING_COLUMNS, [subject, check, value, formula, threshold, level, action], strict=True
        )
    )


def host_table(inv: Inventory, th: Thresholds = DEFAULT_THRESHOLDS) -> pd.DataFrame:
    """Per host: cores, threads, powered-on VMs and vCPUs, ratio to cores and to HT capacity."""
    on = inv.powered_on()
    agg = on.groupby("host").agg(
        vms_on=("vm", "size"),
        vcpus_on=("vcpus", "sum"),
        pbx_vms=("role", lambda r: int((r == "pbx").sum())),
    )
    hosts = inv.hosts.set_index("host").join(agg).fillna({"vms_on": 0, "vcpus_on": 0, "pbx_vms": 0})
    hosts["capacity"] = hosts["cores"] * np.where(hosts["ht_active"], 1.0 + th.ht_credit, 1.0)
    hosts["ratio_cores"] = hosts["vcpus_on"] / hosts["cores"]
    hosts["ratio_capacity"] = hosts["vcpus_on"] / hosts["capacity"]
    cols = [
        "cores",
        "threads",
        "ht_active",
        "mhz",
        "vms_on",
        "vcpus_on",
        "pbx_vms",
        "capacity",
        "ratio_cores",
        "ratio_capacity",
    ]
    out = hosts[cols].reset_index()
    for c in ("vms_on", "vcpus_on", "pbx_vms"):
        out[c] = out[c].astype(int)
    return out


def _moves(others: pd.DataFrame, excess: int) -> list[str]:
    picked, freed = [], 0
    for _, r in others.sort_values(["vcpus", "vm"], ascending=[False, True]).iterrows():
        if freed >= excess:
            break
        picked.append(str(r["vm"]))
        freed += int(r["vcpus"])
    return picked if freed >= excess else []


def inventory_findings(inv: Inventory, th: Thresholds = DEFAULT_THRESHOLDS) -> pd.DataFrame:
    """Host ratio, PBX width and configuration findings for every PBX VM of the inventory."""
    hosts = host_table(inv, th).set_index("host")
    rows = []
    pbx = inv.powered_on()
    pbx = pbx[pbx["role"] == "pbx"]
    for _, vm in pbx.sort_values("vm").iterrows():
        h = hosts.loc[vm["host"]]
        name, cores, vcpus = str(vm["vm"]), int(h["cores"]), int(vm["vcpus"])
        excess = int(h["vcpus_on"]) - cores
        level = RISK if excess > 0 else OK
        if h["vcpus_on"] > h["capacity"]:
            level = HARM
        action = ""
        if excess > 0:
            others = inv.vms_on(vm["host"])
            moves = _moves(others[others["vm"] != name], excess)
            cut = min(excess, vcpus - 1)
            options = []
            if cut > 0:
                options.append(f"remove {cut} vCPU(s) from {name} ({vcpus} -> {vcpus - cut})")
            if moves:
                options.append(f"move VM {', '.join(moves)} off {vm['host']}")
            action = " or ".join(options)
        rows.append(
            _row(
                name,
                "host vCPU:core ratio",
                f"{int(h['vcpus_on'])} vCPU / {cores} cores = {h['ratio_cores']:.2f}:1",
                "sum(vCPUs of powered-on VMs) / physical cores",
                f"<= 1:1 OK; > {1 + th.ht_credit:.2f}:1 (cores + {th.ht_credit:.0%} HT credit)"
                " harmful"
                if h["ht_active"]
                else "<= 1:1 OK; > 1:1 harmful (no HT)",
                level if h["ht_active"] or excess <= 0 else HARM,
                action,
            )
        )
        wl = HARM if vcpus > cores else RISK if vcpus > cores - 1 else OK
        rows.append(
            _row(
                name,
                "PBX width",
                f"{vcpus} vCPU on {cores} cores",
                "PBX vCPUs vs cores and cores - 1",
                f"<= {cores - 1} OK; {cores} at risk; > {cores} harmful",
                wl,
                f"remove {vcpus - (cores - 1)} vCPU(s) from {name}"
                if wl != OK and vcpus > 1
                else "",
            )
        )
        rows.extend(_config_rows(vm, h, th, excess > 0))
    return pd.DataFrame(rows, columns=FINDING_COLUMNS)


def _config_rows(
    vm: pd.Series, h: pd.Series, th: Thresholds, overcommitted: bool
) -> list[dict[str, str]]:
    name, vcpus = str(vm["vm"]), int(vm["vcpus"])
    rows = []
    limit = vm["limit_mhz"]
    if pd.notna(limit):
        rows.append(
            _row(
                name,
                "CPU limit",
                f"{limit:.0f} MHz",
                "vCPU tab Limit (-1 = unlimited)",
                "no limit on a PBX",
                HARM,
                f"remove the CPU limit on {name}",
            )
        )
    ls = str(vm["latency_sensitivity"] or "")
    rows.append(
        _row(
            name,
            "Latency Sensitivity",
            ls or "unknown",
            "vInfo Latency Sensitivity",
            "high for a PBX (needs full CPU and memory reservation)",
            OK if ls == "high" else RISK if overcommitted else INFO,
            "" if ls == "high" else f"set Latency Sensitivity = High on {name}",
        )
    )
    mhz = float(h.get("mhz", np.nan)) if "mhz" in h else float("nan")
    full = vcpus * mhz
    res = float(vm["reservation_mhz"])
    if np.isfinite(full) and full > 0:
        ok = np.isfinite(res) and res >= full * 0.99
        rows.append(
            _row(
                name,
                "CPU reservation",
                f"{0 if not np.isfinite(res) else res:.0f} of {full:.0f} MHz",
                "reservation vs vCPUs x core MHz",
                "full reservation for a PBX",
                OK if ok else RISK if overcommitted else INFO,
                "" if ok else f"reserve {full:.0f} MHz for {name}",
            )
        )
    return rows


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


def _dedupe_actions(actions: list[str]) -> list[str]:
    """Keep one vCPU-removal action (the first = most urgent) and drop the generic ones it covers."""
    out: list[str] = []
    removal = False
    for a in dict.fromkeys(actions):
        if a.startswith("remove ") and "vCPU" in a:
            if removal:
                continue
            removal = True
        out.append(a)
    if removal:
        out = [a for a in out if not a.startswith("reduce contention")]
    return out


def verdicts(findings: pd.DataFrame) -> pd.DataFrame:
    """One line per PBX VM: worst level of its findings and the concrete changes, urgent first."""
    rows = []
    for vm, f in findings.groupby("subject", sort=True):
        worst = max(f["level"], key=lambda lv: RANK.get(lv, 0))
        worst = OK if worst == INFO else worst
        acts = f.assign(rank=f["level"].map(RANK)).sort_values("rank", ascending=False)
        actions = _dedupe_actions([a for a in acts["action"] if a])
        why = "; ".join(
            f"{c}: {v}"
            for c, v, lv in zip(f["check"], f["value"], f["level"], strict=True)
            if lv in (RISK, HARM)
        )
        rows.append(
            {
                "vm": vm,
                "verdict": worst,
                "why": why or "all checks within limits",
                "change": "; ".join(actions)
                if worst != OK
                else ("; ".join(actions) + " (advice)" if actions else "none"),
            }
        )
    return pd.DataFrame(rows, columns=["vm", "verdict", "why", "change"])


def recommended_vcpus(busy_p95: float, headroom: float = 1.5) -> int:
    """vCPUs to give a VM whose p95 busy vCPUs is ``busy_p95`` (headroom x, at least 2)."""
    return max(2, math.ceil(busy_p95 * headroom))
