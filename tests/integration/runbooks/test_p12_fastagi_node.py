"""Page 12's patch run by the real node.js: the header reader of the demo's fastagi-server.js cuts
a recording name holding a time; the patched reader (what apply writes) keeps it whole.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest
import yaml

from mirtalib.runbook.replay import replay_dir
from mirtalib.runbooks.p12_activating_fastagi import find_split_bug, patch_split_bug

NODE = shutil.which("node")
pytestmark = pytest.mark.skipif(NODE is None, reason="node.js is not installed (Debian: nodejs)")
HEADERS = "agi_network_script: upload.php\nagi_arg_1: rec-20261102-09:30:05.wav\n"


def _demo_source() -> str:
    data = yaml.safe_load((replay_dir() / "srv01.d" / "p12.yaml").read_text())
    return data["files"]["/var/lib/asterisk/agi-bin/node/fastagi-server.js"]["content"]


def _read_headers(source: str) -> dict:
    """Run the file's own readHeaders() in node on HEADERS."""
    m = re.search(r"^function readHeaders\(block\) \{.*?^\}", source, re.MULTILINE | re.DOTALL)
    assert m, "readHeaders() not found in the demo file"
    script = (
        f"{m.group(0)}\nprocess.stdout.write(JSON.stringify(readHeaders({json.dumps(HEADERS)})));"
    )
    out = subprocess.run([NODE, "-e", script], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def test_buggy_reader_cuts_the_time_and_the_patch_fixes_it():
    source = _demo_source()
    assert find_split_bug(source)
    buggy = _read_headers(source)
    assert buggy["agi_arg_1"] == "rec-20261102-09"  # the page's bug, reproduced by node
    patched = patch_split_bug(source)
    assert find_split_bug(patched) == []
    fixed = _read_headers(patched)
    assert fixed == {"agi_network_script": "upload.php", "agi_arg_1": "rec-20261102-09:30:05.wav"}
    # the patched file is still valid JavaScript for node
    subprocess.run([NODE, "--check", "-"], input=patched, text=True, check=True)
