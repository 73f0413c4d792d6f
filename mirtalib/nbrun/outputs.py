"""Writing into the reports folder safely when several runs write at once.

- :func:`atomic_write_text`: a unique temporary file in the same folder (``tempfile.mkstemp``), then
  ``os.replace``: a reader sees the old file or the new one, never a torn one, and two writers
  never share (and remove) each other's temporary file.
- :func:`claim_run`: reserves a run name in one or more notebook folders for the time of the run.
  A name given by the operator that is already in use is refused (:class:`ParameterError`); a
  default (time-stamped) name that is taken gets the next free suffix ``-2``, ``-3`` ...
(The lock for read-modify-write of shared files, such as the report index, is
:func:`mirtalib.filelock.locked`.)
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from mirtalib.errors import ParameterError

#: the files a run writes (and its folder ``<run>/``): any of them marks the name as used
RUN_SUFFIXES = (".ipynb", ".html", ".run.json")
MAX_SUFFIX = 1000


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a unique temporary file and an atomic rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; reports are read by the web server / others
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _claim_file(folder: Path, run: str) -> Path:
    return folder / f".{run}.claim"


def _try_claim(folders: Sequence[Path], run: str) -> list[Path] | None:
    """Claim ``run`` in every folder (all or none); None when one of them has it in use."""
    claimed: list[Path] = []
    for folder in folders:
        claim = _claim_file(folder, run)
        try:
            fd = os.open(claim, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            break
        os.close(fd)
        claimed.append(claim)
        # claimed first, checked second: a run that finished before our claim has its files
        if any((folder / f"{run}{suffix}").exists() for suffix in ("", *RUN_SUFFIXES)):
            break
    else:
        return claimed
    for claim in claimed:
        with contextlib.suppress(OSError):
            claim.unlink()
    return None


@contextlib.contextmanager
def claim_run(folders: Sequence[Path], run: str, *, explicit: bool) -> Iterator[str]:
    """Reserve run name ``run`` in ``folders`` while the body runs; yields the name claimed.

    Args:
        folders: the notebook output folders the run writes into (created when missing).
        run: the wanted name.
        explicit: the operator chose the name: refuse it when in use instead of adding a suffix.

    Raises:
        ParameterError: an explicit name in use, or a folder that cannot be written.
    """
    folders = list(dict.fromkeys(folders))
    try:
        for folder in folders:
            folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ParameterError(
            f"reports folder {exc.filename} cannot be written: {exc.strerror}"
        ) from exc
    claimed = None
    name = run
    try:
        for n in range(1, MAX_SUFFIX + 1):
            name = run if n == 1 else f"{run}-{n}"
            claimed = _try_claim(folders, name)
            if claimed is not None or explicit:
                break
    except OSError as exc:
        raise ParameterError(
            f"reports folder {exc.filename} cannot be written: {exc.strerror}"
        ) from exc
    if claimed is None:
        where = ", ".join(str(f) for f in folders)
        raise ParameterError(
            f"run name {run!r} is already in use in {where} (a finished run, one still running, "
            f"or a .{run}.claim left by a crashed run): choose another --name"
        )
    try:
        yield name
    finally:
        for claim in claimed:
            with contextlib.suppress(OSError):
                claim.unlink()
