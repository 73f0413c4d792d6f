"""Where a runbook runs: the local machine, a server over SSH, or a recorded replay.

Every target offers the same small interface: run a shell command, stat / read a file, create a
folder, stage a new file under a random name in the live file's own folder (created exclusively,
with mode and owner, as Ansible's ``mkstemp``), rename it into place, remove a file. The engine
builds backups, atomic writes and rollback on top of it.

>>> from mirtalib.runbook.targets import open_target
>>> open_target("local")                      # subprocess on this machine
>>> open_target("ssh://root@pbx1.example:22") # paramiko; host key checking on
>>> open_target("replay:srv01")               # recorded outputs of demo node srv01
"""

from __future__ import annotations

import hashlib
import logging
import os
import posixpath
import secrets
import subprocess
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import UTC, datetime

from mirtalib.errors import TargetError

log = logging.getLogger(__name__)

OUTPUT_LIMIT = 4000


def trim(text: str, limit: int = OUTPUT_LIMIT) -> str:
    """Keep the start and the end of a long output, marking what was cut."""
    if len(text) <= limit:
        return text
    half = limit // 2
    return f"{text[:half]}\n[... {len(text) - limit} characters trimmed ...]\n{text[-half:]}"


def sha256(data: bytes | None) -> str | None:
    """Hex SHA-256 of ``data`` (None for a missing file)."""
    return None if data is None else hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class CommandResult:
    """What a command returned."""

    command: str
    exit_code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        """stdout, then stderr when there is any."""
        return self.stdout + (("\n" if self.stdout else "") + self.stderr if self.stderr else "")


@dataclass(frozen=True)
class FileInfo:
    """Type bits of a path: permission mode and numeric owner."""

    mode: int
    uid: int
    gid: int
    is_dir: bool = False


def staging_name(path: str, token: str) -> str:
    """Where a new version of ``path`` is staged before the rename: the same folder (so the
    rename is atomic), a hidden name ending in ``token`` (random on real targets)."""
    folder, name = posixpath.split(path)
    return posixpath.join(folder, f".{name}.mirta-{token}")


class Target(ABC):
    """A place where commands run and files live.

    Attributes:
        spec: the string the target was opened from (``ssh://root@pbx1``), without secrets.
        name: short node name for tables (``srv01``, ``pbx1``).
    """

    spec: str
    name: str
    clock: datetime | None = None  # a replay fixes the time, for deterministic backup names

    @abstractmethod
    def run(self, command: str, *, timeout: float = 120.0) -> CommandResult:
        """Run ``command`` through the target's POSIX shell."""

    @abstractmethod
    def stat(self, path: str) -> FileInfo | None:
        """Mode and owner of ``path``, or None when it does not exist."""

    @abstractmethod
    def read_bytes(self, path: str) -> bytes | None:
        """Content of ``path``, or None when it does not exist."""

    @abstractmethod
    def stage(self, path: str, data: bytes, *, mode: int, uid: int | None, gid: int | None) -> str:
        """Create a new staging file for ``path`` (:func:`staging_name` with :meth:`token`,
        never an existing file) holding ``data`` with mode/owner; return its name."""

    @abstractmethod
    def makedirs(self, path: str) -> None:
        """Create the folder ``path`` and missing parents (new ones private: mode 0700)."""

    def token(self) -> str:
        """A random token for staging names (a replay gives a fixed one)."""
        return secrets.token_hex(4)

    @abstractmethod
    def rename(self, source: str, dest: str) -> None:
        """Atomically replace ``dest`` with ``source`` (same file system)."""

    @abstractmethod
    def remove(self, path: str) -> None:
        """Delete a file (no error when it is already gone)."""

    def resolve(self, path: str) -> str:
        """The real path behind symlinks (files are written there, so links stay links)."""
        return path

    def write_atomic(
        self, path: str, data: bytes, *, mode: int, uid: int | None = None, gid: int | None = None
    ) -> None:
        """Stage then rename: readers never see a half-written file."""
        tmp = self.stage(path, data, mode=mode, uid=uid, gid=gid)
        try:
            self.rename(tmp, path)
        except Exception:
            self.remove(tmp)
            raise

    def read_text(self, path: str) -> str | None:
        """Content of ``path`` as UTF-8 text (None when missing)."""
        data = self.read_bytes(path)
        if data is None:
            return None
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            raise TargetError(f"{self.name}: {path} is not UTF-8 text") from None

    def now(self) -> datetime:
        """Time used for backup names: the replay's recorded time, else the current UTC time."""
        return self.clock or datetime.now(UTC)

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections (nothing to do for most targets)."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.spec!r})"


class LocalTarget(Target):
    """This machine: commands through ``/bin/sh -c``, files through the OS."""

    def __init__(self) -> None:
        self.spec = "local"
        self.name = "local"

    def run(self, command: str, *, timeout: float = 120.0) -> CommandResult:
        """Run ``command`` with ``/bin/sh -c`` (stdin closed)."""
        log.debug("local run: %s", command)
        try:
            proc = subprocess.run(  # noqa: S602 - runbook commands are shell lines by design
                command,
                shell=True,
                executable="/bin/sh",
                capture_output=True,
                stdin=subprocess.DEVNULL,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return CommandResult(command, 124, "", f"timed out after {timeout:g} s")
        return CommandResult(
            command,
            proc.returncode,
            proc.stdout.decode("utf-8", "replace"),
            proc.stderr.decode("utf-8", "replace"),
        )

    def resolve(self, path: str) -> str:
        """``os.path.realpath``."""
        return os.path.realpath(path)

    def stat(self, path: str) -> FileInfo | None:
        """``os.stat`` as FileInfo."""
        try:
            st = os.stat(path)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise TargetError(f"local: cannot stat {path}: {exc.strerror}") from None
        return FileInfo(st.st_mode & 0o7777, st.st_uid, st.st_gid, os.path.isdir(path))

    def read_bytes(self, path: str) -> bytes | None:
        """Read a file (None when missing)."""
        try:
            with open(path, "rb") as fh:
                return fh.read()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise TargetError(f"local: cannot read {path}: {exc.strerror}") from None

    def stage(self, path: str, data: bytes, *, mode: int, uid: int | None, gid: int | None) -> str:
        """Create the staging file exclusively (mode 0600), write it, then set mode and owner."""
        tmp = staging_name(path, self.token())
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except OSError as exc:
            raise TargetError(f"local: cannot create {tmp}: {exc.strerror}") from None
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, mode)
            if uid is not None and gid is not None:
                st = os.stat(tmp)
                if (st.st_uid, st.st_gid) != (uid, gid):
                    os.chown(tmp, uid, gid)
        except OSError as exc:
            self.remove(tmp)
            raise TargetError(f"local: cannot write {tmp}: {exc.strerror}") from None
        return tmp

    def makedirs(self, path: str) -> None:
        """Create missing folders one by one with mode 0700."""
        parts = [p for p in path.split("/") if p]
        current = "/" if path.startswith("/") else ""
        for part in parts:
            current = os.path.join(current, part)
            try:
                os.mkdir(current, 0o700)
            except FileExistsError:
                if not os.path.isdir(current):
                    raise TargetError(f"local: {current} exists and is not a folder") from None
            except OSError as exc:
                raise TargetError(f"local: cannot create {current}: {exc.strerror}") from None

    def rename(self, source: str, dest: str) -> None:
        """``os.replace``."""
        try:
            os.replace(source, dest)
        except OSError as exc:
            raise TargetError(f"local: cannot rename {source} to {dest}: {exc.strerror}") from None

    def remove(self, path: str) -> None:
        """``os.unlink``, ignoring a missing file."""
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise TargetError(f"local: cannot remove {path}: {exc.strerror}") from None


def open_target(spec: str | Target, **options) -> Target:
    """Open a target from its spec.

    Args:
        spec: ``local``, ``ssh://user@host[:port]`` or ``replay:NAME`` (a Target passes through).
        **options: for SSH: ``key_filename``, ``known_hosts``, ``timeout`` (to connect),
            ``io_timeout`` (each SFTP answer, default 120 s), ``accept_new_host``,
            ``become`` (sudo to root for a non-root login) and ``become_password_env`` (NAME of
            the variable holding the sudo password; none: a NOPASSWD rule); for replay:
            ``replay_dir``.

    Raises:
        TargetError: for an unknown scheme or a target that cannot be reached.
    """
    if isinstance(spec, Target):
        return spec
    text = str(spec).strip()
    if text == "local":
        return LocalTarget()
    if text.startswith("ssh://"):
        from mirtalib.runbook.ssh import SSHTarget

        return SSHTarget.from_url(text, **options)
    if text.startswith("replay:"):
        from mirtalib.runbook.replay import ReplayTarget

        return ReplayTarget.load(text.removeprefix("replay:"), **options)
    raise TargetError(
        f"target {text!r} is not understood: use 'local', 'ssh://user@host[:port]' or 'replay:NAME'"
    )


def parse_targets(specs: str | Target | list[str | Target]) -> list[str | Target]:
    """Split a comma-separated target list (``replay:srv01,replay:srv02``)."""
    if isinstance(specs, Target):
        return [specs]
    if isinstance(specs, str):
        items: list[str | Target] = [s.strip() for s in specs.split(",") if s.strip()]
    else:
        items = list(specs)
    if not items:
        raise TargetError("no target given (e.g. 'replay:srv01' or 'ssh://root@pbx1')")
    return items
