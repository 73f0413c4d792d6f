"""Grandstream phone dial plans: a parser and a matcher (seed page 33, *Phones local dial plan*).

A Grandstream dial plan is a set of rules in braces, separated by ``|``:
``{ x+\\-X+ | \\#x+\\-X+ | x+ | \\+x+ | *x+ | *xx*x+ }`` (the page's recommended plan).

Grammar implemented (from the Grandstream administration guides):

* ``x`` any digit 0-9; ``X`` any digit or letter (0-9, A-Z, a-z);
* ``[147]``, ``[3-5]``, ``[2-9#]``: one character of a set (ranges of digits or letters);
* literal dialable characters: digits, ``*``, ``#``, ``A``-``D``; anything else is escaped with
  ``\\`` (``\\-``, ``\\+``, ``\\p\\a\\r\\k``); a ``+`` that opens a rule is a literal plus;
* ``+`` (or ``.``) after an element: one or more of it (``xx+`` = at least two digits);
  ``?`` after an element: zero or one;
* ``^`` at the start of a rule: numbers matching it are blocked (``^1900x+``);
* ``<2=011>``: the dialed ``2`` is sent as ``011``; ``<=0039>``: add a prefix; ``<1=>``: remove;
* ``,`` second dial tone (ignored for matching); ``T`` at the end of a rule: wait 3 s before
  sending.

:func:`parse_plan` raises :class:`~mirtalib.errors.ParseError` naming the rule and the position of
the mistake. :func:`evaluate` tells what the phone does with a dialed string: ``dial`` (complete and
no longer number can match: sent at once), ``dial-after-timeout`` (complete, but the rule also
accepts longer numbers: the phone waits for the dial key or its timeout), ``incomplete`` (a prefix
of an accepted number), ``blocked`` (an exclusion rule matches) or ``rejected``.
"""

from __future__ import annotations

import dataclasses
import logging
import string

from mirtalib.errors import ParseError

log = logging.getLogger(__name__)

DIGITS = frozenset(string.digits)
ALNUM = frozenset(string.digits + string.ascii_letters)
# characters a phone can dial (keypad + letters for URI dialing + the separators users type)
DIALABLE = frozenset(string.digits + string.ascii_letters + "*#+-_.@")
_PLAIN_LITERALS = frozenset(string.digits + "*#ABCDabcd")
MAX_RULES = 200
MAX_RULE_LENGTH = 500
PAGE_PLAN = r"{ x+\-X+ | \#x+\-X+ | x+ | \+x+ | *x+ | *xx*x+ }"
GRANDSTREAM_DEFAULT = r"{ x+ | \+x+ | *x+ | *xx*x+ }"


@dataclasses.dataclass(frozen=True)
class Atom:
    """One element of a rule: a set of characters, repeated ``low`` to ``high`` times.

    ``high`` None means unbounded. ``label`` is how the element was written (for messages).
    """

    chars: frozenset[str]
    low: int
    high: int | None
    label: str


@dataclasses.dataclass(frozen=True)
class Substitution:
    """``<from=to>``: the characters matched by ``atoms`` are sent as ``replace``."""

    atoms: tuple[Atom, ...]
    replace: str


Element = Atom | Substitution


@dataclasses.dataclass(frozen=True)
class Rule:
    """One rule of a plan.

    Attributes:
        text: the rule as written; elements: what it matches; exclude: ``^`` rule (blocks);
        wait: ``T`` flag (waits 3 s before sending); second_tone: has a ``,``.
    """

    text: str
    elements: tuple[Element, ...]
    exclude: bool = False
    wait: bool = False
    second_tone: bool = False


@dataclasses.dataclass(frozen=True)
class DialPlan:
    """A parsed plan: its rules in order."""

    text: str
    rules: tuple[Rule, ...]


@dataclasses.dataclass(frozen=True)
class Decision:
    """What the phone does with a dialed string.

    Attributes:
        dialed: the keys pressed; outcome: dial, dial-after-timeout, incomplete, blocked,
            rejected; rule: the rule that decided ('' when none); sent: the number sent after
            substitutions ('' unless dialed).
    """

    dialed: str
    outcome: str
    rule: str
    sent: str

    @property
    def accepted(self) -> bool:
        """True when the phone places the call (at once or after its timeout)."""
        return self.outcome in {"dial", "dial-after-timeout"}


class _Reader:
    def __init__(self, rule: str) -> None:
        self.rule, self.pos = rule, 0

    def fail(self, why: str) -> ParseError:
        return ParseError(f"dial plan rule {self.rule!r}, position {self.pos + 1}: {why}")

    def peek(self) -> str:
        return self.rule[self.pos] if self.pos < len(self.rule) else ""

    def take(self) -> str:
        ch = self.peek()
        self.pos += 1
        return ch


def _char_set(r: _Reader) -> Atom:
    start = r.pos
    r.take()  # [
    chars: set[str] = set()
    while True:
        ch = r.take()
        if ch == "":
            raise r.fail("'[' is never closed")
        if ch == "]":
            break
        if ch == "\\":
            ch = r.take()
            if not ch:
                raise r.fail("'\\' at the end of a set")
        if r.peek() == "-" and r.pos + 1 < len(r.rule) and r.rule[r.pos + 1] != "]":
            r.take()
            end = r.take()
            if not (ch.isascii() and end.isascii() and ch.isalnum() and end.isalnum()):
                raise r.fail(f"range {ch}-{end} must join two digits or two letters")
            if ord(end) < ord(ch) or ch.isdigit() != end.isdigit():
                raise r.fail(f"range {ch}-{end} is reversed or mixes digits and letters")
            chars.update(chr(c) for c in range(ord(ch), ord(end) + 1))
        else:
            chars.add(ch)
    if not chars:
        raise r.fail("empty set []")
    return Atom(frozenset(chars), 1, 1, r.rule[start : r.pos])


def _atom(r: _Reader, *, first: bool) -> Atom:
    ch = r.peek()
    if ch == "[":
        return _char_set(r)
    r.take()
    if ch == "x":
        return Atom(DIGITS, 1, 1, "x")
    if ch == "X":
        return Atom(ALNUM, 1, 1, "X")
    if ch == "\\":
        lit = r.take()
        if not lit:
            raise r.fail("'\\' at the end of the rule escapes nothing")
        return Atom(frozenset(lit), 1, 1, "\\" + lit)
    if ch in _PLAIN_LITERALS or (ch == "+" and first):
        return Atom(frozenset(ch), 1, 1, ch)
    r.pos -= 1  # point the message at the offending character
    if ch in "+.?":
        raise r.fail(f"'{ch}' repeats the element before it, and there is none")
    raise r.fail(f"{ch!r} is not dialable as written: escape it as '\\{ch}'")


def _quantified(r: _Reader, atom: Atom) -> Atom:
    q = r.peek()
    if q in ("+", "."):
        r.take()
        return dataclasses.replace(atom, low=atom.low, high=None, label=atom.label + q)
    if q == "?":
        r.take()
        return dataclasses.replace(atom, low=0, high=1, label=atom.label + q)
    return atom


def _substitution(r: _Reader) -> Substitution:
    r.take()  # <
    atoms: list[Atom] = []
    while r.peek() not in ("=", ""):
        if r.peek() == ">":
            raise r.fail("'<...>' needs '=' (<2=011>, <=0039>, <1=>)")
        atoms.append(_quantified(r, _atom(r, first=not atoms)))
    if r.take() != "=":
        raise r.fail("'<' is never closed")
    out = []
    while r.peek() != ">":
        ch = r.take()
        if ch == "":
            raise r.fail("'<' is never closed")
        if ch == "\\":
            ch = r.take()
        if ch not in DIALABLE:
            raise r.fail(f"{ch!r} cannot be sent in a substitution")
        out.append(ch)
    r.take()
    return Substitution(tuple(atoms), "".join(out))


def parse_rule(text: str) -> Rule:
    """Parse one rule (``*xx*x+``, ``^1900x+``, ``<=0039>x+``)."""
    rule = text.strip()
    if not rule:
        raise ParseError("dial plan has an empty rule (two '|' in a row, or '|' at an end)")
    if len(rule) > MAX_RULE_LENGTH:
        raise ParseError(f"dial plan rule of {len(rule)} characters is too long")
    r = _Reader(rule)
    exclude = r.peek() == "^"
    if exclude:
        r.take()
    elements: list[Element] = []
    wait = second = False
    while r.pos < len(rule):
        ch = r.peek()
        if ch == "T" and r.pos == len(rule) - 1:
            r.take()
            wait = True
        elif ch == ",":
            r.take()
            second = True
        elif ch == "<":
            elements.append(_substitution(r))
        elif ch.isspace():
            raise r.fail("spaces inside a rule are not allowed (only around '|')")
        else:
            elements.append(_quantified(r, _atom(r, first=not elements)))
    if not any(isinstance(e, Atom) or e.atoms for e in elements):
        raise ParseError(f"dial plan rule {rule!r} matches no dialed key")
    return Rule(rule, tuple(elements), exclude, wait, second)


def parse_plan(text: str) -> DialPlan:
    """Parse a whole plan ``{ rule | rule ... }``.

    Raises:
        ParseError: missing braces, an empty rule, or a rule that does not parse (the message
            names the rule and the position).
    """
    if not isinstance(text, str):
        raise ParseError(f"a dial plan is text, not {type(text).__name__}")
    body = text.strip()
    if not (body.startswith("{") and body.endswith("}")) or len(body) < 2:
        raise ParseError(f"dial plan {text[:60]!r} must be enclosed in {{ }}")
    inner = body[1:-1]
    if "{" in inner or "}" in inner:
        raise ParseError("dial plan has a '{' or '}' inside: only one pair of braces is allowed")
    parts = _split_rules(inner)
    if len(parts) > MAX_RULES:
        raise ParseError(f"dial plan has {len(parts)} rules, more than {MAX_RULES}")
    return DialPlan(text, tuple(parse_rule(p) for p in parts))


def _split_rules(inner: str) -> list[str]:
    parts, cur, i = [], [], 0
    while i < len(inner):
        ch = inner[i]
        if ch == "\\" and i + 1 < len(inner):
            cur.append(inner[i : i + 2])
            i += 2
            continue
        if ch == "|":
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
        i += 1
    parts.append("".join(cur))
    return parts


def _flatten(rule: Rule) -> list[tuple[Atom, int | None]]:
    """Atoms in order with the index of the substitution they belong to (None: none)."""
    out: list[tuple[Atom, int | None]] = []
    for i, el in enumerate(rule.elements):
        if isinstance(el, Atom):
            out.append((el, None))
        else:
            out.extend((a, i) for a in el.atoms)
    return out


def _closure(atoms: list[tuple[Atom, int | None]], states: set[tuple[int, int]]):
    """Add the states reachable without reading (skipping satisfied atoms)."""
    todo = list(states)
    while todo:
        i, n = todo.pop()
        if i < len(atoms) and n >= atoms[i][0].low and (i + 1, 0) not in states:
            states.add((i + 1, 0))
            todo.append((i + 1, 0))
    return states


def _run(rule: Rule, dialed: str) -> tuple[bool, bool, bool]:
    """(complete, alive, extendable) of ``dialed`` against ``rule`` (NFA simulation)."""
    atoms = _flatten(rule)
    end = len(atoms)
    states = _closure(atoms, {(0, 0)})
    for ch in dialed:
        nxt: set[tuple[int, int]] = set()
        for i, n in states:
            if i < end and ch in atoms[i][0].chars:
                atom = atoms[i][0]
                if atom.high is None:
                    nxt.add((i, min(n + 1, max(atom.low, 1))))
                elif n < atom.high:
                    nxt.add((i, n + 1))
        states = _closure(atoms, nxt)
        if not states:
            return False, False, False
    complete = (end, 0) in states
    extendable = any(
        i < end and (atoms[i][0].high is None or n < atoms[i][0].high) for i, n in states
    )
    return complete, True, extendable


def _rewrite(rule: Rule, dialed: str) -> str:
    """The number sent for a dialed string the rule matches completely (backtracking)."""
    elements = rule.elements

    def match_atoms(atoms: tuple[Atom, ...], pos: int, k: int = 0):
        if k == len(atoms):
            yield pos
            return
        atom = atoms[k]
        count, p = 0, pos
        ends = [pos] if atom.low == 0 else []
        room = atom.high if atom.high is not None else len(dialed)
        while p < len(dialed) and dialed[p] in atom.chars and count < room:
            p, count = p + 1, count + 1
            if count >= atom.low:
                ends.append(p)
        for e in reversed(ends):
            yield from match_atoms(atoms, e, k + 1)

    def walk(idx: int, pos: int) -> str | None:
        if idx == len(elements):
            return "" if pos == len(dialed) else None
        el = elements[idx]
        atoms = (el,) if isinstance(el, Atom) else el.atoms
        for e in match_atoms(atoms, pos):
            rest = walk(idx + 1, e)
            if rest is not None:
                head = dialed[pos:e] if isinstance(el, Atom) else el.replace
                return head + rest
        return None

    sent = walk(0, 0)
    return dialed if sent is None else sent


def evaluate(plan: DialPlan | str, dialed: str) -> Decision:
    """What a phone with ``plan`` does with ``dialed`` (first deciding rule wins)."""
    plan = parse_plan(plan) if isinstance(plan, str) else plan
    if not isinstance(dialed, str) or not dialed:
        raise ParseError("the dialed string must be non-empty text")
    bad = sorted(set(dialed) - DIALABLE)
    if bad:
        raise ParseError(f"dialed {dialed!r} holds characters a phone cannot send: {bad}")
    for rule in plan.rules:
        if rule.exclude and _run(rule, dialed)[0]:
            return Decision(dialed, "blocked", rule.text, "")
    complete = [r for r in plan.rules if not r.exclude and _run(r, dialed)[0]]
    alive = [r for r in plan.rules if not r.exclude and _run(r, dialed)[1]]
    if complete:
        rule = complete[0]
        longer = any(_run(r, dialed)[2] for r in alive) or any(r.wait for r in complete)
        outcome = "dial-after-timeout" if longer else "dial"
        return Decision(dialed, outcome, rule.text, _rewrite(rule, dialed))
    if alive:
        return Decision(dialed, "incomplete", alive[0].text, "")
    return Decision(dialed, "rejected", "", "")
