"""Oversubscription findings and a verdict per PBX VM, each with its formula and threshold.

This module holds the thresholds, the inventory checks and the verdicts; the checks on performance
data are in :mod:`mirtalib.vmware.perf_findings`.

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

from dataclasses import dataclass

import numpy as np
import pandas as pd

from mirtalib.errors import ParameterError
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

    def __post_init__(self) -> None:
        """Reject impossible values (names the field)."""
        if not 0.0 <= self.ht_credit <= 1.0:
            raise ParameterError(
                f"ht_credit must be within 0..1 (about 0.25), got {self.ht_credit}"
            )
        for name in ("ready", "costop", "steal"):
            risk, harm = getattr(self, f"{name}_risk"), getattr(self, f"{name}_harm")
            if not 0.0 <= risk <= harm:
                raise ParameterError(
                    f"{name}_risk ({risk}) must be >= 0 and <= {name}_harm ({harm})"
                )


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


VCPUS_FROM_VMS, VCPUS_FROM_VHOST = "VM rows", "vHost # vCPUs"


def _vcpu_choice(
    host: str, listed_vms: int, listed: int, vms: float, reported: float
) -> tuple[int, int, str, str]:
    """Which vCPU count a host's ratio uses: ``(vcpus, vms, from, note)``.

    The VM rows (vInfo) give the count VM by VM; vHost's ``# vCPUs`` is RVTools' own total of
    the host's running VMs (assumption documented in :mod:`mirtalib.vmware.rvtools`). When both
    exist and differ the larger is used: a ratio that misses vCPUs hides exactly the contention
    this check looks for.
    """
    if not np.isfinite(reported) or int(reported) == listed:
        return listed, listed_vms, VCPUS_FROM_VMS, ""
    reported_i = int(reported)
    on = f"{int(vms)} running VM(s)" if np.isfinite(vms) else "its running VMs"
    if reported_i > listed:
        why = (
            "vInfo lists none of its powered-on VMs"
            if listed_vms == 0
            else f"vInfo lists only {listed} vCPU(s) on {listed_vms} powered-on VM(s)"
        )
        note = (
            f"{host}: {why}, vHost '# vCPUs' counts {reported_i} on {on}: ratio from vHost "
            "(vInfo is missing VMs of this host: filtered export, or folders the export account "
            "cannot see)"
        )
        return reported_i, int(vms) if np.isfinite(vms) else listed_vms, VCPUS_FROM_VHOST, note
    note = (
        f"{host}: vHost '# vCPUs' counts {reported_i} on {on}, fewer than the {listed} vCPU(s) of "
        f"the {listed_vms} powered-on VM(s) vInfo lists: ratio from vInfo, the larger (tabs "
        "taken at different moments, or an edited export?)"
    )
    return listed, listed_vms, VCPUS_FROM_VMS, note


def host_table(inv: Inventory, th: Thresholds = DEFAULT_THRESHOLDS) -> pd.DataFrame:
    """Per host: cores, threads, powered-on VMs and vCPUs, ratio to cores and to HT capacity.

    ``vcpus_vms`` counts the vCPUs of the host's powered-on VM rows, ``vcpus_vhost`` is the
    host's own total when the source has one (RVTools vHost ``# vCPUs``; NaN otherwise).
    ``vcpus_on`` is the one the ratios use, ``vcpus_from`` says which (``VM rows`` or
    ``vHost # vCPUs``: the larger when both exist), and ``note`` says why when they differ or a
    vHost count could not be read ('' otherwise). ``vms_on`` comes from the same source.
    """
    on = inv.powered_on()
    agg = on.groupby("host").agg(
        vms_listed=("vm", "size"),
        vcpus_vms=("vcpus", "sum"),
        pbx_vms=("role", lambda r: int((r == "pbx").sum())),
    )
    hosts = inv.hosts.set_index("host").join(agg)
    hosts = hosts.fillna({"vms_listed": 0, "vcpus_vms": 0, "pbx_vms": 0})
    for c in ("vms_listed", "vcpus_vms", "pbx_vms"):
        hosts[c] = hosts[c].astype(int)
    chosen = [
        _vcpu_choice(
            str(h), int(r["vms_listed"]), int(r["vcpus_vms"]), r["vhost_vms"], r["vhost_vcpus"]
        )
        for h, r in hosts.iterrows()
    ]
    hosts["vcpus_on"] = [c[0] for c in chosen]
    hosts["vms_on"] = [c[1] for c in chosen]
    hosts["vcpus_from"] = [c[2] for c in chosen]
    hosts["note"] = [
        "; ".join(n for n in (c[3], str(v)) if n)
        for c, v in zip(chosen, hosts["vhost_note"], strict=True)
    ]
    hosts["vcpus_vhost"] = hosts["vhost_vcpus"]
    hosts["capacity"] = hosts["cores"] * np.where(hosts["ht_active"], 1.0 + th.ht_credit, 1.0)
    hosts["ratio_cores"] = hosts["vcpus_on"] / hosts["cores"]
    hosts["ratio_capacity"] = hosts["vcpus_on"] / hosts["capacity"]
    cols = [
        "cores",
        "threads",
        "ht_active",
        "mhz",
        "hypervisor",
        "vms_on",
        "vcpus_on",
        "vcpus_vms",
        "vcpus_vhost",
        "vcpus_from",
        "pbx_vms",
        "capacity",
        "ratio_cores",
        "ratio_capacity",
        "note",
    ]
    out = hosts[cols].reset_index()
    for c in ("vms_on", "vcpus_on", "vcpus_vms", "pbx_vms"):
        out[c] = out[c].astype(int)
    for c in ("vcpus_from", "note"):
        out[c] = out[c].astype("string")
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
        from_vhost = h["vcpus_from"] == VCPUS_FROM_VHOST
        rows.append(
            _row(
                name,
                "host vCPU:core ratio",
                f"{int(h['vcpus_on'])} vCPU / {cores} cores = {h['ratio_cores']:.2f}:1"
                + (f" (vHost # vCPUs; vInfo lists {int(h['vcpus_vms'])})" if from_vhost else ""),
                "vHost # vCPUs (vCPUs of the host's running VMs) / physical cores"
                if from_vhost
                else "sum(vCPUs of powered-on VMs) / physical cores",
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
    if h.get("hypervisor", "") == "kvm":
        return rows  # Latency Sensitivity and reservations are vSphere settings
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


def _dedupe_actions(actions: list[str]) -> list[str]:
    """Keep one vCPU-removal action (the first, most urgent) and drop generic ones it covers."""
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
