"""Hand-built CDR legs for the MariaDB tests of this folder (times relative to :data:`T0`)."""

from __future__ import annotations

from datetime import datetime, timedelta

T0 = datetime(2026, 10, 5, 9, 0, 0)


def leg(s, e, a=None, **kw) -> dict:
    """A leg from second ``s`` to ``e`` after T0, answered at ``a`` (None: NO ANSWER)."""
    return {
        "start": T0 + timedelta(seconds=s),
        "answer": T0 + timedelta(seconds=a) if a is not None else None,
        "end": T0 + timedelta(seconds=e),
        "duration": e - s,
        "billsec": e - a if a is not None else 0,
        "disposition": "ANSWERED" if a is not None else "NO ANSWER",
        **kw,
    }
