"""The sql engine's trunk rule runs once per channel key (the Asterisk suffix made -00000000):
for every name, including those whose suffix could be read as a tenant, it must give what the
pandas reference gives for that very name."""

from __future__ import annotations

import duckdb
import pandas as pd

from mirtalib.cdr import engine as E
from mirtalib.cdr.naming import trunk_of

NAMES = [
    "PJSIP/100-DEVEL-0000001a",
    "PJSIP/100-DEVEL-0000001b",
    "SIP/100-ABCDEF01",  # no tenant: the suffix-looking part is the tenant (an extension)
    "SIP/100-abcdef01",  # lowercase: a suffix, and the peer is 100
    "SIP/100-ABCDEF02",
    "SIP/-0000abcd",  # nothing before the suffix: the peer is the suffix itself
    "SIP/*12#-ABCD1234",
    "PJSIP/voipco-0000002a",
    "PJSIP/voipco-0000002b",
    "PJSIP/voipco-12345678-abcdef01",  # two suffixes: only the last one is cut
    "SIP/voipco",
    "IAX2/200-ACME",
    "DAHDI/i1/0612345678-1",
    "Local/100@from-internal-00000001;1",
    "H323/x-ABCDEF0",
    "-00000000",
    "",
]


def test_trunk_per_channel_key_is_the_rule_on_each_name():
    con = duckdb.connect()
    con.register("names", pd.DataFrame({"channel": NAMES, "dstchannel": NAMES[::-1]}))
    con.execute(
        f"CREATE TEMP VIEW leg1 AS SELECT channel, dstchannel, {E._channel_key('channel')} AS ck, "
        f"{E._channel_key('dstchannel')} AS dk FROM names"
    )
    E._channel_trunks(con)
    got = dict(
        con.execute(
            f"SELECT channel, COALESCE(a.t, {E._trunk_sql('channel')}) FROM leg1 "
            "LEFT JOIN chans a ON a.c = ck"
        ).fetchall()
    )
    want = dict(zip(NAMES, trunk_of(pd.Series(NAMES)), strict=True))
    assert got == want
    # the keys do share: two sequence suffixes of one trunk, one row in the dictionary
    assert con.execute("SELECT COUNT(*) FROM chans").fetchone()[0] < len(set(NAMES))
