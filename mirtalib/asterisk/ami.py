"""Unwrap the text of an Asterisk CLI command that may have travelled through AMI.

Operators collect CLI output three ways, and every parser in :mod:`mirtalib.asterisk` accepts all of
them by calling :func:`unwrap_command_output` first:

* plain CLI text, from ``asterisk -rx 'devstate list'`` (returned as is, line endings normalized);
* AMI ``Action: Command`` on Asterisk 14 and later: a ``Response: Success`` packet whose output
  lines each start with ``Output: ``;
* AMI ``Action: Command`` on older Asterisk: ``Response: Follows``, a few headers (``Privilege``,
  ``ActionID``), the raw text, and a closing ``--END COMMAND--`` (sometimes glued to the last line
  of output when that line had no newline).

A capture may also carry the AMI banner (``Asterisk Call Manager/5.0.1``), the login response and
unrelated ``Event:`` packets; those are skipped. When a capture holds several command responses,
their outputs are joined in order. A ``Response: Error`` raises :class:`ParseError` with the message
Asterisk gave, so a refused or unknown command never looks like an empty result.

>>> unwrap_command_output("Response: Success\\nMessage: Command output follows\\nOutput: hi\\n\\n")
'hi\\n'
"""

from __future__ import annotations

import logging
import re

from mirtalib.errors import ParseError

log = logging.getLogger(__name__)

END_COMMAND = "--END COMMAND--"
_AMI_START = re.compile(
    r"^(Asterisk Call Manager/|Response:\s|Action:\s|ActionID:\s|Output:|Event:\s|Message:\s)"
)
_HEADER = re.compile(r"^([A-Za-z][A-Za-z0-9_-]*):(?: (.*))?$")
_OLD_HEADERS = {"privilege", "actionid"}


def _normalize(text: str | bytes) -> str:
    if isinstance(text, bytes | bytearray):
        text = bytes(text).decode("utf-8", errors="replace")
    if not isinstance(text, str):
        raise ParseError(f"command output must be text, got {type(text).__name__}")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def is_ami(text: str | bytes) -> bool:
    """True when ``text`` looks like an AMI capture rather than plain CLI output."""
    for line in _normalize(text).split("\n"):
        if line.strip():
            return bool(_AMI_START.match(line))
    return False


def _read_old_style(lines: list[str], i: int, out: list[str]) -> int:
    """Read a ``Response: Follows`` body starting after its Response line; return the next index."""
    while i < len(lines):
        m = _HEADER.match(lines[i])
        if m and m.group(1).lower() in _OLD_HEADERS:
            i += 1
        else:
            break
    while i < len(lines):
        line = lines[i]
        i += 1
        if line.rstrip().endswith(END_COMMAND):
            head = line.rstrip()[: -len(END_COMMAND)]
            if head:
                out.append(head)
            return i
        out.append(line)
    raise ParseError(
        "AMI 'Response: Follows' output has no closing '--END COMMAND--' (capture truncated?)"
    )


def _read_packet(lines: list[str], i: int) -> tuple[dict[str, str], list[str], int]:
    """Read one new-style packet (until a blank line); return headers, Output lines, next index."""
    headers: dict[str, str] = {}
    output: list[str] = []
    while i < len(lines) and lines[i].strip():
        line = lines[i]
        i += 1
        if line.startswith("Output:"):
            value = line[len("Output:") :]
            output.append(value[1:] if value.startswith(" ") else value)
            continue
        m = _HEADER.match(line)
        if m:
            headers.setdefault(m.group(1).lower(), (m.group(2) or "").strip())
        # anything else (banner, stray text) is not part of the command output
    return headers, output, i


def unwrap_command_output(text: str | bytes) -> str:
    """Return the CLI text inside ``text``, whichever of the three shapes it has.

    Args:
        text: plain CLI output, or an AMI capture of an ``Action: Command`` exchange.

    Returns:
        The command's output with ``\\n`` line endings; it ends with a newline when it has lines.

    Raises:
        ParseError: when the input is not text, when AMI says ``Response: Error``, when an old-style
            response is not closed by ``--END COMMAND--``, or when an AMI capture holds no command
            output at all.
    """
    text = _normalize(text)
    if not is_ami(text):
        return text
    lines = text.split("\n")
    out: list[str] = []
    found = False
    errors: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            i += 1
            continue
        if re.match(r"^Response:\s*Follows\s*$", line, re.IGNORECASE):
            found = True
            i = _read_old_style(lines, i + 1, out)
            continue
        headers, output, i = _read_packet(lines, i)
        response = headers.get("response", "").lower()
        message = headers.get("message", "")
        if response == "error":
            detail = "; ".join(x for x in [message, *output] if x)
            errors.append(detail or "no message")
            continue
        if output or message.lower() == "command output follows":
            found = True
            out.extend(output)
    if errors:
        raise ParseError(f"AMI command failed: {' | '.join(errors)}")
    if not found:
        raise ParseError(
            "AMI capture holds no command output (no 'Output:' lines and no 'Response: Follows')"
        )
    log.debug("unwrapped %d lines of AMI command output", len(out))
    return "\n".join(out) + ("\n" if out else "")
