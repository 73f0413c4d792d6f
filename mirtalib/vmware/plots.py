"""Figures of the vCPU oversubscription notebook (tables carry the findings; figures the shape)."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from mirtalib.reporting.charts import tidy
from mirtalib.vmware.sim import MODELS

log = logging.getLogger(__name__)


def plot_counter(
    pct: pd.DataFrame, vms: Sequence[str], counter: str, risk: float, harm: float, title: str
) -> Figure:
    """Percent per vCPU of ``counter`` over time, a line per VM and source, with thresholds."""
    fig = Figure(figsize=(9, 3.2))
    ax = fig.subplots()
    sel = pct[(pct["counter"] == counter) & pct["vm"].isin(list(vms))]
    for (vm, source), s in sel.groupby(["vm", "source"], sort=True):
        s = s.sort_values("time")
        ax.plot(s["time"], s["pct"], lw=0.9, label=f"{vm} ({source})")
    ax.axhline(risk, color="orange", ls="--", lw=1, label=f"voice risk {risk:g} %")
    ax.axhline(harm, color="red", ls="--", lw=1, label=f"voice harmful {harm:g} %")
    ax.set_ylabel(f"{counter} % per vCPU")
    ax.set_title(title)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    return tidy(fig)


def plot_guest_load(series: Mapping[str, pd.DataFrame], busy: Mapping[str, pd.DataFrame]) -> Figure:
    """Page 17's rule over time: guest load (or busy vCPUs) against the guest's cores.

    Args:
        series: guest name -> :func:`mirtalib.vmware.kvm.steal_and_load` output.
        busy: VM name -> frame with ``time``, ``busy`` (busy vCPUs from cpu.usage) and ``cores``.
    """
    panels = [
        (n, s["time"], s["load1"], s["ncpu"], "load (1 min)") for n, s in sorted(series.items())
    ]
    panels += [(n, b["time"], b["busy"], b["cores"], "busy vCPUs") for n, b in sorted(busy.items())]
    fig = Figure(figsize=(9, 2.4 * max(1, len(panels))))
    axes = np.atleast_1d(fig.subplots(max(1, len(panels)), 1, squeeze=False)[:, 0])
    for ax, (name, t, y, cores, what) in zip(axes, panels, strict=False):
        ax.plot(t, y, lw=0.9, label=what)
        ax.plot(t, cores, color="red", ls="--", lw=1, label="cores")
        ax.set_title(name, fontsize=9)
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    return tidy(fig)


def plot_sweep(table: pd.DataFrame, pbx_vcpus: int = 8) -> Figure:
    """PBX ready % per model against the demand level, for one PBX width (log scale)."""
    fig = Figure(figsize=(6.5, 3.5))
    ax = fig.subplots()
    sel = table[table["pbx_vcpus"] == pbx_vcpus]
    for model in MODELS:
        ax.plot(sel["demand_pct"], sel[model].clip(lower=0.01), marker="o", label=model)
    ax.set_yscale("log")
    ax.set_xlabel("demand per vCPU of the other VMs (%)")
    ax.set_ylabel("PBX ready % per vCPU (floor 0.01)")
    ax.set_title(f"Page 40's host, PBX at {pbx_vcpus} vCPU: three scheduling models")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    return tidy(fig)
