"""Page 05 (ChatGPT over AEAP) on the recorded demo node srv01."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from integration_pages import CANARIES, everything_written, isolated_replays, steps

from mirtalib.asterisk.software import parse_asterisk_version
from mirtalib.errors import ParameterError
from mirtalib.runbook import Status
from mirtalib.runbooks import get

P05 = importlib.import_module(
    "mirtalib.runbooks.p05_using_the_generative_artificial_intelligence_talking_with_chatgpt"
)
RUNBOOK, _version_expect = P05.RUNBOOK, P05._version_expect

KEYS = ("MIRTA_OPENAI_API_KEY", "MIRTA_GOOGLE_TTS_API_KEY")


@pytest.fixture
def rb(tmp_path):
    opts = isolated_replays(tmp_path / "replays")
    runbook = RUNBOOK.open("replay:srv01", journal=tmp_path / "journal", target_options=opts)
    yield runbook
    runbook.close()


def test_registry_finds_page_05():
    assert get(5) is RUNBOOK


def test_plan_versions_modules_and_placeholders(rb):
    s = steps(rb.plan())
    assert s["asterisk-version"].status is Status.PASS
    assert s["aeap-modules"].status is Status.PASS
    assert "+url = ws://127.0.0.1:9099" in s["aeap-conf"].diff
    diff = s["service-keys"].diff
    assert '+OPENAI_API_KEY="<secret from $MIRTA_OPENAI_API_KEY>"' in diff
    assert "+GOOGLE_APPLICATION_CREDENTIALS=/usr/local/openaigateway/google-stt" in diff


def test_apply_writes_keys_masked_everywhere(rb, tmp_path, monkeypatch):
    for name in KEYS:
        monkeypatch.setenv(name, CANARIES[name])
    applied = rb.apply(confirm=True)
    assert not applied.failed, applied.text()
    written = rb.targets[0].read_text("/usr/local/openaigateway/.env")
    assert all(f"={CANARIES[n]}\n" in written for n in KEYS)
    again = rb.apply(confirm=True)
    assert not any(n.changed for n in again.nodes)
    verify = rb.verify()
    verify.raise_for_failure()
    assert steps(verify)["speech-handshake"].status is Status.PASS
    text = everything_written([applied, again, verify], tmp_path / "journal")
    assert not [n for n in KEYS if CANARIES[n] in text]
    assert "OPENAI_API_KEY=********" in text


@pytest.mark.parametrize(
    ("banner", "verdict"),
    [("Asterisk 20.11.1", "pass"), ("Asterisk 18.20.0", "warn"), ("Asterisk 16.30.0", "fail")],
)
def test_version_thresholds(banner, verdict):
    assert _version_expect(parse_asterisk_version(banner))[0] == verdict


def test_bad_parameters_are_refused():
    with pytest.raises(ParameterError, match="codecs"):
        RUNBOOK.validate({"codecs": "ulaw; rm -rf /"})
    with pytest.raises(ParameterError, match="must name an environment variable"):
        RUNBOOK.validate({"openai_key_env": "sk-proj-abc123 key"})
