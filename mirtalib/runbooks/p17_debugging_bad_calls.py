"""Seed page 17, *Debugging bad calls*: find which of four causes makes the voice quality bad.

The page lists four sources of bad audio (server overloaded; the server's, the client's or the
provider's Internet pipe saturated), four tests (who reports it, an internal call, a media file
played by a feature code, a DID called from a mobile) and a decision table saying, for each
outcome, whether each cause is *Possible*, *Unlikely* or ruled out (*No*). It also says the load
average must never exceed the number of cores.

This runbook records the outcome of each test as parameters, applies the table and ranks the
causes, showing the rows used and the reasoning; it samples ``/proc/loadavg`` several times on
the node and compares it with ``nproc``. It changes nothing on the node.

Scoring (an explicit, simple rule): *No* rules a cause out; every *Unlikely* divides the score
by four; the ranking is by score, then by the number of *Possible* votes. Outcomes that rule out
every cause contradict the table: the test is probably misread and should be repeated. A load
above the cores while sampling makes *server overloaded* Possible; a load below them only makes
it Unlikely (a short spike between samples is not seen: monitor for longer with sar or the
monitoring system).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pandas as pd

from mirtalib.asterisk.host import LoadAverage, parse_loadavg
from mirtalib.errors import ParameterError, ParseError
from mirtalib.runbook import Check, Manual, Param, Phase, RunbookDef, Step, Verdict, Verification
from mirtalib.runbook.results import RunReport
from mirtalib.runbook.targets import Target

CAUSES = (
    "Server overloaded",
    "Server Internet pipe saturated",
    "Client Internet pipe saturated",
    "Provider Internet pipe saturated",
)
P, U, N = "Possible", "Unlikely", "No"
WEIGHT = {P: 1.0, U: 0.25, N: 0.0}

# (test parameter, outcome) -> (row label, verdict per cause), as on the page
TABLE: dict[tuple[str, str], tuple[str, tuple[str, str, str, str]]] = {
    ("reported_by", "many"): ("All or multiple tenants report the problem", (P, P, U, P)),
    ("reported_by", "one"): ("Only one tenant reports the problem", (U, U, P, U)),
    ("internal_call", "bad"): ("Internal to internal calls are bad", (U, P, P, P)),
    ("internal_call", "good"): ("Internal to internal calls are good", (N, N, N, P)),
    ("feature_code_media", "bad"): ("Media file played by a feature code is bad", (P, P, P, U)),
    ("feature_code_media", "good"): ("Media file played by a feature code is good", (N, N, N, P)),
    ("did_from_mobile", "bad"): ("Calling a DID from a mobile phone is bad", (P, U, U, P)),
    ("did_from_mobile", "good"): ("Calling a DID from a mobile phone is good", (N, N, P, N)),
}
TESTS = ("reported_by", "internal_call", "feature_code_media", "did_from_mobile")
OUTCOMES = ("bad", "good", "untested")


PARAMS = (
    Param(
        "reported_by",
        "many",
        ("who reports the problem: many (all or several tenants), one, unknown"),
        choices=("many", "one", "unknown"),
    ),
    Param(
        "internal_call",
        "bad",
        "internal phone to internal phone: bad, good, untested",
        choices=OUTCOMES,
    ),
    Param(
        "feature_code_media",
        "bad",
        ("music file played by a feature code: bad, good, untested"),
        choices=OUTCOMES,
    ),
    Param(
        "did_from_mobile",
        "good",
        ("DID with a media file called from a mobile: bad, good, untested"),
        choices=OUTCOMES,
    ),
    Param("samples", 6, "/proc/loadavg samples per node (2-30)", between=(2, 60)),
    Param(
        "interval",
        10,
        "seconds between samples (samples x interval at most 100 s)",
        between=(1, 60),
    ),
)


def decision_table() -> pd.DataFrame:
    """The page's decision table: one row per test outcome, one column per cause."""
    rows = {label: dict(zip(CAUSES, verdicts, strict=True)) for label, verdicts in TABLE.values()}
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("test / cause")


@dataclasses.dataclass(frozen=True)
class LoadEvidence:
    """Load samples of one node against its cores."""

    node: str
    cores: int
    samples: tuple[LoadAverage, ...]

    @property
    def peak(self) -> float:
        """Highest 1-minute load seen."""
        return max(s.load1 for s in self.samples)

    @property
    def overloaded(self) -> bool:
        """True when a 1-minute load exceeded the number of cores."""
        return self.peak > self.cores


def rank_causes(
    outcomes: dict[str, str], load: list[LoadEvidence] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """Apply the decision table to the test outcomes (and the load, when sampled).

    Returns:
        (rows used: label x causes, ranking: cause/score/possible/unlikely/ruled_out/rank,
        reasoning lines).
    """
    used: dict[str, tuple[str, ...]] = {}
    reasons: list[str] = []
    for test in TESTS:
        outcome = outcomes.get(test, "untested")
        key = (test, outcome)
        if key in TABLE:
            label, verdicts = TABLE[key]
            used[label] = verdicts
        else:
            reasons.append(f"{test}: {outcome}, not used")
    for ev in load or []:
        label = f"Load on {ev.node}: peak {ev.peak:.2f} on {ev.cores} cores"
        used[label] = ((P if ev.overloaded else U), "-", "-", "-")
    frame = pd.DataFrame.from_dict(
        {k: dict(zip(CAUSES, v, strict=True)) for k, v in used.items()}, orient="index"
    ).rename_axis("evidence / cause")
    ranking = []
    for i, cause in enumerate(CAUSES):
        votes = [v[i] for v in used.values() if v[i] != "-"]
        score = 1.0
        for vote in votes:
            score *= WEIGHT[vote]
        ranking.append(
            {
                "cause": cause,
                "score": round(score, 4) if votes else float("nan"),
                "possible": votes.count(P),
                "unlikely": votes.count(U),
                "ruled_out": N in votes,
            }
        )
    rank = pd.DataFrame(ranking).sort_values(
        ["score", "possible"], ascending=False, na_position="last", kind="stable"
    )
    rank.insert(0, "rank", range(1, len(rank) + 1))
    rank = rank.reset_index(drop=True)
    reasons += _reasoning(rank, used)
    return frame, rank, reasons


def _reasoning(rank: pd.DataFrame, used: dict[str, tuple[str, ...]]) -> list[str]:
    out = []
    if not used:
        return ["no test outcome recorded yet: run the tests on the page first"]
    for row in rank.itertuples():
        i = CAUSES.index(row.cause)
        no = [label for label, v in used.items() if v[i] == N]
        if no:
            out.append(f"{row.cause}: ruled out by '{no[0]}'")
        else:
            out.append(
                f"{row.cause}: {row.possible} Possible, {row.unlikely} Unlikely "
                f"(score {row.score:g})"
            )
    alive = rank[~rank["ruled_out"]]
    if alive.empty:
        out.append("every cause is ruled out: the outcomes contradict the table, repeat the tests")
    else:
        top = alive.iloc[0]
        ties = alive[alive["score"] == top["score"]]["cause"].tolist()
        if len(ties) > 1:
            out.append(f"undecided between {', '.join(ties)}: run the untested tests")
        else:
            out.append(f"most likely: {top['cause']}")
    return out


def load_command(samples: int, interval: int) -> str:
    """``nproc`` then ``samples`` lines of /proc/loadavg, ``interval`` seconds apart."""
    return (
        f"nproc; for i in $(seq {int(samples)}); do cat /proc/loadavg; sleep {int(interval)}; done"
    )


@dataclasses.dataclass(frozen=True)
class LoadSamples:
    """``nproc`` and the /proc/loadavg samples of one run of :func:`load_command`."""

    cores: int
    samples: tuple[LoadAverage, ...]

    def __repr__(self) -> str:
        loads = [s.load1 for s in self.samples]
        return f"{self.cores} cores, {len(loads)} samples, 1-min load " + " ".join(
            f"{x:.2f}" for x in loads
        )


def parse_load(text: str) -> LoadSamples:
    """Parse the output of :func:`load_command`: cores, then the samples."""
    lines = [ln.strip() for ln in str(text).splitlines() if ln.strip()]
    if not lines or not lines[0].isdigit() or int(lines[0]) < 1:
        raise ParseError("load samples: the first line must be nproc's core count")
    samples = tuple(parse_loadavg(ln) for ln in lines[1:])
    if not samples:
        raise ParseError("load samples: no /proc/loadavg line")
    return LoadSamples(int(lines[0]), samples)


def _load_expect(value: LoadSamples) -> tuple[Verdict, str]:
    cores, samples = value.cores, value.samples
    peak = max(s.load1 for s in samples)
    line = f"1-min load {min(s.load1 for s in samples):.2f}-{peak:.2f} on {cores} cores"
    if peak > cores:
        return Verdict.FAIL, f"{line}: above the cores, the server is overloaded"
    if peak > 0.7 * cores:
        return Verdict.WARN, f"{line}: above 70 % of the cores, little headroom"
    return Verdict.PASS, f"{line}: below the cores"


def load_evidence(report: RunReport, step_id: str = "load-vs-cores") -> list[LoadEvidence]:
    """The load samples a report recorded, per node (nodes without them are left out)."""
    out = []
    for node in report.nodes:
        for r in node.results:
            if r.step_id == step_id and r.commands and r.commands[0].exit_code == 0:
                parsed = parse_load(r.commands[0].output)
                out.append(LoadEvidence(node.node, parsed.cores, parsed.samples))
    return out


def load_frame(evidence: list[LoadEvidence], interval: int) -> pd.DataFrame:
    """One row per sample and node: seconds since the first sample, loads, load per core."""
    rows = [
        {
            "node": ev.node,
            "t_s": i * interval,
            "load1": s.load1,
            "load5": s.load5,
            "load15": s.load15,
            "cores": ev.cores,
            "load1_per_core": round(s.load1 / ev.cores, 3),
        }
        for ev in evidence
        for i, s in enumerate(ev.samples)
    ]
    return pd.DataFrame(rows)


def _ranking_probe(v: dict[str, Any]):
    def probe(_target: Target) -> str:
        return "\n".join(rank_causes({t: v[t] for t in TESTS})[2])

    return probe


TEST_STEPS = (
    (
        "test-scope",
        "Find out who reports bad audio",
        "support tickets, tenants",
        "One tenant only points at that client's network; several tenants at the server or a "
        "provider. Record it as reported_by (many / one).",
    ),
    (
        "test-internal",
        "Internal phone calls internal phone",
        "the client's site",
        "Tests the client's network upload and download. Record internal_call (bad / good).",
    ),
    (
        "test-feature-code",
        "Dial a feature code that plays a music file",
        "MiRTA feature codes",
        "Create the feature code first; tests only the client's download. Record "
        "feature_code_media.",
    ),
    (
        "test-did-mobile",
        "Call a DID playing a media file from a mobile",
        "a DID per provider",
        "Tests the server and the provider, not the client. Repeat with DIDs of different "
        "providers (they may share one link). Record did_from_mobile.",
    ),
)


MAX_SAMPLING_S = 100  # a check command must end within the engine's 120 s


def build(v: dict[str, Any]) -> list[Step]:
    """Steps of page 17 for validated parameter values ``v``."""
    if v["samples"] * v["interval"] > MAX_SAMPLING_S:
        raise ParameterError(
            f"samples x interval = {v['samples'] * v['interval']} s: keep it within "
            f"{MAX_SAMPLING_S} s here; watch longer periods with sar or the monitoring system"
        )
    steps: list[Step] = [
        Manual(id=i, title=t, phase=Phase.BEFORE, where=w, detail=d) for i, t, w, d in TEST_STEPS
    ]
    steps += [
        Check(
            id="ranking",
            title="Causes ranked by the decision table",
            phase=Phase.BEFORE,
            probe=_ranking_probe(v),
            parse=lambda text: text.replace("\n", "; "),
            expect=lambda text: (Verdict.PASS, text),
        ),
        Check(
            id="load-vs-cores",
            title=f"Load average vs cores ({v['samples']} samples, {v['interval']} s apart)",
            phase=Phase.BEFORE,
            command=load_command(v["samples"], v["interval"]),
            parse=parse_load,
            expect=_load_expect,
        ),
    ]
    return steps


RUNBOOK = RunbookDef(
    page=17,
    demo_targets="replay:srv01,replay:srv02",
    slug="debugging-bad-calls",
    title="Debugging bad calls",
    scope="node",
    roles=("pbx",),
    params=PARAMS,
    build=build,
    summary="four tests, the page's decision table, load average vs cores over time",
    verification=Verification(
        mirta_page="CDR / call reports of the affected tenant: the bad calls' times, trunks and "
        "phones, to repeat the tests on the same path.",
        asterisk_log="Around the bad calls: 'Exceptionally long voice queue', jitterbuffer or "
        "RTP timeout messages in /var/log/asterisk/full.",
        status_menu="Status menu: node load and active calls at the times of the complaints.",
    ),
)
