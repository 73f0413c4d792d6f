"""Helpers of the fleet integration tests: node files (sysctl file, certificates) and the
inventory naming the demo replay nodes and loopback sshd nodes (``fleet`` fixture in conftest)."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent / "runbook"))
sys.path.insert(0, str(HERE.parents[1] / "unit" / "runbooks"))

from install_replays import make_cert, pem  # noqa: E402
from sshd_nodes import NODE_MOUNT, SshServer  # noqa: E402


def kernel(name: str) -> str:
    """This host's value of a sysctl (the loopback nodes share the kernel)."""
    return Path("/proc/sys", *name.split(".")).read_text().split()[0]


@dataclass
class Fleet:
    """The nodes and their inventory."""

    inventory: Path
    servers: dict[str, SshServer]
    folders: dict[str, Path]


def node_files(folder: Path, name: str, fin_timeout: str, days: int, ca) -> None:
    reuse = kernel("net.ipv4.tcp_tw_reuse")
    (folder / "sysctl.conf").write_text(
        f"# test node {name}\nnet.ipv4.tcp_fin_timeout = {fin_timeout}\n"
        f"net.ipv4.tcp_tw_reuse = {reuse}\n"
    )
    now = datetime.now(UTC)
    cert, _key = make_cert(
        [f"{name}.pbx.test"], now - timedelta(days=30), now + timedelta(days=days, hours=6), ca=ca
    )
    live = folder / "live" / f"{name}.pbx.test"
    live.mkdir(parents=True)
    (live / "fullchain.pem").write_bytes(pem(cert) + pem(ca[0]))


def inventory_text(servers: dict[str, SshServer], extra_hosts: str = "") -> str:
    """The inventory: the demo replay nodes, and the sshd nodes with their keys."""
    hosts = "".join(
        f"""        {name}:
          address: {s.url}
          vars:
            ssh_key_path: {s.client_key}
            known_hosts: {s.known_hosts}
            pages:
              9: {{pbx_names: {name}.pbx.test}}
"""
        for name, s in servers.items()
    )
    return f"""\
all:
  vars:
    timeout: 3
    fin_timeout: {kernel("net.ipv4.tcp_fin_timeout")}
    tw_reuse: {kernel("net.ipv4.tcp_tw_reuse")}
  children:
    demo:
      roles: [pbx]
      hosts:
        srv01:
          address: replay:srv01
          roles: [opensips, ftp]
        srv02:
          address: replay:srv02
          roles: [dahdi]
    loopback:
      roles: [pbx]
      vars:
        sysctl_file: {NODE_MOUNT}/sysctl.conf
        pages:
          9: {{platform: debian, live_dir: {NODE_MOUNT}/live}}
        certificates: [{NODE_MOUNT}/live/cert.pem]
      hosts:
{hosts}{extra_hosts}"""
