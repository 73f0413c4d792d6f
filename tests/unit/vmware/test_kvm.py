"""/proc/stat samples: steal % and busy cores by hand, errors on bad text."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mirtalib.errors import ParseError
from mirtalib.vmware import parse_proc_stat, samples_from_text, steal_and_load, steal_from_texts
from mirtalib.vmware.perf_findings import guest_findings

STAT1 = """cpu  1000 0 500 8000 100 0 0 400 0 0
cpu0 500 0 250 4000 50 0 0 200 0 0
cpu1 500 0 250 4000 50 0 0 200 0 0
intr 1
procs_running 3
procs_blocked 0
"""
# +600 user, +100 system, +1100 idle, +0 iowait, +200 steal: total +2000
STAT2 = """cpu  1600 0 600 9100 100 0 0 600 0 0
cpu0 800 0 300 4550 50 0 0 300 0 0
cpu1 800 0 300 4550 50 0 0 300 0 0
procs_running 1
0.50 0.40 0.30 1/100 999
"""


def test_parse_proc_stat():
    p = parse_proc_stat(STAT1)
    assert p["ncpu"] == 2 and p["procs_running"] == 3 and p["load1"] is None
    assert p["cpu"]["steal"] == 400
    assert parse_proc_stat(STAT2)["load1"] == 0.5


def test_steal_and_busy_cores_by_hand():
    out = steal_from_texts([("2026-10-14 10:00:00", STAT1), ("2026-10-14 10:00:20", STAT2)])
    row = out.iloc[0]
    assert row["interval_s"] == 20
    assert row["steal_pct"] == pytest.approx(200 / 2000 * 100)  # 10 %
    assert row["busy_cores"] == pytest.approx((2000 - 1100 - 0 - 200) / 2000 * 2)  # 0.7
    assert row["load1"] == 0.5


def test_samples_file_format_and_errors():
    text = "1791972000\n" + STAT1 + "# 1791972020\n" + STAT2
    frame = samples_from_text(text)
    assert list(frame["time"]) == [
        pd.Timestamp("2026-10-14 10:00:00"),
        pd.Timestamp("2026-10-14 10:00:20"),
    ]
    with pytest.raises(ParseError, match="text before the first time line"):
        samples_from_text(STAT1)
    with pytest.raises(ParseError, match="no aggregate 'cpu' line"):
        samples_from_text("1791972000\nintr 5\n")
    with pytest.raises(ParseError, match="not an integer"):
        samples_from_text("1791972000\ncpu  1 2 x 4 5\n")


def test_reboot_interval_dropped():
    text = "1791972000\n" + STAT2 + "1791972020\n" + STAT1
    assert steal_and_load(samples_from_text(text)).empty


def test_guest_findings_levels():
    series = pd.DataFrame(
        {
            "steal_pct": [1.0, 1.0, 8.0],
            "load1": [1.0, 2.5, 1.0],
            "ncpu": [2, 2, 2],
            "busy_cores": [0.5] * 3,
        }
    )
    f = guest_findings("lab", series).set_index("check")
    assert f.loc["steal % (/proc/stat)", "level"] == "harmful"  # p95 of [1, 1, 8] = 7.3 >= 5
    # load above 2 cores in 1 of 3 samples, p95 above too -> harmful
    assert f.loc["guest load vs cores", "level"] == "harmful"
    assert "33.3%" in f.loc["guest load vs cores", "value"]
    calm = series.assign(steal_pct=0.0, load1=1.0)
    f = guest_findings("lab", calm).set_index("check")
    assert f.loc["steal % (/proc/stat)", "level"] == "info"
    assert f.loc["guest load vs cores", "level"] == "OK"


def test_collect_on_a_real_local_target():
    import os

    from mirtalib.runbook.targets import LocalTarget
    from mirtalib.vmware import collect_proc_stat

    out = collect_proc_stat(LocalTarget(), samples=2, interval_s=1)
    assert len(out) == 1
    row = out.iloc[0]
    assert row["ncpu"] == os.cpu_count()
    assert 0 <= row["steal_pct"] <= 100 and 0 <= row["busy_cores"] <= row["ncpu"]
    assert row["load1"] >= 0 and 0.5 <= row["interval_s"] <= 5


def test_collect_failures():
    from types import SimpleNamespace

    from mirtalib.errors import CommandError, ParameterError
    from mirtalib.vmware import collect_proc_stat

    class Broken:
        name = "pbx9"

        def run(self, command, timeout):
            return SimpleNamespace(exit_code=1, stdout="", stderr="cat: /proc/stat: No such file")

    with pytest.raises(CommandError, match="pbx9: /proc/stat sampling failed \\(exit 1\\)"):
        collect_proc_stat(Broken(), samples=2, interval_s=1)
    with pytest.raises(ParameterError, match="samples must be 2..1000"):
        collect_proc_stat(Broken(), samples=1)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "1791972000",
                "2026-13-45 99:99",
                "# 1791972020",
                "cpu  1 2 3 4 5 6 7 8 9 10",
                "cpu0 1 2 3",
                "cpu x y z w v",
                "procs_running 2",
                "0.50 0.40 0.30 1/100 999",
                "intr 5",
                "",
                "cpu",
                "2026-10-14T10:00:00",
                "cpu  -1 0 0 0 0",
            ]
        ),
        max_size=12,
    )
    | st.text(max_size=200)
)
def test_samples_parser_raises_only_parse_error(text):
    if isinstance(text, list):
        text = "\n".join(text)
    try:
        frame = samples_from_text(text)
    except ParseError:
        return
    steal_and_load(frame)  # whatever parsed must also convert
