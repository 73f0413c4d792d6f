"""MariaDB's one-GROUP-BY grouping on hand-built calls: the same tables as the pandas path.

The demo month has at most three answered legs per call; these calls have more (repeated
transfers, with and without linkedid), so the read-back of their answered legs is exercised.
"""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest
from cdrlegs import T0, leg

from mirtalib.cdr import grouped, onepass, sqlagg
from mirtalib.cdr.calls import to_calls
from mirtalib.cdr.concurrency import concurrency
from mirtalib.cdr.cube import DIMENSIONS, cube_from_calls, peaks_from_minutes
from mirtalib.cdr.legs import normalize
from mirtalib.cdr.report import ReportParams, build_report
from mirtalib.errors import DataSourceError, ParameterError

pytestmark = pytest.mark.integration


def chain(
    n: int, t: int, call: str, uid_of, linked: bool, tenant: str, gap: int = 20
) -> list[dict]:
    """A call transferred n-1 times: n answered legs overlapping by 5 s, and before the last
    one a ``gap`` of ``gap - 5`` s."""
    legs = []
    for i in range(n):
        s = t + 40 * i + (gap if i == n - 1 else 0)
        legs.append(
            leg(
                s,
                s + 45,
                a=s + 2,
                accountcode=tenant,
                uniqueid=uid_of(i),
                linkedid=call if linked else "",
                sequence=i + 1,
                channel=f"PJSIP/10{i}-{tenant}-0000000{i}",
                dstchannel=f"PJSIP/20{i}-{tenant}-0000001{i}",
                userfield="LOCAL",
                dst=f"20{i}",
            )
        )
    return legs


@pytest.fixture(scope="module")
def legs() -> pd.DataFrame:
    rows = []
    # five answered legs sharing a linkedid
    rows += chain(5, 0, "srv01-1791190800.1", lambda i: f"srv01-1791190800.{i + 1}", True, "DEVEL")
    # four answered legs of an old table: no linkedid, one uniqueid (legs of one channel follow
    # one another: a gap would make them two calls, mirtalib.cdr.calls)
    rows += chain(4, 30, "", lambda i: "srv02-1791190830.7", False, "ACME", gap=0)
    # an outbound call with a no-answer leg and two overlapping answered legs, via a trunk
    rows += [
        leg(10, 70, a=15, accountcode="ACME", uniqueid="srv01-1791190810.9",
            linkedid="srv01-1791190810.9", sequence=1, channel="PJSIP/300-ACME-00000020",
            dstchannel="SIP/voipco-00000021", userfield="", dst="0039061234567"),
        leg(12, 40, a=20, accountcode="ACME", uniqueid="srv01-1791190812.10",
            linkedid="srv01-1791190810.9", sequence=2, channel="PJSIP/301-ACME-00000022",
            dstchannel="SIP/voipco-00000023", userfield="", dst="0039061234567"),
        leg(11, 30, accountcode="ACME", uniqueid="srv01-1791190811.11",
            linkedid="srv01-1791190810.9", sequence=3, channel="PJSIP/302-ACME-00000024",
            dstchannel="", userfield="", dst="0039061234567"),
    ]  # fmt: skip
    return normalize(pd.DataFrame(rows))


@pytest.fixture(scope="module")
def maria(cdr_db, legs):
    return cdr_db(legs)


def _sorted(cube: pd.DataFrame) -> pd.DataFrame:
    cols = [*DIMENSIONS, "calls", "billable", "duration", "short"]
    return cube[cols].sort_values(list(DIMENSIONS), ignore_index=True)


def test_calls_with_many_answered_legs_equal_the_pandas_path(maria, legs):
    q = sqlagg.SqlTarget.for_database(maria)
    cube, top, minutes = grouped.report_aggregates(q, short_s=6, top_n=5)
    calls = to_calls(legs)
    # by hand: 5 legs [2,45] [42,85] [82,125] [122,165] [182,225] -> 163 + 43;
    # 4 legs [32,75] [72,115] [112,155] [152,195] -> 163; outbound [15,70] with [20,40]
    assert sorted(calls["billable"]) == [55, 163, 206]
    pd.testing.assert_frame_equal(_sorted(cube), _sorted(cube_from_calls(calls)))
    pd.testing.assert_frame_equal(_sorted(cube), _sorted(sqlagg.call_cube(maria)))
    pd.testing.assert_frame_equal(top, sqlagg.top_destinations_sql(maria, n=5))
    pd.testing.assert_frame_equal(minutes, sqlagg.concurrency_minutes(maria))
    peaks = peaks_from_minutes(minutes).set_index(["dim", "group"])
    assert peaks.loc[("all", ""), "peak"] == concurrency(calls)["peak"][0]


def test_period_and_tenant_filters_apply_to_the_read_back(maria):
    q = sqlagg.SqlTarget.for_database(maria)
    cube, _, _ = onepass.calls_stream_aggregates(q, tenants=["ACME"], chunksize=1)
    assert set(cube["tenant"]) == {"ACME"}
    assert cube["billable"].sum() == 163 + 55
    later = T0 + timedelta(seconds=100)  # drops the first legs of the chains
    cube, _, _ = onepass.calls_stream_aggregates(q, start=later)
    pd.testing.assert_frame_equal(_sorted(cube), _sorted(sqlagg.call_cube(maria, start=later)))


def test_many_partitions_give_the_same_tables(maria, monkeypatch):
    q = sqlagg.SqlTarget.for_database(maria)
    one = grouped.report_aggregates(q, workers=1)
    monkeypatch.setattr(
        grouped, "partitions", lambda q, b, w, widths: [(i, i + 1, 5) for i in range(5)]
    )
    for got, want in zip(grouped.report_aggregates(q, workers=2), one, strict=True):
        sort = list(got.columns)
        pd.testing.assert_frame_equal(
            got.sort_values(sort, ignore_index=True), want.sort_values(sort, ignore_index=True)
        )


def test_values_longer_than_the_cut_widths_group_again_uncut(cdr_db, legs, caplog):
    """Two calls whose linkedids differ only after the 48th character, a 60-character
    destination and a 70-character trunk channel: the cut grouping would merge the calls and
    shorten the strings, so everything is grouped again with the declared widths."""
    long_legs = legs.copy()
    stem = "mirta-cluster-node-with-a-very-long-system-name-01"  # 50 characters
    long_legs["uniqueid"] = stem + "-" + long_legs["uniqueid"]
    linked = long_legs["linkedid"].fillna("") != ""
    long_legs.loc[linked, "linkedid"] = stem + "-" + long_legs.loc[linked, "linkedid"]
    first = long_legs["linkedid"] == long_legs.loc[linked, "linkedid"].min()
    long_legs.loc[first, "dst"] = "9" * 60
    long_legs.loc[first, "dstchannel"] = "PJSIP/" + "t" * 55 + "-0000abcd"
    db = cdr_db(long_legs)
    q = sqlagg.SqlTarget.for_database(db)
    with caplog.at_level("INFO", logger="mirtalib.cdr.grouped"):
        cube, top, minutes = grouped.report_aggregates(q, short_s=6, top_n=5)
    assert "grouping again with the columns' declared widths" in caplog.text
    calls = to_calls(long_legs)
    assert len(calls) == 3 and cube["calls"].sum() == 3
    pd.testing.assert_frame_equal(_sorted(cube), _sorted(cube_from_calls(calls)))
    pd.testing.assert_frame_equal(top, sqlagg.top_destinations_sql(db, n=5))
    pd.testing.assert_frame_equal(minutes, sqlagg.concurrency_minutes(db))
    # the same data with short values never regroups
    caplog.clear()
    with caplog.at_level("INFO", logger="mirtalib.cdr.grouped"):
        grouped.report_aggregates(sqlagg.SqlTarget.for_database(cdr_db(legs)))
    assert "grouping again" not in caplog.text


def test_a_tenant_code_that_is_not_ascii_groups_again_as_it_is(cdr_db, legs, caplog):
    accented = legs.copy()
    accented.loc[accented["accountcode"] == "DEVEL", "accountcode"] = "CAFÉ"
    q = sqlagg.SqlTarget.for_database(cdr_db(accented))
    with caplog.at_level("INFO", logger="mirtalib.cdr.grouped"):
        cube, _, _ = grouped.report_aggregates(q)
    assert "grouping again" in caplog.text
    assert set(cube["tenant"]) == {"ACME", "CAFÉ"}
    pd.testing.assert_frame_equal(_sorted(cube), _sorted(cube_from_calls(to_calls(accented))))


def test_rows_without_start_are_left_out_and_counted(cdr_db, legs):
    db = cdr_db(
        legs,
        "INSERT INTO cdr (uniqueid, linkedid, disposition, accountcode, duration, billsec) "
        "VALUES ('srv01-1.1', 'srv01-1.1', 'ANSWERED', 'DEVEL', 30, 20)",
    )
    url = db.url
    assert sqlagg.missing_start_count(db) == 1
    assert sqlagg.missing_start_count(db, tenants=["ACME"]) == 0
    cube, _, _ = grouped.report_aggregates(sqlagg.SqlTarget.for_database(db))
    assert cube["calls"].sum() == 3  # the hand-built calls only
    # DEVEL only: the sql engine refuses the period's ACME legs, which have no linkedid
    params = ReportParams(source=str(url), engine="sql", start="", end="", tenants="DEVEL")
    assert "1 CDR rows without a start time were left out" in build_report(params).notes
    with pytest.raises(ParameterError, match="4 CDR rows of the period have none"):
        build_report(ReportParams(source=str(url), engine="sql", start="", end=""))


def test_a_failing_query_names_the_database(maria):
    q = sqlagg.SqlTarget.for_database(maria)
    with pytest.raises(DataSourceError, match=r"mirta_cdr_.*no_such_table"):
        list(q.stream_rows("SELECT * FROM no_such_table", {}, 10))
