"""Inventory of a remote recordings store over FTPS (vsftpd with TLS required, runbook page 13).

The store is walked with ``MLSD`` when the server has it and ``LIST`` otherwise (vsftpd has no
MLSD); the data channel is protected (``PROT P``). With ``read_headers`` the first bytes of each
``.wav`` file are fetched to read its WAV header. The password is read from the environment
variable named by ``password_env`` and never appears in a message.
"""

from __future__ import annotations

import ftplib
import logging
import posixpath
import ssl
from dataclasses import dataclass

from mirtalib import validate
from mirtalib.errors import DataSourceError, ParameterError, ParseError
from mirtalib.recording.inventory import FileEntry
from mirtalib.recording.wav import HEADER_BYTES
from mirtalib.secrets import resolve_secret, scrub

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FtpsStore:
    """Where the remote store is and how to log in.

    Attributes:
        host: server name or IP.
        port: control port (21 by default).
        user: login name (e.g. ``recording``, as on page 13).
        password_env: NAME of the environment variable holding the password.
        root: folder of the recordings, relative to the (chrooted) login folder.
        cafile: PEM file of the CA (or self-signed certificate) to trust; "" = system CAs.
        verify: check the server certificate (turn off only for a throw-away test server).
        timeout: seconds for connecting and each reply.
    """

    host: str
    user: str
    password_env: str
    port: int = 21
    root: str = "recordings"
    cafile: str = ""
    verify: bool = True
    timeout: float = 30.0

    def __post_init__(self) -> None:
        """Check every field (ParameterError naming the ftps_* parameter at fault)."""
        validate.host(self.host, "ftps_host")
        validate.port(self.port, "ftps_port")
        validate.env_var(self.password_env, "ftps_password_env")
        if not self.user or any(ch.isspace() for ch in self.user):
            raise ParameterError(f"ftps_user={self.user!r} is not a login name")
        if "\n" in self.root or "\r" in self.root:
            raise ParameterError(f"ftps_root={self.root!r} contains a line break")


def parse_list_line(line: str) -> tuple[str, bool, int]:
    """Parse one Unix-style ``LIST`` line into (name, is_dir, size).

    Raises:
        ParseError: when the line is not in ``ls -l`` form.
    """
    parts = line.split(None, 8)
    if len(parts) < 9 or not parts[0] or parts[0][0] not in "-dl":
        raise ParseError(f"LIST line not understood: {line!r}")
    try:
        size = int(parts[4])
    except ValueError:
        raise ParseError(f"LIST line has no size: {line!r}") from None
    name = parts[8]
    if parts[0][0] == "l":
        name = name.split(" -> ", 1)[0]
    return name, parts[0][0] == "d", size


def _listing(ftp: ftplib.FTP_TLS, folder: str, state: dict) -> list[tuple[str, bool, int]]:
    if state.get("mlsd", True):
        try:
            items = []
            for name, facts in ftp.mlsd(folder, facts=["type", "size"]):
                kind = facts.get("type", "")
                if kind in {"cdir", "pdir"} or name in {".", ".."}:
                    continue
                items.append((name, kind == "dir", int(facts.get("size", 0) or 0)))
            return items
        except ftplib.error_perm as exc:
            if not str(exc).startswith(("500", "501", "502", "504")):
                raise
            state["mlsd"] = False
            log.info("FTPS server has no MLSD (%s): using LIST", str(exc).strip())
    lines: list[str] = []
    ftp.retrlines(f"LIST {folder}", lines.append)
    items = []
    for line in lines:
        if not line.strip() or line.startswith("total "):
            continue
        try:
            items.append(parse_list_line(line))
        except ParseError as exc:
            state.setdefault("rejects", []).append(FileEntry(folder + "/?", -1, None, str(exc)))
    return items


def _read_head(ftp: ftplib.FTP_TLS, path: str, size: int, head_bytes: int) -> bytes:
    conn = ftp.transfercmd(f"RETR {path}")
    buf = bytearray()
    try:
        while len(buf) < head_bytes:
            chunk = conn.recv(head_bytes - len(buf))
            if not chunk:
                break
            buf.extend(chunk)
        if len(buf) >= size and hasattr(conn, "unwrap"):
            conn.unwrap()
    finally:
        conn.close()
    try:
        ftp.voidresp()
    except ftplib.error_temp:  # 426: we closed the data channel before the end, as intended
        pass
    return bytes(buf)


def scan_ftps(
    store: FtpsStore,
    read_headers: bool = True,
    head_bytes: int = HEADER_BYTES,
    suffix: str = ".wav",
) -> list[FileEntry]:
    """List every file under ``store.root`` over FTPS, sorted by path.

    Raises:
        DataSourceError: naming host, port and user when the server cannot be reached, refuses
            the login or TLS, or the root folder does not exist (never showing the password).
    """
    password = resolve_secret(store.password_env)
    context = ssl.create_default_context(cafile=store.cafile or None)
    if not store.verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    where = f"FTPS {store.host}:{store.port} as {store.user}"
    entries: list[FileEntry] = []
    try:
        with ftplib.FTP_TLS(context=context, timeout=store.timeout) as ftp:  # noqa: S321 - TLS
            ftp.connect(store.host, store.port)
            ftp.login(store.user, password)
            ftp.prot_p()
            state: dict = {}
            pending = [store.root.rstrip("/") or "."]
            while pending:
                folder = pending.pop()
                for name, is_dir, size in _listing(ftp, folder, state):
                    path = posixpath.join(folder, name)
                    if is_dir:
                        pending.append(path)
                        continue
                    rel = posixpath.relpath(path, store.root.rstrip("/") or ".")
                    head = None
                    if read_headers and size > 0 and name.lower().endswith(suffix):
                        head = _read_head(ftp, path, size, head_bytes)
                    entries.append(FileEntry(rel, size, head))
            entries.extend(state.get("rejects", []))
    except (OSError, EOFError, ftplib.Error) as exc:
        raise DataSourceError(f"{where}: {scrub(str(exc)).strip() or type(exc).__name__}") from None
    log.info("%s: %d files under %s", where, len(entries), store.root)
    return sorted(entries, key=lambda e: e.relpath)
