"""What MiRTA's names tell: tenant, extension, node, trunk and direction of a CDR leg.

Facts used (docs/DOMAIN.md): every extension is the Asterisk user ``<number>-<TENANT>``
(``100-DEVEL``), so its channels are ``PJSIP/100-DEVEL-0000001a``; uniqueids carry the node name as
a prefix in clusters (``srv02-1509806457.625``); accountcode holds the tenant code; MiRTA's
userfield holds the direction (IN/OUT/LOCAL). A SIP/PJSIP/IAX2/DAHDI channel that is not an
extension is a trunk (*assumed*: MiRTA names trunk peers freely; the trunk name is the channel name
without technology and the Asterisk sequence suffix).
"""

from __future__ import annotations

import pandas as pd

EXT_NAME = r"(?P<number>[0-9*#]+)-(?P<tenant>[A-Z][A-Z0-9_]*)"
EXT_CHANNEL = rf"^(?:PJSIP|SIP|IAX2)/{EXT_NAME}(?:-[0-9a-fA-F]{{8}})?$"
TRUNK_CHANNEL = (
    r"^(?P<tech>PJSIP|SIP|IAX2|DAHDI|Dahdi|OOH323|H323)/(?P<peer>.+?)(?:-[0-9a-fA-F]{8})?$"
)
NODE_PREFIX = r"^(?P<node>[A-Za-z][\w.]*?)-\d+\.\d+$"
DIRECTIONS = ("IN", "OUT", "LOCAL")


def extension_of(text: pd.Series) -> pd.Series:
    """Extension name (``100-DEVEL``) found in a channel, src or dst value, else ""."""
    as_channel = text.str.extract(EXT_CHANNEL)
    as_name = text.str.extract(rf"^{EXT_NAME}$")
    number = as_channel["number"].fillna(as_name["number"])
    tenant = as_channel["tenant"].fillna(as_name["tenant"])
    out = (number + "-" + tenant).fillna("")
    return out.astype("str")


def tenant_of_name(text: pd.Series) -> pd.Series:
    """Tenant code of the extension named in a channel/src/dst value, else ""."""
    ext = extension_of(text)
    return ext.str.rsplit("-", n=1).str[-1].where(ext.ne(""), "").astype("str")


def leg_tenant(legs: pd.DataFrame) -> pd.Series:
    """Tenant of each leg: accountcode, else the tenant of the extension in channel, src,
    dstchannel or dst (first found), else ""."""
    tenant = legs["accountcode"].str.strip()
    for col in ("channel", "src", "dstchannel", "dst"):
        missing = tenant.eq("")
        if not missing.any():
            break
        tenant = tenant.where(~missing, tenant_of_name(legs[col]))
    return tenant.astype("str")


def node_of(uniqueid: pd.Series) -> pd.Series:
    """Node name from the uniqueid prefix (``srv02-1509806457.625`` -> ``srv02``), else ""."""
    return uniqueid.str.extract(NODE_PREFIX)["node"].fillna("").astype("str")


def is_extension_channel(channel: pd.Series) -> pd.Series:
    """True for channels of MiRTA extensions."""
    return channel.str.match(EXT_CHANNEL).fillna(False).astype(bool)


def trunk_of(channel: pd.Series) -> pd.Series:
    """Trunk (peer) name of an outside channel (``PJSIP/voipco-0000002a`` -> ``voipco``), else ""
    (extension channels, Local channels and empty values are not trunks)."""
    peer = channel.str.extract(TRUNK_CHANNEL)["peer"].fillna("")
    peer = peer.where(~is_extension_channel(channel), "")
    return peer.astype("str")


def leg_direction(legs: pd.DataFrame) -> pd.Series:
    """Direction of each leg: MiRTA's userfield when it says IN/OUT/LOCAL, else from channels
    (trunk -> extension: IN; to a trunk: OUT; otherwise LOCAL)."""
    user = legs["userfield"].str.strip().str.upper()
    from_trunk = trunk_of(legs["channel"]).ne("")
    to_trunk = trunk_of(legs["dstchannel"]).ne("")
    guess = pd.Series("LOCAL", index=legs.index, dtype="str")
    guess = guess.where(~to_trunk, "OUT").where(~from_trunk, "IN")
    return user.where(user.isin(DIRECTIONS), guess).astype("str")
