"""SSH target through paramiko: commands with exec_command, files with SFTP.

Authentication uses a private key file or the SSH agent (paramiko's defaults). Host key checking
is ON: the host must be in ``known_hosts`` (the given file, else ``~/.ssh/known_hosts`` and the
system file). ``accept_new_host=True`` trusts an unknown key on first use (and saves it to the
given ``known_hosts`` file), like OpenSSH's ``StrictHostKeyChecking=accept-new``.
"""

from __future__ import annotations

import errno
import logging
import posixpath
import select
import threading
import time
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import paramiko

from mirtalib.errors import TargetError
from mirtalib.runbook.targets import CommandResult, FileInfo, Target, staged_path

log = logging.getLogger(__name__)


class SSHTarget(Target):
    """A server reached over SSH (``ssh://user@host[:port]``)."""

    def __init__(
        self,
        host: str,
        *,
        user: str = "root",
        port: int = 22,
        key_filename: str | None = None,
        known_hosts: str | None = None,
        accept_new_host: bool = False,
        timeout: float = 15.0,
    ) -> None:
        self.host, self.user, self.port = host, user, port
        self.spec = f"ssh://{user}@{host}" + (f":{port}" if port != 22 else "")
        self.name = host
        self._lock = threading.Lock()
        client = paramiko.SSHClient()
        try:
            client.load_system_host_keys()
        except OSError:
            pass
        if known_hosts:
            path = Path(known_hosts).expanduser()
            if path.exists():
                client.load_host_keys(str(path))
            else:
                path.touch(mode=0o600)
                client.load_host_keys(str(path))
        policy = paramiko.AutoAddPolicy() if accept_new_host else paramiko.RejectPolicy()
        client.set_missing_host_key_policy(policy)
        try:
            client.connect(
                host,
                port=port,
                username=user,
                key_filename=key_filename,
                timeout=timeout,
                banner_timeout=timeout,
                auth_timeout=timeout,
                allow_agent=True,
                look_for_keys=key_filename is None,
            )
        except paramiko.BadHostKeyException:
            raise TargetError(
                f"{self.spec}: the host key does NOT match known_hosts (possible impersonation); "
                "refusing to connect"
            ) from None
        except paramiko.SSHException as exc:
            if "not found in known_hosts" in str(exc):
                raise TargetError(
                    f"{self.spec}: host key unknown; add it to known_hosts (ssh-keyscan -p {port} "
                    f"{host}) or pass accept_new_host=True knowingly"
                ) from None
            raise TargetError(f"{self.spec}: SSH failed: {exc}") from None
        except (TimeoutError, OSError) as exc:
            raise TargetError(f"{self.spec}: cannot connect: {exc}") from None
        if accept_new_host and known_hosts:
            client.save_host_keys(str(Path(known_hosts).expanduser()))
        self._client = client
        self._sftp: paramiko.SFTPClient | None = None

    @classmethod
    def from_url(cls, url: str, **options) -> SSHTarget:
        """Build from ``ssh://user@host[:port][?key=PATH&known_hosts=PATH]``."""
        parts = urlsplit(url)
        if parts.scheme != "ssh" or not parts.hostname:
            raise TargetError(f"target {url!r} is not ssh://user@host[:port]")
        if parts.password:
            raise TargetError("SSH targets take keys or the agent, never a password in the URL")
        try:
            port = parts.port or 22
        except ValueError:
            raise TargetError(f"target {url!r}: the port is not a number 1-65535") from None
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        options.setdefault("key_filename", query.get("key"))
        options.setdefault("known_hosts", query.get("known_hosts"))
        return cls(parts.hostname, user=unquote(parts.username or "root"), port=port, **options)

    @property
    def sftp(self) -> paramiko.SFTPClient:
        """The SFTP session (opened on first use)."""
        with self._lock:
            if self._sftp is None:
                self._sftp = self._client.open_sftp()
            return self._sftp

    def run(self, command: str, *, timeout: float = 120.0) -> CommandResult:
        """Run through the remote user's shell, reading stdout and stderr together."""
        log.debug("%s run: %s", self.spec, command)
        transport = self._client.get_transport()
        if transport is None or not transport.is_active():
            raise TargetError(f"{self.spec}: the SSH connection is closed")
        chan = transport.open_session()
        chan.exec_command(command)
        out, err = bytearray(), bytearray()
        deadline = time.monotonic() + timeout
        while True:
            if chan.recv_ready():
                out += chan.recv(65536)
            elif chan.recv_stderr_ready():
                err += chan.recv_stderr(65536)
            elif chan.exit_status_ready() and chan.eof_received:
                break  # the server sent everything (EOF) and the exit status
            elif time.monotonic() > deadline:
                chan.close()
                return CommandResult(
                    command, 124, out.decode(errors="replace"), f"timed out after {timeout:g} s"
                )
            else:
                select.select([chan], [], [], 0.05)
        code = chan.recv_exit_status()
        chan.close()
        return CommandResult(
            command, code, out.decode("utf-8", "replace"), err.decode("utf-8", "replace")
        )

    def resolve(self, path: str) -> str:
        """SFTP realpath (symlinks resolved; a missing file keeps its name)."""
        try:
            return self.sftp.normalize(path)
        except OSError:
            return path

    def stat(self, path: str) -> FileInfo | None:
        """SFTP stat."""
        try:
            st = self.sftp.stat(path)
        except OSError as exc:
            if getattr(exc, "errno", None) == errno.ENOENT:
                return None
            raise TargetError(f"{self.spec}: cannot stat {path}: {exc}") from None
        mode = st.st_mode or 0
        is_dir = (mode & 0o170000) == 0o040000
        return FileInfo(mode & 0o7777, st.st_uid or 0, st.st_gid or 0, is_dir)

    def read_bytes(self, path: str) -> bytes | None:
        """SFTP read (None when missing)."""
        try:
            with self.sftp.open(path, "rb") as fh:
                return fh.read()
        except OSError as exc:
            if getattr(exc, "errno", None) == errno.ENOENT:
                return None
            raise TargetError(f"{self.spec}: cannot read {path}: {exc}") from None

    def stage(self, path: str, data: bytes, *, mode: int, uid: int | None, gid: int | None) -> str:
        """Write the staging file over SFTP, then chmod / chown it."""
        tmp = staged_path(path)
        try:
            with self.sftp.open(tmp, "wb") as fh:
                fh.set_pipelined(True)
                fh.write(data)
            self.sftp.chmod(tmp, mode)
            if uid is not None and gid is not None:
                st = self.sftp.stat(tmp)
                if (st.st_uid, st.st_gid) != (uid, gid):
                    self.sftp.chown(tmp, uid, gid)
        except OSError as exc:
            self.remove(tmp)
            raise TargetError(f"{self.spec}: cannot write {tmp}: {exc}") from None
        return tmp

    def rename(self, source: str, dest: str) -> None:
        """POSIX rename over SFTP (atomic replace, OpenSSH extension)."""
        if posixpath.dirname(source) != posixpath.dirname(dest):
            log.debug("rename across folders: %s -> %s", source, dest)
        try:
            self.sftp.posix_rename(source, dest)
        except OSError as exc:
            raise TargetError(f"{self.spec}: cannot rename {source} to {dest}: {exc}") from None

    def remove(self, path: str) -> None:
        """SFTP remove, ignoring a missing file."""
        try:
            self.sftp.remove(path)
        except OSError as exc:
            if getattr(exc, "errno", None) != errno.ENOENT:
                raise TargetError(f"{self.spec}: cannot remove {path}: {exc}") from None

    def close(self) -> None:
        """Close SFTP and the connection."""
        if self._sftp is not None:
            self._sftp.close()
        self._client.close()
