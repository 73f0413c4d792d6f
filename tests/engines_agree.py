"""The check every engine test uses: the ``sql`` engine's tables equal the pandas reference's."""

from __future__ import annotations

import pandas as pd

from mirtalib.cdr.report import ReportParams, build_report


def assert_engines_agree(source: str, **params) -> dict[str, pd.DataFrame]:
    """Build the report with both engines and compare every table exactly (values, order,
    dtypes); returns the sql engine's tables."""
    base = {"start": "", "end": "", **params}
    ref = build_report(ReportParams(source=source, engine="pandas", **base))
    got = build_report(ReportParams(source=source, engine="sql", **base))
    assert got.engine == "sql" and ref.engine == "pandas"
    assert set(got.tables) == set(ref.tables)
    for name, want in ref.tables.items():
        pd.testing.assert_frame_equal(got.tables[name], want, obj=name)
    return got.tables
