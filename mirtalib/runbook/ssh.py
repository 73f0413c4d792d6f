"""SSH target through paramiko: commands with exec_command, files with SFTP (or sudo).

Authentication uses a private key file or the SSH agent (paramiko's defaults). Host key checking
is ON: the host must be in ``known_hosts`` (the given file, else ``~/.ssh/known_hosts`` and the
system file). ``accept_new_host=True`` trusts an unknown key on first use (and saves it to the
given ``known_hosts`` file), like OpenSSH's ``StrictHostKeyChecking=accept-new``.

Become (as Ansible's ``become: true``, method sudo): a non-root login with ``become=True`` runs
every command as root through ``sudo``; the password comes from the environment variable NAMED
by ``become_password_env`` (never a password in a parameter), fed on stdin to ``sudo -S -p ''``;
without it ``sudo -n`` needs a NOPASSWD rule. The command itself gets ``/dev/null`` as stdin, so
a password sudo did not ask for (NOPASSWD, cached credentials) is never read by anything. File
reads and writes then also go through sudo: new content is uploaded over SFTP into a private
folder of the login user (mode 0700), copied as root into the staging name in the live file's
folder (created exclusively, mode 0600 until its mode and owner are set), then renamed into
place with ``mv -fT`` (rename(2), atomic). A sudo that refuses is a TargetError naming the node.

A connection that dies during a command (sshd killed, network gone) is noticed at once and
raises a TargetError naming the node, instead of waiting for the step's timeout. An SFTP
operation (opening the session, stat, read, write ...) waits at most ``io_timeout`` seconds
(default 120) for each answer of the server: a node that stopped answering (frozen, its TCP
connection still up) raises a TargetError naming the node and the operation, and the SFTP session
is dropped (a later operation opens a new one).
"""

from __future__ import annotations

import errno
import logging
import posixpath
import secrets
import select
import shlex
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import paramiko

from mirtalib.errors import TargetError
from mirtalib.runbook.targets import CommandResult, FileInfo, Target, staging_name
from mirtalib.secrets import resolve_secret

log = logging.getLogger(__name__)

_TRUE = {"1", "true", "yes", "sudo"}
_SFTP_ERRORS = (OSError, EOFError, paramiko.SSHException)
#: seconds an SFTP operation waits for each answer of the server (``io_timeout``)
DEFAULT_IO_TIMEOUT = 120.0


class _NoAnswer(Exception):
    """The SFTP server sent nothing within the channel's timeout (not an OSError: the handlers
    of the operations, which turn OSErrors into findings such as "missing", let it through)."""


class _SFTPClient(paramiko.SFTPClient):
    """paramiko's SFTP client whose channel timeout (``settimeout``) ends in :class:`_NoAnswer`;
    after one, the session is out of step with the server and every later call fails at once
    (closing a file included: no second wait)."""

    dead = False

    def _read_packet(self):
        if self.dead:
            raise _NoAnswer()
        try:
            return super()._read_packet()
        except TimeoutError as exc:
            self.dead = True
            raise _NoAnswer() from exc

    def _send_packet(self, t, packet):
        if self.dead:
            raise _NoAnswer()
        try:
            return super()._send_packet(t, packet)
        except TimeoutError as exc:
            self.dead = True
            raise _NoAnswer() from exc


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
        become: bool = False,
        become_password_env: str | None = None,
        io_timeout: float = DEFAULT_IO_TIMEOUT,
    ) -> None:
        self.host, self.user, self.port = host, user, port
        self.io_timeout = float(io_timeout)
        self.spec = f"ssh://{user}@{host}" + (f":{port}" if port != 22 else "")
        self.name = host
        self._lock = threading.Lock()
        self._stage_lock = threading.Lock()
        self._stage_dir: str | None = None
        self.become = bool(become) and user != "root"
        self._password = (
            resolve_secret(become_password_env) if self.become and become_password_env else None
        )
        self._marker = f"mirta-become-{secrets.token_hex(8)}"
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
        if self.become:
            try:
                self._root("true", timeout=timeout)  # sudo refusing is said now, not mid-apply
            except TargetError:
                client.close()
                raise

    @classmethod
    def from_url(cls, url: str, **options) -> SSHTarget:
        """Build from ``ssh://user@host[:port][?key=PATH&known_hosts=PATH&become=sudo
        &become_password_env=NAME]``."""
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
        unknown = sorted(set(query) - {"key", "known_hosts", "become", "become_password_env"})
        if unknown:
            raise TargetError(
                f"target {parts.hostname}: unknown option(s) {unknown} "
                "(known: key, known_hosts, become, become_password_env)"
            )
        options.setdefault("key_filename", query.get("key"))
        options.setdefault("known_hosts", query.get("known_hosts"))
        if "become" in query:
            options.setdefault("become", query["become"].lower() in _TRUE)
        if "become_password_env" in query:
            options.setdefault("become_password_env", query["become_password_env"])
        return cls(parts.hostname, user=unquote(parts.username or "root"), port=port, **options)

    @property
    def sftp(self) -> paramiko.SFTPClient:
        """The SFTP session (opened on first use; every answer awaited ``io_timeout`` s)."""
        with self._lock:
            if self._sftp is None or getattr(self._sftp, "dead", False):
                self._sftp = self._open_sftp()
            return self._sftp

    def _open_sftp(self) -> paramiko.SFTPClient:
        transport = self._client.get_transport()
        if transport is None or not transport.is_active():
            raise TargetError(f"{self.name}: the SSH connection to {self.spec} is closed")
        late, start = threading.Event(), time.monotonic()
        chan = None
        try:
            chan = transport.open_session(timeout=self.io_timeout)
            chan.settimeout(self.io_timeout)

            def give_up() -> None:  # invoke_subsystem waits for the reply without a bound
                late.set()
                chan.close()

            timer = threading.Timer(self.io_timeout, give_up)
            timer.daemon = True
            timer.start()
            try:
                chan.invoke_subsystem("sftp")
            finally:
                timer.cancel()
            return _SFTPClient(chan)  # the version exchange: bounded by the channel timeout
        except (_NoAnswer, *_SFTP_ERRORS) as exc:
            if chan is not None:
                chan.close()
            if late.is_set() or time.monotonic() - start >= self.io_timeout:
                raise TargetError(
                    f"{self.name}: no answer within {self.io_timeout:g} s opening SFTP on "
                    f"{self.spec} (the node stopped answering?)"
                ) from None
            raise TargetError(f"{self.name}: cannot open SFTP on {self.spec}: {exc}") from None

    @contextmanager
    def _answering(self, what: str) -> Iterator[None]:
        """An SFTP operation: no answer within ``io_timeout`` is a TargetError naming the node
        and ``what``; the session, out of step with the server, is dropped."""
        try:
            yield
        except _NoAnswer:
            with self._lock:
                sftp, self._sftp = self._sftp, None
            if sftp is not None:
                try:
                    sftp.get_channel().close()
                except _SFTP_ERRORS:
                    pass
            raise TargetError(
                f"{self.name}: no answer within {self.io_timeout:g} s {what} over SFTP on "
                f"{self.spec} (the node stopped answering?)"
            ) from None

    # -- commands ----------------------------------------------------------------------------
    def _exec(
        self, command: str, timeout: float, stdin: bytes | None = None
    ) -> tuple[int, bytes, bytes, bool]:
        """Run ``command``; returns exit code, stdout, stderr and whether it timed out."""
        transport = self._client.get_transport()
        if transport is None or not transport.is_active():
            raise TargetError(f"{self.name}: the SSH connection to {self.spec} is closed")
        try:
            chan = transport.open_session(timeout=30)
            chan.exec_command(command)
            if stdin:
                chan.sendall(stdin)
            chan.shutdown_write()  # stdin closed, as the local target's DEVNULL
        except (paramiko.SSHException, OSError, EOFError) as exc:
            raise TargetError(f"{self.name}: SSH session on {self.spec} failed: {exc}") from None
        out, err = bytearray(), bytearray()
        deadline = time.monotonic() + timeout
        while True:
            if chan.recv_ready():
                out += chan.recv(65536)
            elif chan.recv_stderr_ready():
                err += chan.recv_stderr(65536)
            elif chan.status_event.is_set() and chan.eof_received:
                break  # the server sent everything (EOF) and the exit status
            elif chan.closed and chan.exit_status != -1:
                break  # an exit status, then closed without EOF
            elif chan.closed or not transport.is_active():
                # closed (paramiko then sets status_event too) without EOF or exit status:
                # the server, its session or the network died
                chan.close()
                raise TargetError(
                    f"{self.name}: the SSH connection to {self.spec} closed during a command "
                    "(the server or its session died); the command's outcome is unknown"
                )
            elif time.monotonic() > deadline:
                chan.close()
                return 124, bytes(out), f"timed out after {timeout:g} s".encode(), True
            else:
                select.select([chan], [], [], 0.05)
        code = chan.recv_exit_status()
        chan.close()
        return code, bytes(out), bytes(err), False

    def _sudo(self, command: str, timeout: float) -> tuple[int, bytes, bytes]:
        """Run ``command`` as root through sudo (``become``)."""
        inner = f'echo {self._marker} >&2; exec /bin/sh -c "$1" </dev/null'
        if self._password is not None:
            prefix, stdin = "sudo -S -p '' -H --", (self._password + "\n").encode()
        else:
            prefix, stdin = "sudo -n -H --", None
        wrapped = f"{prefix} /bin/sh -c {shlex.quote(inner)} mirta {shlex.quote(command)}"
        code, out, err, timed_out = self._exec(wrapped, timeout, stdin)
        mark = f"{self._marker}\n".encode()
        at = err.find(mark)
        if at < 0:
            if timed_out:
                return code, out, err
            lines = [ln.strip() for ln in err.decode("utf-8", "replace").splitlines()]
            said = "; ".join(ln for ln in lines if ln) or f"exit {code}"
            raise TargetError(f"{self.name}: sudo refused for {self.user} on {self.spec}: {said}")
        return code, out, err[at + len(mark) :]

    def _root(self, script: str, *args: str, timeout: float = 60.0) -> tuple[int, bytes, bytes]:
        """Run a shell ``script`` with positional ``args`` as root (become)."""
        line = f"/bin/sh -c {shlex.quote(script)} mirta " + " ".join(shlex.quote(a) for a in args)
        return self._sudo(line.rstrip(), timeout)

    def run(self, command: str, *, timeout: float = 120.0) -> CommandResult:
        """Run through the remote user's shell (as root through sudo with ``become``)."""
        log.debug("%s run: %s", self.spec, command)
        if self.become:
            code, out, err = self._sudo(command, timeout)
        else:
            code, out, err, _ = self._exec(command, timeout)
        return CommandResult(
            command, code, out.decode("utf-8", "replace"), err.decode("utf-8", "replace")
        )

    # -- files -------------------------------------------------------------------------------
    def _root_ok(self, what: str, script: str, *args: str) -> bytes:
        code, out, err = self._root(script, *args)
        if code != 0:
            said = err.decode("utf-8", "replace").strip() or f"exit {code}"
            raise TargetError(f"{self.name}: cannot {what}: {said}")
        return out

    def resolve(self, path: str) -> str:
        """The real path behind symlinks (a missing file keeps its name)."""
        if self.become:
            code, out, _ = self._root('readlink -f -- "$1"', path)
            text = out.decode("utf-8", "replace").strip()
            return text if code == 0 and text else path
        with self._answering(f"resolving {path}"):
            try:
                return self.sftp.normalize(path)
            except OSError:
                return path

    def stat(self, path: str) -> FileInfo | None:
        """SFTP stat (``stat -L`` as root with ``become``)."""
        if self.become:
            out = self._root_ok(
                f"stat {path}",
                'if [ -e "$1" ]; then exec stat -L -c "%f %u %g" -- "$1"; else echo missing; fi',
                path,
            ).decode()
            if out.strip() == "missing":
                return None
            try:
                raw, uid, gid = out.split()
                mode = int(raw, 16)
                return FileInfo(mode & 0o7777, int(uid), int(gid), (mode & 0o170000) == 0o040000)
            except ValueError:
                raise TargetError(f"{self.name}: stat {path} answered {out!r}") from None
        try:
            with self._answering(f"to stat {path}"):
                st = self.sftp.stat(path)
        except _SFTP_ERRORS as exc:
            if getattr(exc, "errno", None) == errno.ENOENT:
                return None
            raise TargetError(f"{self.name}: cannot stat {path}: {exc}") from None
        mode = st.st_mode or 0
        is_dir = (mode & 0o170000) == 0o040000
        return FileInfo(mode & 0o7777, st.st_uid or 0, st.st_gid or 0, is_dir)

    def read_bytes(self, path: str) -> bytes | None:
        """SFTP read (``cat`` as root with ``become``); None when missing."""
        if self.become:
            code, out, err = self._root('[ -e "$1" ] || exit 3; exec cat -- "$1"', path)
            if code == 3:
                return None
            if code != 0:
                said = err.decode("utf-8", "replace").strip()
                raise TargetError(f"{self.name}: cannot read {path}: {said}")
            return out
        try:
            with self._answering(f"reading {path}"), self.sftp.open(path, "rb") as fh:
                return fh.read()
        except _SFTP_ERRORS as exc:
            if getattr(exc, "errno", None) == errno.ENOENT:
                return None
            raise TargetError(f"{self.name}: cannot read {path}: {exc}") from None

    def _write_new(self, name: str, data: bytes) -> None:
        """Create ``name`` over SFTP (exclusive, mode 0600 before any byte is written)."""
        with self._answering(f"writing {name}"), self.sftp.open(name, "wbx") as fh:
            self.sftp.chmod(name, 0o600)
            fh.set_pipelined(True)
            fh.write(data)

    def _upload(self, data: bytes) -> str:
        """Put ``data`` in the login user's private staging folder; returns the file's path."""
        with self._stage_lock:
            if self._stage_dir is None:
                try:
                    with self._answering("creating a staging folder"):
                        home = self.sftp.normalize(".")
                        folder = posixpath.join(home, f".mirta-stage-{secrets.token_hex(6)}")
                        self.sftp.mkdir(folder, 0o700)
                        self.sftp.chmod(folder, 0o700)
                except _SFTP_ERRORS as exc:
                    raise TargetError(
                        f"{self.name}: cannot create a staging folder for {self.user}: {exc}"
                    ) from None
                self._stage_dir = folder
        name = posixpath.join(self._stage_dir, secrets.token_hex(8))
        try:
            self._write_new(name, data)
        except _SFTP_ERRORS as exc:
            raise TargetError(f"{self.name}: cannot upload to {name}: {exc}") from None
        return name

    def stage(self, path: str, data: bytes, *, mode: int, uid: int | None, gid: int | None) -> str:
        """Create the staging file exclusively (SFTP, or sudo from an upload), mode and owner."""
        tmp = staging_name(path, self.token())
        owner = f"{uid}:{gid}" if uid is not None and gid is not None else ""
        if self.become:
            upload = self._upload(data)
            try:
                self._root_ok(
                    f"write {tmp}",
                    'umask 077; set -C; cat -- "$1" > "$2" || exit 1; '
                    '{ chmod "$3" "$2" && { [ -z "$4" ] || chown "$4" "$2"; }; } '
                    '|| { rm -f -- "$2"; exit 1; }',
                    upload,
                    tmp,
                    f"{mode:o}",
                    owner,
                )
            finally:
                try:
                    with self._answering(f"removing {upload}"):
                        self.sftp.remove(upload)
                except _SFTP_ERRORS:
                    log.warning("%s: could not remove the upload %s", self.name, upload)
            return tmp
        try:
            self._write_new(tmp, data)
        except _SFTP_ERRORS as exc:
            raise TargetError(f"{self.name}: cannot create {tmp}: {exc}") from None
        try:
            with self._answering(f"setting the mode and owner of {tmp}"):
                self.sftp.chmod(tmp, mode)
                if owner:
                    st = self.sftp.stat(tmp)
                    if (st.st_uid, st.st_gid) != (uid, gid):
                        self.sftp.chown(tmp, uid, gid)
        except _SFTP_ERRORS as exc:
            self.remove(tmp)
            raise TargetError(f"{self.name}: cannot write {tmp}: {exc}") from None
        return tmp

    def makedirs(self, path: str) -> None:
        """Create the folder and missing parents (new ones mode 0700)."""
        if self.become:
            self._root_ok(f"create {path}", 'umask 077; exec mkdir -p -- "$1"', path)
            return
        current = "/"
        for part in [p for p in path.split("/") if p]:
            current = posixpath.join(current, part)
            info = self.stat(current)
            if info is not None:
                if not info.is_dir:
                    raise TargetError(f"{self.name}: {current} exists and is not a folder")
                continue
            try:
                with self._answering(f"creating {current}"):
                    self.sftp.mkdir(current, 0o700)
                    self.sftp.chmod(current, 0o700)
            except _SFTP_ERRORS as exc:
                raise TargetError(f"{self.name}: cannot create {current}: {exc}") from None

    def rename(self, source: str, dest: str) -> None:
        """POSIX rename (atomic replace): SFTP extension, or ``mv -fT`` with ``become``."""
        if self.become:
            self._root_ok(f"rename {source} to {dest}", 'exec mv -fT -- "$1" "$2"', source, dest)
            return
        try:
            with self._answering(f"renaming {source} to {dest}"):
                self.sftp.posix_rename(source, dest)
        except _SFTP_ERRORS as exc:
            raise TargetError(f"{self.name}: cannot rename {source} to {dest}: {exc}") from None

    def remove(self, path: str) -> None:
        """Remove a file, ignoring a missing one."""
        if self.become:
            self._root_ok(f"remove {path}", 'exec rm -f -- "$1"', path)
            return
        try:
            with self._answering(f"removing {path}"):
                self.sftp.remove(path)
        except _SFTP_ERRORS as exc:
            if getattr(exc, "errno", None) != errno.ENOENT:
                raise TargetError(f"{self.name}: cannot remove {path}: {exc}") from None

    def close(self) -> None:
        """Remove the private staging folder, close SFTP and the connection."""
        try:
            if self._stage_dir is not None and self._sftp is not None:
                self._sftp.rmdir(self._stage_dir)
        except (_NoAnswer, *_SFTP_ERRORS):
            log.warning("%s: could not remove %s", self.name, self._stage_dir)
        if self._sftp is not None:
            try:
                self._sftp.close()
            except (_NoAnswer, *_SFTP_ERRORS):
                pass
        self._client.close()
