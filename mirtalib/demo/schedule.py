"""When calls happen, and the stream of CDR chunks of the whole period.

Calls follow an office pattern (mornings and afternoons of working days, little on Saturday, almost
nothing on Sunday and at night), with a random factor per day. On three weekend nights a leaked
SIP account of ACME places international / premium calls (toll fraud); the last burst spans the
end of daylight saving time on 2026-10-25, so the repeated local hour 02:00-03:00 holds calls.

The period is cut into chunks of consecutive hours of at most :data:`CHUNK_CALLS` calls, each
generated with its own random generator ``default_rng([seed, 7, chunk_number])``: memory stays
bounded whatever the scale, and the chunks come out in time order.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import numpy as np
import pandas as pd

from mirtalib.demo.calls import FRAUD, FRAUD_LONG, KIND_SHARE, KINDS, Batch, CallGenerator
from mirtalib.demo.fanout import fanout
from mirtalib.demo.legs import NodeCounters, finalize
from mirtalib.demo.model import PERIOD_END, PERIOD_START, TIMEZONE
from mirtalib.demo.transfers import parked, transfer

log = logging.getLogger(__name__)

CALLS_PER_SCALE = 20_000
CHUNK_CALLS = 25_000
FRAUD_PER_NIGHT = 14
# (UTC start, minutes) of the toll-fraud bursts; the last one covers 01:30 CEST .. 03:10 CET
FRAUD_NIGHTS = [("2026-10-10T21:40Z", 150), ("2026-10-17T23:05Z", 120), ("2026-10-24T23:30Z", 160)]

_WEEKDAY = np.array(
    [
        0.3,
        0.15,
        0.1,
        0.1,
        0.1,
        0.2,
        0.6,
        2.0,
        6.0,
        9.5,
        10.0,
        9.5,
        6.5,
        4.0,
        6.5,
        9.0,
        9.3,
        8.0,
        5.0,
        2.5,
        1.4,
        1.0,
        0.7,
        0.5,
    ]
)
_SATURDAY = np.array(
    [
        0.3,
        0.15,
        0.1,
        0.1,
        0.1,
        0.1,
        0.2,
        0.6,
        1.5,
        2.5,
        2.8,
        2.5,
        1.6,
        0.8,
        0.6,
        0.6,
        0.6,
        0.5,
        0.5,
        0.4,
        0.4,
        0.4,
        0.3,
        0.3,
    ]
)
_SUNDAY = np.array(
    [
        0.2,
        0.1,
        0.1,
        0.1,
        0.1,
        0.1,
        0.1,
        0.2,
        0.3,
        0.5,
        0.6,
        0.6,
        0.4,
        0.3,
        0.3,
        0.3,
        0.4,
        0.4,
        0.4,
        0.4,
        0.4,
        0.3,
        0.3,
        0.2,
    ]
)


def period_hours() -> pd.DatetimeIndex:
    """The real (UTC) hours of the period: 745 in October 2026 (one hour more at DST end)."""
    start = pd.Timestamp(PERIOD_START).tz_localize(TIMEZONE).tz_convert("UTC")
    end = pd.Timestamp(PERIOD_END).tz_localize(TIMEZONE).tz_convert("UTC")
    return pd.date_range(start, end, freq="h", inclusive="left")


def hourly_counts(rng: np.random.Generator, scale: float) -> tuple[np.ndarray, np.ndarray]:
    """Epoch of each real hour of the period and the number of ordinary calls starting in it."""
    hours = period_hours()
    local = hours.tz_convert(TIMEZONE)
    dow, hod = local.day_of_week.to_numpy(), local.hour.to_numpy()
    weight = np.select([dow < 5, dow == 5], [_WEEKDAY[hod], _SATURDAY[hod]], _SUNDAY[hod])
    day = local.day.to_numpy() - 1
    weight = weight * rng.uniform(0.85, 1.15, 31)[day]
    total = round(CALLS_PER_SCALE * scale)
    counts = rng.multinomial(total, weight / weight.sum())
    return hours.as_unit("s").asi8.astype(np.int64), counts


def fraud_times(rng: np.random.Generator, scale: float) -> tuple[np.ndarray, np.ndarray]:
    """Epochs and kinds of the toll-fraud calls: bursts of dialing on three weekend nights.

    The first call of each night is a marathon (answered, 100-140 minutes): on the first night it
    crosses midnight, on the last one the end of daylight saving time.
    """
    times, kinds = [], []
    per_night = max(1, round(FRAUD_PER_NIGHT * scale))
    for start, minutes in FRAUD_NIGHTS:
        t0 = int(pd.Timestamp(start).timestamp())
        offsets = np.sort(rng.integers(60, minutes * 60, per_night))
        offsets[0] = 0
        times.append(t0 + offsets)
        kinds.append(np.where(np.arange(per_night) == 0, FRAUD_LONG, FRAUD))
    t, k = np.concatenate(times), np.concatenate(kinds)
    order = np.argsort(t, kind="stable")
    return t[order], k[order]


def chunk_plan(counts: np.ndarray) -> list[tuple[int, int]]:
    """Cut the hours into ranges [h0, h1) of at most CHUNK_CALLS calls (at least one hour)."""
    plan, h0, acc = [], 0, 0
    for h, c in enumerate(counts):
        if acc and acc + c > CHUNK_CALLS:
            plan.append((h0, h))
            h0, acc = h, 0
        acc += int(c)
    plan.append((h0, len(counts)))
    return plan


def generate_chunk(
    gen: CallGenerator,
    rng: np.random.Generator,
    t0: np.ndarray,
    kind: np.ndarray,
    counters: NodeCounters,
) -> pd.DataFrame:
    """Legs of the calls starting at ``t0`` (sorted epochs) with generation codes ``kind``."""
    n = len(t0)
    shares = gen.w.tenants.share.to_numpy()
    tenant = rng.choice(len(shares), n, p=shares / shares.sum())
    b = Batch()
    calls = np.arange(n)
    for k in range(len(KINDS) + 2):
        sel = calls[kind == k]
        if not len(sel):
            continue
        name = KINDS[k] if k < len(KINDS) else "fraud"
        if name == "internal":
            gen.internal(b, rng, sel, tenant[sel], t0[sel])
        elif name == "outbound":
            gen.outbound(b, rng, sel, tenant[sel], t0[sel])
        elif name == "fraud":
            tenant[sel] = gen.w.ext.tidx.iloc[gen.w.fraud_ext]
            gen.outbound(b, rng, sel, tenant[sel], t0[sel], fraud=kind[sel])
        elif name == "inbound":
            tenant[sel] = gen.inbound(b, rng, sel, t0[sel])
        elif name in ("queue", "ringgroup"):
            tenant[sel] = fanout(gen, b, rng, sel, t0[sel], ringgroup=name == "ringgroup")
        elif name == "parked":
            tenant[sel] = parked(gen, b, rng, sel, t0[sel], gen.w.parking_first)
        else:
            tenant[sel] = transfer(gen, b, rng, sel, t0[sel], tenant[sel], name)
    raw, parties = b.columns()
    raw["tenant"] = tenant[raw["call"]]
    return finalize(gen, raw, parties, counters, rng)


def iter_chunks(gen: CallGenerator, seed: int, scale: float) -> Iterator[pd.DataFrame]:
    """Yield the legs of the whole period, chunk by chunk, in time order."""
    rng = np.random.default_rng([seed, 6])
    hour_epoch, counts = hourly_counts(rng, scale)
    fraud, fraud_kind = fraud_times(rng, scale)
    counters = NodeCounters()
    p = KIND_SHARE / KIND_SHARE.sum()
    for no, (h0, h1) in enumerate(chunk_plan(counts)):
        crng = np.random.default_rng([seed, 7, no])
        c = counts[h0:h1]
        t0 = np.repeat(hour_epoch[h0:h1], c) + crng.integers(0, 3600, int(c.sum()))
        kind = crng.choice(len(KINDS), len(t0), p=p)
        lo, hi = hour_epoch[h0], hour_epoch[h1 - 1] + 3600
        in_chunk = (fraud >= lo) & (fraud < hi)
        t0 = np.concatenate([t0, fraud[in_chunk]])
        kind = np.concatenate([kind, fraud_kind[in_chunk]])
        order = np.argsort(t0, kind="stable")
        if not len(t0):
            continue
        legs = generate_chunk(gen, crng, t0[order], kind[order], counters)
        log.debug("demo chunk %d: %d calls, %d legs", no, len(t0), len(legs))
        yield legs
