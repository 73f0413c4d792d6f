"""Seed page 07, *Activating the transcript for calls*: batch transcription of recordings.

Steps of the page: choose the speech-to-text provider (Admin/Settings, or per tenant in
Configuration/Settings; Google Speech-to-Text needs a JSON API key and a bucket for the
intermediate audio), turn on *Transcribe phone call recordings* in Admin/Settings (the batch
job), and turn on the transcript per extension (*Outbound Recording* section) and per DID
(*Voice* section). Stereo recordings separate the parties and give better transcripts.

This runbook reads the settings from the database (:func:`mirtalib.runbooks.recording_pages.
settings_table`): which extensions and DIDs transcribe, and two findings (transcript on while
recording is off: nothing to transcribe; transcript on with mono recording). Verify runs the
recording coverage audit (:mod:`mirtalib.recording`) for the transcript numbers. The provider's
key is never a parameter: the parameter names the env var that holds the key file's path.
"""

from __future__ import annotations

from typing import Any

from mirtalib.cdr.load import normalize_tenants
from mirtalib.runbook import Check, Manual, Param, Phase, RunbookDef, Step, Verdict, Verification
from mirtalib.runbook.checks import needs_database
from mirtalib.runbooks.recording_pages import (
    COVERAGE_NOTEBOOK,
    coverage,
    day,
    settings_table,
    transcript_coverage,
)

PROVIDERS = ("google", "openai", "other")


def _tenants(value: str) -> str:
    return ",".join(normalize_tenants(value) or [])


PARAMS = (
    Param("tenants", "", "tenant codes, comma-separated; empty: all", check=_tenants),
    Param(
        "stt_provider",
        "google",
        "speech-to-text provider chosen in Admin/Settings: google, openai, other",
        choices=PROVIDERS,
    ),
    Param(
        "stt_key_env",
        "MIRTA_GOOGLE_STT_KEY_FILE",
        "env var holding the provider key (Google: JSON key file path)",
        kind="env_var",
        secret_ref=True,
    ),
    Param(
        "bucket",
        "mirta-demo-transcripts",
        ("Google Cloud Storage bucket for the intermediate audio"),
    ),
    Param(
        "transcription_enabled", True, ('Admin/Settings "Transcribe phone call recordings" is on')
    ),
    Param(
        "period_start",
        "2026-10-01",
        "first day of the coverage check (YYYY-MM-DD)",
        check=day("period_start"),
    ),
    Param(
        "period_end", "2026-11-01", "day after the last day (YYYY-MM-DD)", check=day("period_end")
    ),
    Param(
        "max_missing_pct",
        1.0,
        "verify fails when more transcripts than this % are missing",
        between=(0, 100),
    ),
)


def _settings_expect(frame) -> tuple[Verdict, str]:
    on = frame[frame["transcript"]]
    findings = frame[frame["finding"] != ""]
    reason = (
        f"{len(on)} of {len(frame)} extensions/DIDs transcribe "
        f"({', '.join(sorted(set(on['tenant'])) or ['none'])})"
    )
    off = findings[findings["finding"].str.startswith("transcript on, recording off")]
    if off.empty and findings.empty:
        return Verdict.PASS, reason
    reason += f"; {len(off)} with recording off: " + ", ".join(off["name"]) if len(off) else ""
    mono = len(findings) - len(off)
    reason += f"; {mono} record mono (stereo separates the parties)" if mono else ""
    return Verdict.WARN, reason


def _coverage_expect(limit: float):
    def expect(table) -> tuple[Verdict, str]:
        exp = int(table["transcripts_expected"].sum())
        miss = int(table["transcripts_missing"].sum())
        pct = 100.0 * miss / exp if exp else 0.0
        reason = f"{exp - miss} of {exp} transcripts present, {miss} missing ({pct:.1f} %)"
        if not exp:
            return Verdict.WARN, "no transcript expected in the period"
        return (Verdict.FAIL if pct > limit else Verdict.PASS), reason

    return expect


def build(v: dict[str, Any]) -> list[Step]:
    """Steps of page 07 for validated parameter values ``v``."""
    tenants = [t for t in v["tenants"].split(",") if t]
    google = v["stt_provider"] == "google"
    detail = f"provider {v['stt_provider']}; key from {v['stt_key_env']}"
    if google:
        detail += f"; bucket {v['bucket']} for the intermediate audio"
    return [
        needs_database(
            Check(
                id="transcript-settings",
                title="Extensions and DIDs with the transcript on",
                phase=Phase.BEFORE,
                probe=lambda _t: "",
                parse=lambda _s: settings_table(tenants or None),
                expect=_settings_expect,
            )
        ),
        Manual(
            id="stt-provider",
            title="Choose the speech-to-text provider",
            where="MiRTA Admin/Settings (or Configuration/Settings per tenant)",
            detail=detail,
        ),
        Manual(
            id="batch-switch",
            title="Turn on 'Transcribe phone call recordings'",
            where="MiRTA Admin/Settings",
            detail="the batch job transcribes recordings of "
            "extensions/DIDs with the transcript on"
            + ("" if v["transcription_enabled"] else " (this run assumes it is OFF)"),
        ),
        Manual(
            id="per-extension",
            title="Transcript per extension and DID",
            where="extension > Outbound Recording; DID > Voice",
            detail="turn on the transcript where wanted; recording must be on too, and "
            "stereo recording separates the parties",
        ),
        needs_database(
            Check(
                id="transcript-coverage",
                title="Transcripts present for the recorded calls",
                probe=lambda _t: "",
                parse=lambda _s: transcript_coverage(
                    coverage(
                        v["period_start"], v["period_end"], v["tenants"], v["transcription_enabled"]
                    )
                ),
                expect=_coverage_expect(v["max_missing_pct"]),
            ),
            Verdict.FAIL,
        ),
    ]


RUNBOOK = RunbookDef(
    page=7,
    slug="activating-the-transcript-for-calls",
    title="Activating the transcript for calls",
    scope="tenant",
    roles=("pbx",),
    params=PARAMS,
    build=build,
    summary="Transcript settings per extension/DID with findings; transcript coverage",
    verification=Verification(
        mirta_page="Open a recent recording of a transcribing extension: the transcript is "
        f"there (full numbers: {COVERAGE_NOTEBOOK}).",
        asterisk_log="The transcription batch log shows no provider errors (key, bucket).",
        status_menu="Status menu: the transcription queue is not growing.",
    ),
)
