"""``ipptool -tv URI get-printer-attributes.test``: does a printer answer IPP, and what is it.

Seed page 28 prints received faxes straight to a printer over IPP with CUPS's ``ipptool``. The
read-only test ``get-printer-attributes.test`` shows whether the PBX reaches the printer's IPP
port and what the printer says about itself. :func:`parse_ipptool` reads the test result lines
(``Get printer attributes using Get-Printer-Attributes [PASS]``), the ``name (type) = value``
attribute lines printed by ``-v`` and ipptool's own error lines (``ipptool: Unable to connect``).
"""

from __future__ import annotations

import dataclasses
import re

from mirtalib.asterisk._common import Reject, as_text, parser
from mirtalib.errors import ParseError

_RESULT = re.compile(r"^(?P<name>\S.*?)\s+\[(?P<result>PASS|FAIL|SKIP)\]$")
_ATTR = re.compile(r"^(?P<name>[a-z][a-z0-9-]*) \((?P<type>[^)]*)\) = (?P<value>.*)$")


@dataclasses.dataclass(frozen=True)
class IppTestRun:
    """The outcome of an ipptool test file.

    Attributes:
        tests: (test name, ``PASS``/``FAIL``/``SKIP``) in order.
        attributes: attribute name -> value text of the printer's answer (first occurrence).
        errors: ``ipptool: ...`` lines and every line ipptool prints after a failed test.
        rejects: indented lines that were neither (kept, never silently dropped).
    """

    tests: tuple[tuple[str, str], ...]
    attributes: dict[str, str]
    errors: tuple[str, ...]
    rejects: tuple[Reject, ...] = ()

    @property
    def passed(self) -> bool:
        """True when at least one test ran and none failed."""
        return bool(self.tests) and all(r != "FAIL" for _, r in self.tests)


@parser
def parse_ipptool(text: str | bytes) -> IppTestRun:
    """Parse ``ipptool -t[v]`` output (stdout and stderr together).

    Raises:
        ParseError: when the output holds neither a test result nor an ipptool error.
    """
    tests: list[tuple[str, str]] = []
    attributes: dict[str, str] = {}
    errors: list[str] = []
    rejects: list[Reject] = []
    result = ""  # the last test result seen: attributes before one are the request's
    for lineno, raw in enumerate(as_text(text, what="ipptool", ami=False).split("\n"), 1):
        line = raw.strip()
        if not line or (line.startswith('"') and line.endswith('":')):
            continue
        if line.startswith("ipptool:") or line.startswith(("EXPECTED:", "BAD ", "GOT:")):
            errors.append(line[:300])
            continue
        m = _RESULT.match(line)
        if m:
            result = m.group("result")
            tests.append((m.group("name"), result))
            continue
        if result == "FAIL" and not line.startswith("RECEIVED:"):
            errors.append(line[:300])  # what ipptool says about the failure
            continue
        a = _ATTR.match(line)
        if a:
            if result:
                attributes.setdefault(a.group("name"), a.group("value").strip())
            continue
        if line.startswith(("RECEIVED:", "status-code =", "Get-", "{", "}")):
            continue
        rejects.append(Reject(lineno, "not an ipptool result or attribute line", raw[:500]))
    if not tests and not errors:
        raise ParseError("ipptool: no test result and no error in the output")
    return IppTestRun(tuple(tests), attributes, tuple(errors), tuple(rejects))
