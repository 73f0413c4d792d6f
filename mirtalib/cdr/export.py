"""Export report tables to CSV files and one XLSX workbook (openpyxl)."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from mirtalib.errors import ParameterError

log = logging.getLogger(__name__)
FORMATS = ("csv", "xlsx")


def _safe_name(name: str) -> str:
    clean = re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_.")
    if not clean:
        raise ParameterError(f"table name {name!r} gives no usable file name")
    return clean


def export_tables(
    tables: Mapping[str, pd.DataFrame],
    folder: str | Path,
    formats: tuple[str, ...] | list[str] = FORMATS,
    workbook: str = "cdr-report.xlsx",
) -> list[Path]:
    """Write each table as ``<name>.csv`` and/or as a sheet of one XLSX workbook.

    Args:
        tables: name -> DataFrame (index written only when it is named, e.g. a heatmap).
        folder: output folder (created).
        formats: any of "csv", "xlsx".
        workbook: file name of the workbook.

    Returns:
        The files written, in order.
    """
    bad = [f for f in formats if f not in FORMATS]
    if bad:
        raise ParameterError(f"export formats {bad} unknown; use {list(FORMATS)}")
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    if "csv" in formats:
        for name, frame in tables.items():
            path = out / f"{_safe_name(name)}.csv"
            frame.to_csv(path, index=_keep_index(frame))
            written.append(path)
    if "xlsx" in formats:
        path = out / workbook
        used: set[str] = set()
        with pd.ExcelWriter(path, engine="openpyxl") as writer:
            for name, frame in tables.items():
                sheet = _safe_name(name)[:31]
                while sheet in used:
                    sheet = sheet[:29] + f"_{len(used)}"
                used.add(sheet)
                frame.to_excel(writer, sheet_name=sheet, index=_keep_index(frame))
        written.append(path)
    log.info("exported %d tables to %s", len(tables), out.name)
    return written


def _keep_index(frame: pd.DataFrame) -> bool:
    return frame.index.name is not None or isinstance(frame.index, pd.MultiIndex)
