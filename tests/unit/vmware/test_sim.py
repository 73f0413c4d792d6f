"""The co-scheduling simulator: known limits, determinism, the page's example."""

from __future__ import annotations

import pandas as pd
import pytest

from mirtalib.errors import ParameterError
from mirtalib.vmware import (
    MODELS,
    Scenario,
    VMSpec,
    doc_example,
    doc_sweep,
    read_inventory,
    simulate,
)
from mirtalib.vmware.sim import scenario_from_inventory

FAST = {"ticks": 600, "replicas": 2}


def test_zero_demand_means_zero_ready_in_every_model():
    s = Scenario("idle", 4, (VMSpec("a", 4, 0.0), VMSpec("b", 4, 0.0), VMSpec("c", 2, 0.0)))
    res = simulate([s], **FAST)
    assert (
        (res["ready_pct"] == 0).all()
        and (res["costop_pct"] == 0).all()
        and (res["run_pct"] == 0).all()
    )


@pytest.mark.parametrize("model", ["independent", "relaxed", "strict"])
def test_lone_vm_never_waits(model):
    s = Scenario("alone", 8, (VMSpec("pbx", 8, 0.9),))
    res = simulate([s], models=[model], **FAST)
    assert res.loc[0, "ready_pct"] == 0 and res.loc[0, "costop_pct"] == 0
    assert res.loc[0, "run_pct"] > 50  # it did run


def test_one_to_one_host_never_waits():
    # page's "before": 4 x 1 vCPU + PBX 4 vCPU = 8 vCPUs on 8 pCPUs: every model gives 0
    res = simulate([doc_example(4, 0.9)], **FAST)
    assert (res["ready_pct"] == 0).all()


def test_deterministic_for_a_seed_and_models_ordered():
    scen = [doc_example(8, 0.5)]
    a = simulate(scen, seed=3, **FAST)
    pd.testing.assert_frame_equal(a, simulate(scen, seed=3, **FAST))
    assert not a.equals(simulate(scen, seed=4, **FAST))
    pbx = a[a["vm"] == "pbx"].set_index("model")["ready_pct"]
    # strict gang scheduling makes the 8-vCPU PBX wait far more than the relaxed model
    assert pbx["strict"] > 10 * max(pbx["relaxed"], 0.1)


def test_overcommit_creates_ready_without_co_scheduling():
    # 2 pCPUs, three busy 1-vCPU VMs: even independent scheduling must queue
    s = Scenario("tight", 2, tuple(VMSpec(n, 1, 0.8) for n in "abc"))
    res = simulate([s], models=["independent"], **FAST)
    assert (res["ready_pct"] > 5).all()


def test_doc_sweep_shape():
    table = doc_sweep(demands=(0.1, 0.5), widths=(4, 8), **FAST)
    assert list(table.columns) == [
        "demand_pct",
        "pbx_vcpus",
        *MODELS,
        "relaxed_costop",
        "strict_vs_relaxed",
    ]
    assert len(table) == 4
    four = table[table["pbx_vcpus"] == 4]
    assert (four[list(MODELS)] == 0).all().all()
    assert four["strict_vs_relaxed"].isna().all()  # nobody waits: no ratio
    eight = table[table["pbx_vcpus"] == 8].set_index("demand_pct")
    assert eight.loc[50, "strict_vs_relaxed"] > 10


def test_bad_parameters():
    with pytest.raises(ParameterError, match="unknown scheduling model"):
        simulate([doc_example(4, 0.1)], models=["gang"])
    with pytest.raises(ParameterError, match="demand must be in 0..1"):
        simulate([Scenario("x", 2, (VMSpec("a", 1, 1.5),))])
    with pytest.raises(ParameterError, match="pcpus must be >= 1"):
        simulate([Scenario("x", 0, (VMSpec("a", 1, 0.5),))])


def test_scenario_from_inventory(tmp_path):
    path = tmp_path / "inv.yaml"
    path.write_text(
        "hosts:\n  - {name: h, cores: 8}\n  - {name: e, cores: 2}\n"
        "vms:\n  - {name: p, host: h, vcpus: 8, role: pbx}\n  - {name: a, host: h, vcpus: 1}\n"
    )
    inv = read_inventory(path)
    s = scenario_from_inventory(inv, "h", {"pbx": 0.2, "a": 0.6}, pbx_vcpus=4)
    assert s.pcpus == 8
    assert {v.name: (v.vcpus, v.demand) for v in s.vms} == {"a": (1, 0.6), "p": (4, 0.4)}
    with pytest.raises(ParameterError, match="no powered-on VMs"):
        scenario_from_inventory(inv, "e")
    with pytest.raises(ParameterError, match="not in the inventory"):
        scenario_from_inventory(inv, "zz")
