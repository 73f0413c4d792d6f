"""Where the demo PBX lives, and building it once (safely across parallel processes)."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import URL

from mirtalib.settings import Settings

DEMO_SEED = 20261001


@dataclass(frozen=True)
class DemoPaths:
    """The files of a built demo PBX (all under ``root``)."""

    root: Path

    @property
    def db_path(self) -> Path:
        """The SQLite database of the demo PBX."""
        return self.root / "pbx.sqlite"

    @property
    def db_url(self) -> URL:
        """SQLAlchemy URL of :attr:`db_path`."""
        return URL.create("sqlite", database=str(self.db_path))

    @property
    def master_csv(self) -> Path:
        """Asterisk cdr-csv ``Master.csv`` of the same calls."""
        return self.root / "cdr-csv" / "Master.csv"

    @property
    def recordings_dir(self) -> Path:
        """Recordings folder tree."""
        return self.root / "recordings"

    @property
    def vmware_dir(self) -> Path:
        """RVTools-style CSV exports and performance counters."""
        return self.root / "vmware"

    @property
    def logs_dir(self) -> Path:
        """Asterisk ``full`` log, AMI captures and ``queue_log``, per node (``logs/srv01``)."""
        return self.root / "logs"

    @property
    def queue_logs(self) -> str:
        """Glob of the nodes' Asterisk ``queue_log`` files (:mod:`mirtalib.demo.queuelog`)."""
        return str(self.logs_dir / "*" / "queue_log")


def _source_hash() -> str:
    here = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(here.rglob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def demo_root(settings: Settings | None = None) -> Path:
    """Folder of the demo PBX for this version of the generator."""
    settings = settings or Settings.load()
    return settings.home / f"demo-{_source_hash()}"


def ensure_demo(settings: Settings | None = None) -> DemoPaths:
    """Return the demo PBX, building it first if needed (atomic: built aside, then renamed)."""
    root = demo_root(settings)
    paths = DemoPaths(root)
    if (root / ".complete").is_file():
        return paths
    root.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".building-", dir=root.parent))
    try:
        from mirtalib.demo.build import build_demo  # heavy imports only when building

        build_demo(DemoPaths(tmp), seed=DEMO_SEED)
        (tmp / ".complete").write_text("ok\n")
        try:
            os.rename(tmp, root)
        except OSError:
            # another process finished first: use its copy
            if not (root / ".complete").is_file():
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return paths


def require_demo(what: str) -> DemoPaths:
    """The demo PBX standing in for ``what`` (a folder or file not given), only when the demo was
    asked for (``MIRTA_DB_URL=demo``, or a run on ``replay:`` demo nodes).

    Raises:
        NoDatabaseConfigured: naming ``what``; the demo's files are never read as a real server's.
    """
    from mirtalib.data.db import NoDatabaseConfigured, demo_selected

    if not demo_selected():
        raise NoDatabaseConfigured(
            f"no {what} given and no source configured: give it (the demo PBX's is used "
            "only with MIRTA_DB_URL=demo)"
        )
    return ensure_demo()
