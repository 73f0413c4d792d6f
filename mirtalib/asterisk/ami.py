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

:func:`read_command_output` is what the parsers call: it unwraps, removes the colour escape codes
``asterisk -rx`` prints even into a pipe (``ESC[1;32;40mNot in use ESC[0m``; AMI strips them), and
turns the answers Asterisk gives *instead of* a command's output into a :class:`AsteriskRefused`
(a ParseError): an unknown command (``No such command 'parkedcalls show' ...``, on Asterisk 22
also ``Response: Error`` over AMI) raises :class:`CommandNotFound`, so a runbook can report "this
Asterisk has no such command" rather than read an empty "all fine" result.

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
_PACKET_START = re.compile(r"^(Response|Event):\s", re.IGNORECASE)
_HEADER = re.compile(r"^([A-Za-z][A-Za-z0-9_-]*):(?: (.*))?$")
_OLD_HEADERS = {"privilege", "actionid"}
ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_NO_SUCH = re.compile(r"^No such command '(?P<command>[^']*)'")
# answers Asterisk prints instead of a command's output (main/cli.c, main/asterisk.c)
_REFUSALS = (
    (re.compile(r"^Unable to connect to remote asterisk\b"), "Asterisk is not running here"),
    (re.compile(r"^You don't have permissions to run '"), "Asterisk refused the command"),
    (re.compile(r"^Command '.*' cannot be run during shutdown"), "Asterisk is shutting down"),
    (re.compile(r"^Command '.*' failed\.\s*$"), "Asterisk reports the command failed"),
)


class AsteriskRefused(ParseError):
    """Asterisk answered with a refusal or an error instead of the command's output.

    Attributes:
        answer: what Asterisk printed (the first lines), for the operator.
    """

    def __init__(self, message: str, *, answer: str = "") -> None:
        super().__init__(message)
        self.answer = answer


class CommandNotFound(AsteriskRefused):
    """The command does not exist on this Asterisk (another version, or its module is not loaded).

    Attributes:
        command: the command as Asterisk echoed it (``parkedcalls show``).
    """

    def __init__(self, message: str, *, command: str, answer: str = "") -> None:
        super().__init__(message, answer=answer)
        self.command = command


def _prefix(what: str) -> str:
    return f"{what}: " if what else ""


def _not_found(what: str, answer: str, command: str) -> CommandNotFound:
    return CommandNotFound(
        f"{_prefix(what)}not the output of this command: the command '{command}' does not "
        f"exist on this Asterisk (it answered: {answer[:200]})",
        command=command,
        answer=answer,
    )


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
    start = i
    while i < len(lines) and lines[i].strip():
        line = lines[i]
        if i > start and _PACKET_START.match(line):
            # a capture that lost the blank line between two packets: the next one starts here
            log.debug("AMI packet without its closing blank line at line %d", i + 1)
            break
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


def unwrap_command_output(text: str | bytes, *, what: str = "") -> str:
    """Return the CLI text inside ``text``, whichever of the three shapes it has.

    Args:
        text: plain CLI output, or an AMI capture of an ``Action: Command`` exchange.
        what: the command, put in front of error messages.

    Returns:
        The command's output with ``\\n`` line endings; it ends with a newline when it has lines.

    Raises:
        ParseError: when the input is not text, when AMI says ``Response: Error``, when an old-style
            response is not closed by ``--END COMMAND--``, or when an AMI capture holds no command
            output at all. An AMI error whose output is ``No such command ...`` raises
            :class:`CommandNotFound`, any other AMI error :class:`AsteriskRefused`.
    """
    text = _normalize(text)
    if not is_ami(text):
        return text
    lines = text.split("\n")
    out: list[str] = []
    found = False
    errors: list[str] = []
    missing: list[tuple[str, str]] = []  # (command, answer) of "No such command" errors
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
            no_such = next((m for m in map(_NO_SUCH.match, output) if m), None)
            if no_such:
                missing.append((no_such.group("command"), no_such.string))
                continue
            if message.lower() == "command output follows" and output:
                message = ""  # Asterisk 22 says so on errors too; the output is the message
            detail = "; ".join(x for x in [message, *output] if x)
            errors.append(detail or "no message")
            continue
        if output or message.lower() == "command output follows":
            found = True
            out.extend(output)
    if missing:
        raise _not_found(what, missing[0][1], missing[0][0])
    if errors:
        detail = " | ".join(errors)
        raise AsteriskRefused(f"{_prefix(what)}AMI command failed: {detail}", answer=detail)
    if not found:
        raise ParseError(
            f"{_prefix(what)}AMI capture holds no command output "
            "(no 'Output:' lines and no 'Response: Follows')"
        )
    log.debug("unwrapped %d lines of AMI command output", len(out))
    return "\n".join(out) + ("\n" if out else "")


def check_answer(body: str, *, what: str = "") -> None:
    """Raise when ``body`` (unwrapped CLI text) is Asterisk refusing the command, not its output.

    ``No such command '...'`` (on any line: outputs of several commands may be joined) raises
    :class:`CommandNotFound`; ``Unable to connect to remote asterisk``, ``You don't have
    permissions``, ``... cannot be run during shutdown``, ``Command '...' failed.`` and a
    ``Usage:`` text in place of the output raise :class:`AsteriskRefused`.
    """
    lines = [ln.strip() for ln in body.split("\n") if ln.strip()]
    for line in lines:
        m = _NO_SUCH.match(line)
        if m:
            raise _not_found(what, line, m.group("command"))
        for pattern, meaning in _REFUSALS:
            if pattern.match(line):
                raise AsteriskRefused(f"{_prefix(what)}{meaning}: {line[:200]}", answer=line)
    if lines and lines[0].startswith("Usage: "):
        raise AsteriskRefused(
            f"{_prefix(what)}Asterisk printed the command's usage instead of its output "
            f"(wrong arguments?): {lines[0][:200]}",
            answer="\n".join(lines[:5]),
        )


def read_command_output(text: str | bytes, *, what: str = "") -> str:
    """Unwrap ``text`` (:func:`unwrap_command_output`), drop colour codes, refuse refusals.

    Returns:
        The command's output, ``\n`` line endings, no ANSI escape sequences.

    Raises:
        CommandNotFound: the command does not exist on this Asterisk.
        AsteriskRefused: Asterisk answered with an error instead of the output (see
            :func:`check_answer`).
        ParseError: the input is not text or a broken AMI capture.
    """
    body = ANSI_ESCAPE.sub("", unwrap_command_output(text, what=what))
    check_answer(body, what=what)
    return body
