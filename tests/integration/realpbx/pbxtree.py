"""The real Asterisk the tests run against: Debian sid's asterisk in a root tree
(scripts/realpbx.sh), configured like a MiRTA node from ``etc/`` and started with chroot as the
tree's asterisk user.

Loopback only: AMI, PJSIP and the tree's sshd listen on 127.0.0.1 ports chosen at start. The
configuration is rendered from the Jinja templates in ``etc/`` with :data:`NODE` (tenants,
extensions named ``<number>-<TENANT>``, queues with MiRTA's Local-channel members, a ring group,
parking lots) and written into the tree's ``/etc/asterisk`` each time the fixture starts it.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import jinja2

HERE = Path(__file__).parent
PROJECT = HERE.parents[2]
SCRIPT = PROJECT / "scripts" / "realpbx.sh"
ETC = HERE / "etc"
TREE_FILES = {"odbc.ini": "/etc/odbc.ini"}  # templates that do not go to /etc/asterisk

# the node's tenants and extensions (ex_id: MiRTA's ex_extensions id, used in queue members)
TENANTS = [
    {
        "code": "DEVEL",
        "extensions": ["100", "101", "102", "103", "104", "105", "106", "107", "108", "109"],
        "ringgroup": "600",
        "ringgroup_members": ["104-DEVEL", "105-DEVEL"],
        "queues": [
            {"name": "support-DEVEL", "number": "700", "strategy": "ringall",
             "members": ["100-DEVEL", "101-DEVEL"]},
            {"name": "sales-DEVEL", "number": "701", "strategy": "rrmemory",
             "members": ["102-DEVEL", "103-DEVEL"]},
        ],
        "parkext": "800",
        "parkpos": "801-810",
        "positions": [str(p) for p in range(801, 811)],
    },
    {
        "code": "ACME",
        "extensions": ["100", "101", "102"],
        "ringgroup": "600",
        "ringgroup_members": ["101-ACME", "102-ACME"],
        "queues": [],
        "parkext": "800",
        "parkpos": "801-803",
        "positions": ["801", "802", "803"],
    },
]  # fmt: skip
QUEUE_RING_TIMEOUT = 15  # seconds a queue rings a member (then RINGNOANSWER)
QUEUE_MAX_WAIT = 60  # seconds a caller waits in a queue unless QWAIT says otherwise
RING_TIMEOUT = 20  # Dial timeout of extensions and ring groups


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def node_context(node: str, odbc_database: str | None) -> dict:
    """Template variables of the node (everything but ports and secrets)."""
    extensions, ex_id = [], 0
    for tenant in TENANTS:
        for number in tenant["extensions"]:
            ex_id += 1
            extensions.append(
                {
                    "name": f"{number}-{tenant['code']}",
                    "number": number,
                    "tenant": tenant["code"],
                    "label": f"{tenant['code'].title()} {number}",
                    "ex_id": ex_id,
                    "password": secrets.token_hex(12),
                }
            )
    ids = {e["name"]: e["ex_id"] for e in extensions}
    queues, tenants = [], []
    for tenant in TENANTS:
        mine = []
        for q in tenant["queues"]:
            q = dict(q, ring_timeout=QUEUE_RING_TIMEOUT, max_wait=QUEUE_MAX_WAIT)
            q["members"] = [
                {
                    "interface": f"Local/AG-000-NF-{ids[m]}@fromotherpbx",
                    "name": m,
                    "state_interface": f"Custom:{m}",
                }
                for m in q["members"]
            ]
            mine.append(q)
        queues += mine
        tenants.append(dict(tenant, queues=mine))
    return {
        "node": node,
        "extensions": extensions,
        "tenants": tenants,
        "queues": queues,
        "ring_timeout": RING_TIMEOUT,
        "parkingtime": 120,
        "odbc": odbc_database is not None,
        "odbc_database": odbc_database or "",
        "odbc_table": "cdr",
    }


class PbxError(RuntimeError):
    """Raised when the real PBX cannot be built, started or asked."""


@dataclass
class RealPbx:
    """A running (or startable) real Asterisk in ``tree``."""

    tree: Path
    node: str = "srv01"
    ami_port: int = field(default_factory=free_port)
    sip_port: int = field(default_factory=lambda: free_port(socket.SOCK_DGRAM))
    ami_user: str = "mirta"
    ami_secret: str = field(default_factory=lambda: secrets.token_urlsafe(18))
    odbc_database: str | None = None
    context: dict = field(default_factory=dict)
    overlay: bool = False  # tree is a private overlay mount (unmounted by unmount())

    # ---- the tree -------------------------------------------------------------------------
    @classmethod
    def build(cls) -> Path:
        """The cached tree, built by scripts/realpbx.sh when missing (root only)."""
        proc = subprocess.run([str(SCRIPT)], capture_output=True, text=True, timeout=900)
        if proc.returncode != 0:
            raise PbxError(f"scripts/realpbx.sh failed ({proc.returncode}): {proc.stderr[-1500:]}")
        return Path(proc.stdout.strip().splitlines()[-1])

    def chroot(self, *args: str, check: bool = True, timeout: float = 60, input: str | None = None):
        proc = subprocess.run(
            ["chroot", str(self.tree), *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            input=input,
        )
        if check and proc.returncode != 0:
            raise PbxError(f"chroot {' '.join(args)}: rc {proc.returncode}: {proc.stderr[-1500:]}")
        return proc

    def path(self, inside: str) -> Path:
        return self.tree / inside.lstrip("/")

    @classmethod
    def private(cls, cached: Path, workdir: Path, **kw) -> RealPbx:
        """A node on a private copy-on-write view of the cached tree (overlayfs).

        Each test session (and each recording) writes its configuration and logs into its own
        upper layer under ``workdir``, so the cached tree stays as debootstrap made it and two
        sessions on one machine do not share a node.
        """
        upper, work, merged = (workdir / n for n in ("upper", "work", "root"))
        for d in (upper, work, merged):
            d.mkdir(parents=True, exist_ok=True)
        opts = f"lowerdir={cached},upperdir={upper},workdir={work}"
        proc = subprocess.run(
            ["mount", "-t", "overlay", "overlay", "-o", opts, str(merged)],
            capture_output=True,
            text=True,
        )
        if proc.returncode != 0:
            raise PbxError(f"cannot mount an overlay of {cached}: {proc.stderr.strip()}")
        return cls(merged, overlay=True, **kw)

    def _mounted(self, sub: str) -> bool:
        target = os.path.realpath(self.tree / sub)
        with open("/proc/mounts") as fh:
            return any(line.split()[1] == target for line in fh)

    def mount(self) -> None:
        if not self._mounted("proc"):
            subprocess.run(["mount", "-t", "proc", "proc", str(self.tree / "proc")], check=True)
        if not self._mounted("dev"):
            subprocess.run(["mount", "--bind", "/dev", str(self.tree / "dev")], check=True)

    def unmount(self) -> None:
        for sub in ("dev", "proc"):
            if self._mounted(sub):
                subprocess.run(["umount", "-l", str(self.tree / sub)], check=False)
        if self.overlay and self._mounted(""):
            subprocess.run(["umount", "-l", str(self.tree)], check=False)

    # ---- configuration --------------------------------------------------------------------
    def configure(self) -> None:
        """Render ``etc/`` into the tree (owned by the tree's asterisk user)."""
        self.context = node_context(self.node, self.odbc_database)
        values = dict(
            self.context,
            ami_port=self.ami_port,
            sip_port=self.sip_port,
            ami_user=self.ami_user,
            ami_secret=self.ami_secret,
        )
        env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(ETC)),
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        for template in sorted(ETC.iterdir()):
            text = env.get_template(template.name).render(values)
            dest = self.path(TREE_FILES.get(template.name, f"/etc/asterisk/{template.name}"))
            dest.write_text(text)
        # Debian's sample dial plans in other languages would add contexts of their own
        for sample in ("extensions.ael", "extensions.lua", "sip.conf", "iax.conf", "users.conf"):
            p = self.path(f"/etc/asterisk/{sample}")
            if p.exists():
                p.write_text("")
        self.chroot("chown", "-R", "asterisk:asterisk", "/etc/asterisk")
        os.chmod(self.path("/etc/asterisk/manager.conf"), 0o640)

    def reset_logs(self) -> None:
        """Empty the CDR, CEL, queue and Asterisk logs (before a session's scenarios)."""
        logdir = self.path("/var/log/asterisk")
        for sub in ("cdr-csv", "cdr-custom", "cel-custom"):
            shutil.rmtree(logdir / sub, ignore_errors=True)
            (logdir / sub).mkdir(parents=True)
        for name in ("queue_log", "full", "messages.log"):
            (logdir / name).write_text("")
        self.chroot("chown", "-R", "asterisk:asterisk", "/var/log/asterisk")

    # ---- process --------------------------------------------------------------------------
    def pid(self) -> int | None:
        pidfile = self.path("/run/asterisk/asterisk.pid")
        try:
            pid = int(pidfile.read_text().strip())
        except (OSError, ValueError):
            return None
        return pid if Path(f"/proc/{pid}").exists() else None

    def start(self) -> None:
        self.mount()
        if self.pid():
            self.stop()
        self.chroot(
            "/bin/sh",
            "-c",
            "mkdir -p /run/asterisk && chown asterisk:asterisk /run/asterisk && "
            "/usr/sbin/asterisk -F -U asterisk -G asterisk",
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            proc = self.chroot("asterisk", "-rx", "core waitfullybooted", check=False, timeout=30)
            if proc.returncode == 0 and "fully booted" in proc.stdout:
                break
            time.sleep(0.3)
        else:
            raise PbxError("Asterisk did not finish booting within 60 s")
        self.wait_port(self.ami_port)
        # MiRTA's state daemon writes the custom device states; a fresh node has them idle
        for ext in self.context["extensions"]:
            self.rx(f"devstate change Custom:{ext['name']} NOT_INUSE")
        self.rx("core set debug 3 devicestate.c")

    def stop(self) -> None:
        pid = self.pid()
        if pid is None:
            return
        self.chroot("asterisk", "-rx", "core stop now", check=False, timeout=30)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and Path(f"/proc/{pid}").exists():
            time.sleep(0.1)
        if Path(f"/proc/{pid}").exists():
            os.kill(pid, 9)

    def restart(self) -> None:
        """Stop and start again: Local channel numbers start again from 00000000."""
        self.stop()
        self.start()

    @staticmethod
    def wait_port(port: int, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    return
            except OSError:
                time.sleep(0.1)
        raise PbxError(f"nothing listens on 127.0.0.1:{port}")

    def rx(self, command: str, *, raw: bool = False) -> str:
        """``asterisk -rx COMMAND`` as an operator types it (colour codes included)."""
        proc = self.chroot("asterisk", "-rx", command, check=False, timeout=30)
        if proc.returncode != 0:
            raise PbxError(f"asterisk -rx {command!r}: rc {proc.returncode}: {proc.stderr}")
        return proc.stdout

    def read(self, inside: str) -> str:
        return self.path(inside).read_text(errors="replace")

    @property
    def logdir(self) -> Path:
        return self.path("/var/log/asterisk")


@contextlib.contextmanager
def scratch_node(
    prefix: str, before_start: Callable[[RealPbx], None] | None = None, **kw
) -> Iterator[tuple[RealPbx, Path]]:
    """A configured, started node on a private overlay in a scratch folder, for the recorders.

    ``before_start(pbx)`` may change the rendered configuration before Asterisk starts. Yields
    ``(pbx, scratch)``; afterwards Asterisk is stopped, the mounts undone, the scratch removed.
    """
    scratch = Path(tempfile.mkdtemp(prefix=prefix))
    pbx = RealPbx.private(RealPbx.build(), scratch / "tree", **kw)
    try:
        pbx.configure()
        if before_start is not None:
            before_start(pbx)
            pbx.chroot("chown", "-R", "asterisk:asterisk", "/etc/asterisk")
        pbx.reset_logs()
        pbx.start()
        yield pbx, scratch
    finally:
        pbx.stop()
        pbx.unmount()
        shutil.rmtree(scratch, ignore_errors=True)
