"""Replay targets: a demo server answering from recorded command outputs and files.

A replay is YAML data, one file per demo server in ``mirtalib/runbook/replays/NAME.yaml``, plus
optional fragments ``replays/NAME.d/*.yaml`` (one per page, so page authors never edit the same
file)::

    node: srv01                      # node name shown in tables
    clock: "2026-11-02T09:30:00Z"    # fixed time used for backup names (deterministic outputs)
    state: initial                   # starting state (see below)
    commands:
      "sysctl -n net.ipv4.tcp_fin_timeout":      # exact command line (whitespace-normalized)
        - {stdout: "60\\n"}                       # answer in any state ...
        - {state: tuned, stdout: "30\\n"}         # ... unless this state-specific one matches
      "sysctl -p /etc/sysctl.conf":
        {stdout: "net.ipv4.tcp_fin_timeout = 30\\n", exit: 0, then: tuned}
    files:
      /etc/sysctl.conf: {mode: "0644", uid: 0, gid: 0, content: "..."}

A command nobody recorded raises :class:`~mirtalib.errors.TargetError` naming it (so a page author
sees exactly which output to record). File writes, renames and removals (apply, rollback) change an
in-memory copy only, with the same paths as a real target: backups under the backup folder
(``/var/backups/mirta-ops/<run id>/<path>``), staging files in the live file's folder; the
staging token is fixed (``.NAME.mirta-new``, so recorded validator commands stay the same) where
real targets use a random one. An answer's ``then:`` moves the replay to another state, so a
recorded reload makes later reads show the new values. Every :func:`ReplayTarget.load` starts
from the recording.
"""

from __future__ import annotations

import copy
import logging
import shutil
from collections.abc import Iterable
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from mirtalib.errors import TargetError
from mirtalib.runbook.targets import CommandResult, FileInfo, Target, staging_name

log = logging.getLogger(__name__)


def replay_dir() -> Path:
    """The folder of the recorded demo servers shipped with mirtalib."""
    return Path(str(resources.files("mirtalib.runbook") / "replays"))


def isolated_replays(
    dest: Path, pages: Iterable[str], nodes: Iterable[str] = ("srv01", "srv02")
) -> dict[str, Path]:
    """Copy the recorded nodes with only the fragments of ``pages`` into ``dest``.

    All fragments of a node are merged when it loads, so a test that copies only its own pages'
    fragments cannot be changed (or broken) by a fragment another page adds.

    Returns:
        ``target_options`` for :func:`mirtalib.runbook.open_target`: ``{"replay_dir": dest}``.
    """
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    src = replay_dir()
    pages = tuple(pages)
    for node in nodes:
        shutil.copy(src / f"{node}.yaml", dest / f"{node}.yaml")
        (dest / f"{node}.d").mkdir(exist_ok=True)
        for page in pages:
            frag = src / f"{node}.d" / f"{page}.yaml"
            if frag.is_file():
                shutil.copy(frag, dest / f"{node}.d" / frag.name)
    return {"replay_dir": dest}


def normalize(command: str) -> str:
    """Whitespace-normalized command line, the key of the recorded answers."""
    return " ".join(command.split())


def _mode(value: Any, where: str) -> int:
    if isinstance(value, int):
        return value
    try:
        return int(str(value), 8)
    except ValueError:
        raise TargetError(f"{where}: mode {value!r} is not an octal number like '0644'") from None


def _answers(raw: Any, where: str) -> list[dict[str, Any]]:
    items = raw if isinstance(raw, list) else [raw]
    out = []
    for item in items:
        if not isinstance(item, dict):
            raise TargetError(f"{where}: an answer must be a mapping with stdout/stderr/exit")
        bad = set(item) - {"stdout", "stderr", "exit", "state", "then"}
        if bad:
            raise TargetError(f"{where}: unknown answer key(s) {sorted(bad)}")
        out.append(item)
    return out


class ReplayTarget(Target):
    """A recorded demo server (``replay:NAME``)."""

    def __init__(self, name: str, data: dict[str, Any], *, source: str = "") -> None:
        self.spec = f"replay:{name}"
        self.name = str(data.get("node", name))
        where = source or self.spec
        self.state: str = str(data.get("state", "initial"))
        clock = data.get("clock")
        try:
            self.clock = datetime.fromisoformat(str(clock)) if clock else None
        except ValueError:
            raise TargetError(f"{where}: clock {clock!r} is not an ISO date-time") from None
        self.commands: dict[str, list[dict[str, Any]]] = {
            normalize(cmd): _answers(ans, f"{where}: command {cmd!r}")
            for cmd, ans in (data.get("commands") or {}).items()
        }
        self.files: dict[str, dict[str, Any]] = {}
        for path, entry in (data.get("files") or {}).items():
            if not isinstance(entry, dict) or "content" not in entry:
                raise TargetError(f"{where}: file {path!r} needs a 'content' key")
            self.files[str(path)] = {
                "content": str(entry["content"]).encode("utf-8"),
                "mode": _mode(entry.get("mode", "0644"), f"{where}: file {path}"),
                "uid": int(entry.get("uid", 0)),
                "gid": int(entry.get("gid", 0)),
            }
        self.log: list[str] = []  # every command asked, in order (tests and debugging)
        self.sysctl: dict[str, str] = {}  # kernel values loaded by this run's sysctl -p
        self.origin: Path | None = None  # folder it was loaded from

    @classmethod
    def load(cls, name: str, *, replay_dir: str | Path | None = None) -> ReplayTarget:
        """Load ``NAME.yaml`` and its ``NAME.d/*.yaml`` fragments from the replay folder."""
        folder = Path(replay_dir) if replay_dir else globals()["replay_dir"]()
        main = folder / f"{name}.yaml"
        if not main.is_file():
            known = sorted(p.stem for p in folder.glob("*.yaml"))
            raise TargetError(f"no replay named {name!r} (recorded servers: {known})")
        data = cls._read(main)
        for frag in sorted((folder / f"{name}.d").glob("*.yaml")):
            extra = cls._read(frag)
            for key in ("commands", "files"):
                merged = data.setdefault(key, {}) or {}
                for k, v in (extra.get(key) or {}).items():
                    if k in merged and merged[k] != v:
                        raise TargetError(f"{frag.name}: {key[:-1]} {k!r} conflicts with {name}")
                    merged[k] = v
                data[key] = merged
        target = cls(name, copy.deepcopy(data), source=main.name)
        target.origin = folder
        return target

    @staticmethod
    def _read(path: Path) -> dict[str, Any]:
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise TargetError(f"replay {path.name} is not valid YAML: {exc}") from None
        if not isinstance(data, dict):
            raise TargetError(f"replay {path.name} must be a mapping")
        return data

    def run(self, command: str, *, timeout: float = 120.0) -> CommandResult:
        """Answer from the recording (state-specific answer first)."""
        key = normalize(command)
        self.log.append(key)
        answers = self.commands.get(key)
        if answers is None:
            raise TargetError(f"{self.spec}: command not recorded: {key!r}")
        chosen = next((a for a in answers if a.get("state") == self.state), None)
        chosen = chosen or next((a for a in answers if "state" not in a), None)
        if chosen is None:
            raise TargetError(
                f"{self.spec}: command {key!r} has no recorded answer in state {self.state!r}"
            )
        if chosen.get("then"):
            self.state = str(chosen["then"])
        code, stdout = int(chosen.get("exit", 0)), str(chosen.get("stdout", ""))
        return CommandResult(
            command,
            code,
            self._kernel(key, stdout) if code == 0 else stdout,
            str(chosen.get("stderr", "")),
        )

    def _kernel(self, key: str, stdout: str) -> str:
        """What the kernel answers after this run's apply: ``sysctl -p [FILE]`` loads the FILE
        as apply wrote it (in memory), and later ``sysctl [-n] NAME ...`` reads give those values
        instead of the recorded ones (the recording only knows the page's demo values)."""
        from mirtalib.asterisk.sysctl import normalize_key, parse_sysctl_conf

        words = key.split()
        if not words or words[0] != "sysctl":
            return stdout
        if words[1:2] == ["-p"]:
            data = self.read_bytes(words[2] if len(words) > 2 else "/etc/sysctl.conf")
            if data is None:
                return stdout
            loaded = parse_sysctl_conf(data).effective()
            self.sysctl.update(loaded)
            return "".join(f"{k} = {v}\n" for k, v in loaded.items())
        bare = words[1:2] == ["-n"]
        names = [normalize_key(w) for w in words[1:] if not w.startswith("-")]
        if not self.sysctl or not set(names) & set(self.sysctl):
            return stdout
        lines = stdout.splitlines()
        if bare and len(lines) == len(names):
            lines = [self.sysctl.get(n, line) for n, line in zip(names, lines, strict=True)]
        elif not bare:
            lines = [
                f"{k.strip()} = {self.sysctl[normalize_key(k.strip())]}"
                if sep and normalize_key(k.strip()) in self.sysctl
                else line
                for line in lines
                for k, sep, _v in [line.partition(" = ")]
            ]
        return "".join(f"{line}\n" for line in lines)

    def stat(self, path: str) -> FileInfo | None:
        """Mode and owner from the recording."""
        entry = self.files.get(path)
        return None if entry is None else FileInfo(entry["mode"], entry["uid"], entry["gid"])

    def read_bytes(self, path: str) -> bytes | None:
        """Recorded content (or what apply wrote in memory)."""
        entry = self.files.get(path)
        return None if entry is None else entry["content"]

    def token(self) -> str:
        """Fixed staging token (recorded validator commands name ``.NAME.mirta-new``)."""
        return "new"

    def makedirs(self, path: str) -> None:
        """Folders are implicit in memory (a file in the way is an error, as on a real node)."""
        parts = [p for p in path.split("/") if p]
        for n in range(1, len(parts) + 1):
            sub = "/" + "/".join(parts[:n])
            if sub in self.files:
                raise TargetError(f"{self.spec}: {sub} exists and is not a folder")

    def stage(self, path: str, data: bytes, *, mode: int, uid: int | None, gid: int | None) -> str:
        """Stage in memory (an existing staging file is an error, as on a real node)."""
        tmp = staging_name(path, self.token())
        if tmp in self.files:
            raise TargetError(f"{self.spec}: cannot create {tmp}: it exists")
        self.files[tmp] = {"content": bytes(data), "mode": mode, "uid": uid or 0, "gid": gid or 0}
        return tmp

    def rename(self, source: str, dest: str) -> None:
        """Rename in memory."""
        if source not in self.files:
            raise TargetError(f"{self.spec}: cannot rename {source}: no such file")
        self.files[dest] = self.files.pop(source)

    def remove(self, path: str) -> None:
        """Remove in memory."""
        self.files.pop(path, None)
