"""Helpers for the CDR tests: hand-built legs and Master.csv lines written like cdr_csv does."""

from __future__ import annotations

import sys
from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from mirtalib.cdr.legs import normalize

sys.path.insert(0, str(Path(__file__).parents[2]))  # engines_agree.py
T0 = datetime(2026, 10, 5, 9, 0, 0)


def q(value: str) -> str:
    """Quote a string field as cdr_csv does ("" escapes)."""
    return '"' + value.replace('"', '""') + '"'


def csv_line(
    *,
    accountcode="DEVEL",
    src="100",
    dst="101",
    dcontext="from-internal",
    clid='"Alice" <100>',
    channel="PJSIP/100-DEVEL-00000001",
    dstchannel="PJSIP/101-DEVEL-00000002",
    lastapp="Dial",
    lastdata="PJSIP/101-DEVEL,30",
    start="2026-10-05 09:00:00",
    answer="2026-10-05 09:00:05",
    end="2026-10-05 09:01:05",
    duration="65",
    billsec="60",
    disposition="ANSWERED",
    amaflags="DOCUMENTATION",
    uniqueid="srv01-1791190800.1",
    userfield="LOCAL",
    peeraccount="",
    linkedid="srv01-1791190800.1",
    sequence="1",
    columns=21,
) -> str:
    """One Master.csv line with the given number of columns (16..21)."""
    base = [
        q(accountcode),
        q(src),
        q(dst),
        q(dcontext),
        q(clid),
        q(channel),
        q(dstchannel),
        q(lastapp),
        q(lastdata),
        q(start),
        q(answer) if answer else "",
        q(end),
        duration,
        billsec,
        q(disposition),
        q(amaflags),
    ]
    base = [f if f != '""' or i in (0, 1, 2, 3, 4, 5, 6, 7, 8) else "" for i, f in enumerate(base)]
    new = [q(peeraccount), q(linkedid), sequence]
    extra = {
        16: [],
        17: [q(uniqueid)],
        18: [q(uniqueid), q(userfield)],
        19: new,
        20: [q(uniqueid), *new],
        21: [q(uniqueid), q(userfield), *new],
    }[columns]
    return ",".join(base + extra)


def make_legs(rows: list[dict]) -> pd.DataFrame:
    """Normalized legs from short dicts: times as seconds after T0 (``s``, ``a``, ``e``)."""
    full = []
    for r in rows:
        r = dict(r)
        s, a, e = r.pop("s"), r.pop("a", None), r.pop("e")
        start = T0 + timedelta(seconds=s)
        end = T0 + timedelta(seconds=e)
        answer = T0 + timedelta(seconds=a) if a is not None else None
        full.append(
            {
                "start": start,
                "answer": answer,
                "end": end,
                "duration": e - s,
                "billsec": (e - a) if a is not None else 0,
                "disposition": "ANSWERED" if a is not None else "NO ANSWER",
                **r,
            }
        )
    return normalize(pd.DataFrame(full))


@pytest.fixture
def write_csv(tmp_path):
    """Write lines to a file under tmp_path (newline-terminated unless told) and return its path."""

    def _write(name: str, lines: list[str], final_newline: bool = True):
        path = tmp_path / name
        text = "\n".join(lines) + ("\n" if final_newline else "")
        if name.endswith(".gz"):
            import gzip

            with gzip.open(path, "wt", encoding="utf-8") as fh:
                fh.write(text)
        else:
            path.write_text(text, encoding="utf-8")
        return path

    return _write


@pytest.fixture(name="csv_line")
def _csv_line_fixture():
    """The :func:`csv_line` helper."""
    return csv_line


@pytest.fixture(name="make_legs")
def _make_legs_fixture():
    """The :func:`make_legs` helper."""
    return make_legs
