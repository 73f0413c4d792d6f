"""Fixtures of the fleet integration tests: two loopback sshd nodes (each its own mount
namespace: its files at ``/run/mirta-test-node``), one with drift injected, and an inventory
naming them and the demo replay nodes."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from fleetnodes import Fleet, inventory_text, kernel, make_cert, node_files
from sshd_nodes import start_sshd


@pytest.fixture
def fleet(tmp_path) -> Iterator[Fleet]:
    """Nodes ``pbxa`` (as wanted) and ``pbxb`` (drift: another tcp_fin_timeout in its sysctl
    file, a certificate expiring in 3 days)."""
    now = datetime.now(UTC)
    ca = make_cert(
        ["Fleet Test CA"], now - timedelta(days=60), now + timedelta(days=900), is_ca=True
    )
    fin = kernel("net.ipv4.tcp_fin_timeout")
    with ExitStack() as stack:
        servers, folders = {}, {}
        for name, fin_timeout, days in (("pbxa", fin, 200), ("pbxb", str(int(fin) + 7), 3)):
            folder = tmp_path / name
            folder.mkdir()
            node_files(folder, name, fin_timeout, days, ca)
            (folder / "live" / "cert.pem").symlink_to(f"{name}.pbx.test/fullchain.pem")
            folders[name] = folder
            servers[name] = stack.enter_context(start_sshd(tmp_path / f"{name}-sshd", node=folder))
        inventory = tmp_path / "fleet.yaml"
        inventory.write_text(inventory_text(servers))
        yield Fleet(inventory, servers, folders)
