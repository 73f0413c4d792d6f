"""The report index: ``reports/index.html`` listing every headless run in the reports folder."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from mirtalib.nbrun.outputs import atomic_write_text, locked
from mirtalib.secrets import scrub

logger = logging.getLogger(__name__)


def collect_runs(reports_dir: Path) -> list[dict[str, Any]]:
    """Read every run record ``<reports_dir>/<notebook>/<run>.run.json``.

    Ordered by notebook group and name, then newest run first (run names sort chronologically).
    Unreadable records are listed with status ``unreadable`` rather than dropped.
    """
    runs = []
    for record in sorted(reports_dir.glob("*/*.run.json")):
        try:
            info = json.loads(record.read_text(encoding="utf-8"))
            if not isinstance(info, dict) or "run" not in info:
                raise ValueError("not a run record")
        except (OSError, ValueError) as exc:
            logger.warning("unreadable run record %s: %s", record, exc)
            info = {
                "name": record.parent.name,
                "run": record.name.removesuffix(".run.json"),
                "status": "unreadable",
                "group": "",
                "notebook": record.parent.name,
                "error": str(exc),
            }
        html = info.get("html") or f"{info['run']}.html"
        info["href"] = f"{record.parent.name}/{html}"
        info["has_html"] = (record.parent / Path(info["href"]).name).is_file()
        runs.append(info)
    runs.sort(key=lambda r: str(r["run"]), reverse=True)  # newest first ...
    runs.sort(key=lambda r: (str(r.get("group", "")), str(r.get("name", ""))))  # ... per notebook
    return runs


def write_index(reports_dir: Path, title: str = "MiRTA PBX reports") -> Path:
    """Write ``<reports_dir>/index.html`` and return its path."""
    env = Environment(
        loader=PackageLoader("mirtalib.nbrun", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        keep_trailing_newline=True,
    )
    path = reports_dir / "index.html"
    # listing and writing under one lock: a writer that listed before another run's record was
    # written can never replace that writer's newer index (no run goes missing from it)
    with locked(reports_dir / ".index.lock"):
        runs = collect_runs(reports_dir)
        html = env.get_template("index.html.j2").render(
            title=title,
            runs=runs,
            failed=sum(1 for r in runs if r.get("status") != "ok"),
        )
        atomic_write_text(path, scrub(html))
    return path
