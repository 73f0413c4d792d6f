"""Parser for chan_sip's ``sip show peer NAME`` (plain or AMI).

The command prints one ``Label : value`` line per setting, the first one starred::

      * Name       : 104-DEVEL
      Secret       : <Set>
      Context      : authenticated
      Trust RPID   : No
      Send RPID    : No
      Subscriptions: Yes
      Status       : OK (12 ms)
      Useragent    : Yealink SIP-T46S 66.86.0.15

Labels keep Asterisk's spelling (``Trust RPID``, ``Subscr.Cont.``, ``Addr->IP``); values are kept
as printed (``<Set>`` for secrets: the secret itself is never printed by Asterisk). A peer that
does not exist prints ``Peer NAME not found.``. Continuation lines (the ``Variables`` block, codec
order) are attached to the setting above them.
"""

from __future__ import annotations

import dataclasses
import logging
import re

from mirtalib.asterisk._common import Reject, as_text, parser, reject
from mirtalib.errors import ParseError

log = logging.getLogger(__name__)

_NAME = re.compile(r"^\s*\*\s*Name\s*:\s*(?P<name>\S+)\s*$")
_SETTING = re.compile(r"^\s{0,6}(?P<label>[A-Za-z][^:]{0,40}?)\s*:\s?(?P<value>.*)$")
_NOT_FOUND = re.compile(r"^\s*Peer (?P<name>\S+) not found\.?\s*$")
_CONT = re.compile(r"^\s{4,}\S")
_YES = {"yes", "y", "true", "on", "1"}


@dataclasses.dataclass
class SipPeerDetail:
    """``sip show peer NAME``.

    Attributes:
        name: the peer ('' when not found); settings: label -> value as printed;
        not_found: the name of a ``Peer X not found.`` answer (None when found);
        rejects: lines not understood.
    """

    name: str
    settings: dict[str, str]
    not_found: str | None
    rejects: list[Reject]

    def get(self, label: str, default: str = "") -> str:
        """A setting by label, spaces and case ignored (``trust rpid`` finds ``Trust RPID``)."""
        want = _key(label)
        for k, v in self.settings.items():
            if _key(k) == want:
                return v
        return default

    def flag(self, label: str) -> bool | None:
        """A Yes/No setting as bool (None when absent)."""
        value = self.get(label, "")
        if not value:
            return None
        return value.strip().split()[0].lower() in _YES

    @property
    def status(self) -> str:
        """``OK``, ``LAGGED``, ``UNREACHABLE``, ``UNKNOWN`` or ``Unmonitored`` ('' when absent)."""
        value = self.get("Status")
        return value.split()[0] if value else ""


def _key(label: str) -> str:
    return re.sub(r"[\s.?]", "", label).lower()


@parser
def parse_sip_show_peer(text: str | bytes) -> SipPeerDetail:
    """Parse ``sip show peer NAME``.

    Raises:
        ParseError: when the text is neither a peer's settings nor ``Peer X not found.``.
    """
    body = as_text(text, what="sip show peer")
    name, settings, rejects = "", {}, []
    not_found: str | None = None
    last = ""
    for lineno, line in enumerate(body.split("\n"), start=1):
        if not line.strip():
            continue
        if m := _NOT_FOUND.match(line):
            not_found = m.group("name")
        elif m := _NAME.match(line):
            name = m.group("name")
            settings["Name"] = name
            last = "Name"
        elif name and _CONT.match(line) and last and " : " not in line.strip()[:20]:
            settings[last] = (settings[last] + "; " + line.strip()).lstrip("; ")
        elif name and (m := _SETTING.match(line)):
            last = m.group("label").strip()
            settings[last] = m.group("value").strip()
        else:
            rejects.append(reject(lineno, "not a 'Label : value' line of sip show peer", line))
    if not name and not_found is None:
        first = rejects[0].raw[:80] if rejects else ""
        raise ParseError(
            f"sip show peer: no '* Name :' line, not this command's output ({first!r})"
        )
    return SipPeerDetail(name, settings, not_found, rejects)
