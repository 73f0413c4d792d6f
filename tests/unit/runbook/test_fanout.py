"""Several targets run at the same time and report per node, in the order given."""

from __future__ import annotations

import threading

from rb_helpers import sample_definition

from mirtalib.runbook import LocalTarget


class BarrierTarget(LocalTarget):
    """A local target that waits at a shared barrier before each command: it only passes when
    both nodes run at the same time (a sequential fan-out would time out)."""

    def __init__(self, name: str, barrier: threading.Barrier):
        super().__init__()
        self.name = self.spec = name
        self.barrier = barrier

    def run(self, command, *, timeout=120.0):
        self.barrier.wait(timeout=10)
        return super().run(command, timeout=timeout)


def test_fan_out_is_parallel_and_ordered(tmp_path):
    barrier = threading.Barrier(2)
    roots = []
    for name in ("a", "b"):
        root = tmp_path / name
        root.mkdir()
        (root / "pjsip.conf").write_text("[transport-udp]\nbind=0.0.0.0:5060\n")
        roots.append(root)
    definition = sample_definition(tmp_path / "a")
    targets = [BarrierTarget("node-b", barrier), BarrierTarget("node-a", barrier)]
    rb = definition.open(targets, journal=tmp_path / "journal")
    report = rb.verify()  # each node runs the 'bind' check command once
    assert [n.node for n in report.nodes] == ["node-b", "node-a"]
    assert not barrier.broken
    assert all(n.results for n in report.nodes)
