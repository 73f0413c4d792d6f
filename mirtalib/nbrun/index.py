"""The report index: ``reports/index.html`` listing every headless run in the reports folder."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from mirtalib.filelock import locked
from mirtalib.nbrun.outputs import atomic_write_text
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
        info["key"] = describe_parameters(info.get("key_parameters") or {})
        info["links"] = file_links(record.parent.name, info.get("files") or [])
        runs.append(info)
    runs.sort(key=lambda r: str(r["run"]), reverse=True)  # newest first ...
    runs.sort(key=lambda r: (str(r.get("group", "")), str(r.get("name", ""))))  # ... per notebook
    return runs


def describe_parameters(key: dict[str, Any]) -> list[tuple[str, str]]:
    """A run's key parameters as the index shows them: period, tenants, source, targets."""
    start = key.get("start", key.get("period_start"))
    end = key.get("end", key.get("period_end"))
    out = []
    if start or end:
        out.append(("period", f"{start or '...'} to {end or '...'} (end excluded)"))
    if "tenants" in key or "tenant" in key:
        tenants = key.get("tenants", key.get("tenant"))
        out.append(("tenants", str(tenants) if tenants not in ("", None) else "all"))
    for name in ("source", "vmware_dir", "inventory_source"):
        if name in key:
            value = key[name]
            out.append(("source", str(value) if value not in ("", None) else "default"))
            break
    for name in ("targets", "mode"):
        if key.get(name):
            out.append((name, str(key[name])))
    return out


def file_links(folder: str, files: list[str]) -> list[tuple[str, str]]:
    """Links to a run's own files: tenant pages and workbooks one by one, CSV files as a folder."""
    links = []
    csv_dirs: dict[str, int] = {}
    for rel in files:
        path = Path(rel)
        if path.suffix in {".html", ".xlsx"} or path.parent.name == "journal":
            label = path.stem if path.suffix == ".html" else path.name
            links.append((label, f"{folder}/{rel}"))
        elif path.suffix == ".csv":
            csv_dirs[path.parent.as_posix()] = csv_dirs.get(path.parent.as_posix(), 0) + 1
    for parent, n in csv_dirs.items():
        links.append((f"{n} CSV file{'' if n == 1 else 's'}", f"{folder}/{parent}/"))
    return links


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
