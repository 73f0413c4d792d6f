"""Recording and transcription coverage: rules, expected recordings, inventories, the audit.

>>> from mirtalib.recording import run_coverage, rules_frame
>>> rules_frame()                                        # the recording rules, as data
>>> result = run_coverage("2026-10-01", "2026-11-01")    # the demo PBX, local recordings folder
>>> result.audit.summary                                 # per tenant and day

Modules: :mod:`~mirtalib.recording.policy` (rules and settings), :mod:`~mirtalib.recording.expected`
(legs -> expected recordings), :mod:`~mirtalib.recording.naming` (file name pattern, assumed
default), :mod:`~mirtalib.recording.wav` (WAV headers), :mod:`~mirtalib.recording.inventory`
(metadata table, local folder), :mod:`~mirtalib.recording.ftps` (remote store over FTPS),
:mod:`~mirtalib.recording.coverage` (the audit), :mod:`~mirtalib.recording.report` (one call for
the notebook, plots, export).
"""

from mirtalib.recording.coverage import CoverageAudit, audit
from mirtalib.recording.expected import expected_recordings
from mirtalib.recording.ftps import FtpsStore, scan_ftps
from mirtalib.recording.inventory import combine_inventory, files_frame, scan_local
from mirtalib.recording.naming import DEFAULT_NAME_PATTERN, parse_name
from mirtalib.recording.policy import RULES, PolicyBook, rules_frame
from mirtalib.recording.report import CoverageResult, export, plot_coverage, run_coverage

__all__ = [
    "DEFAULT_NAME_PATTERN",
    "RULES",
    "CoverageAudit",
    "CoverageResult",
    "FtpsStore",
    "PolicyBook",
    "audit",
    "combine_inventory",
    "expected_recordings",
    "export",
    "files_frame",
    "parse_name",
    "plot_coverage",
    "rules_frame",
    "run_coverage",
    "scan_ftps",
    "scan_local",
]
