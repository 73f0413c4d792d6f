"""Helpers of the runbook tests (unit and integration): a small runbook over files in a folder."""

from __future__ import annotations

import hashlib
import shlex
from pathlib import Path

from mirtalib.asterisk.conf import parse_conf
from mirtalib.asterisk.sysctl import set_sysctl_conf
from mirtalib.runbook import (
    Check,
    Command,
    Param,
    Risk,
    RunbookDef,
    Verification,
    conf_edit,
    equals,
    template_file,
    text_edit,
)

PJSIP = "; demo pjsip.conf\n[transport-udp]\ntype=transport\nbind=0.0.0.0:5060 ; udp\n"
SYSCTL = "# kernel\nvm.swappiness = 10\n"


def tree_state(root: Path) -> dict[str, tuple]:
    """Names, types, modes, owners and content hashes of everything under ``root``."""
    out: dict[str, tuple] = {}
    for path in sorted(root.rglob("*")):
        st = path.lstat()
        digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "dir"
        out[str(path.relative_to(root))] = (st.st_mode, st.st_uid, st.st_gid, digest)
    return out


def sample_definition(root: Path) -> RunbookDef:
    """A runbook touching three kinds of file and running conditional commands under ``root``."""

    def build(v: dict) -> list:
        r = Path(v["root"])
        q = shlex.quote
        steps = [
            template_file(
                "app-conf",
                "Write app.conf",
                str(r / "app.conf"),
                "# managed\nlisten={{ port }}\n",
                {"port": v["port"]},
                mode=0o600,
            ),
            conf_edit(
                "pjsip",
                "Move the UDP transport",
                str(r / "pjsip.conf"),
                lambda doc: doc.section("transport-udp").set("bind", f"0.0.0.0:{v['port']}"),
                validate="grep -q '^bind=' {path}",
            ),
            text_edit(
                "sysctl",
                "Tune the kernel file",
                str(r / "sysctl.conf"),
                lambda text: set_sysctl_conf(text, {"net.ipv4.tcp_fin_timeout": "30"}),
            ),
            Command(
                id="reload",
                title="Reload",
                risk=Risk.SERVICE_AFFECTING,
                command=f"echo reloaded >> {q(str(r / 'reloads.log'))}",
                when_changed=("pjsip", "sysctl"),
                undo=f"echo undone >> {q(str(r / 'reloads.log'))}",
            ),
        ]
        if v["fail"]:
            steps.append(
                Command(
                    id="broken",
                    title="A failing command",
                    risk=Risk.CHANGING,
                    command="echo about to fail; exit 3",
                )
            )
            steps.append(template_file("after", "Never written", str(r / "after.conf"), "x\n", {}))
        steps += [
            Check(
                id="bind",
                title="UDP transport bound",
                command=f"cat {q(str(r / 'pjsip.conf'))}",
                parse=lambda t: parse_conf(t).section("transport-udp").get("bind"),
                expect=equals(f"0.0.0.0:{v['port']}", "bind"),
            ),
            Check(
                id="app",
                title="app.conf content",
                probe=lambda t: t.read_text(str(r / "app.conf")) or "",
                parse=str.strip,
                expect=equals(f"# managed\nlisten={v['port']}", "app.conf"),
            ),
        ]
        return steps

    return RunbookDef(
        page=99,
        slug="engine-test",
        title="Engine test",
        scope="node",
        params=(
            Param("root", str(root)),
            Param("port", 5070),
            Param("fail", False),
            Param("token_env", "MIRTA_TEST_TOKEN", "secret by name", secret_ref=True),
        ),
        build=build,
        verification=Verification(mirta_page="Settings page shows the port."),
    )
