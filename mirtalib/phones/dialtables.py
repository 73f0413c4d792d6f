"""Tables over Grandstream dial plans (see mirtalib.phones.dialplan): numbers and rules in words."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from mirtalib.phones.dialplan import ALNUM, DIGITS, Atom, DialPlan, evaluate, parse_plan


def evaluate_many(plan: DialPlan | str, numbers: Iterable[tuple[str, str]]) -> pd.DataFrame:
    """Evaluate ``(label, dialed)`` pairs: DataFrame ``label, dialed, outcome, rule, sent``."""
    plan = parse_plan(plan) if isinstance(plan, str) else plan
    rows = []
    for label, dialed in numbers:
        d = evaluate(plan, dialed)
        rows.append(
            {"label": label, "dialed": dialed, "outcome": d.outcome, "rule": d.rule, "sent": d.sent}
        )
    return pd.DataFrame(rows, columns=["label", "dialed", "outcome", "rule", "sent"])


def describe(plan: DialPlan | str) -> pd.DataFrame:
    """One row per rule: the rule, blocks or allows, and its elements in words."""
    plan = parse_plan(plan) if isinstance(plan, str) else plan
    rows = []
    for rule in plan.rules:
        words = []
        for el in rule.elements:
            if isinstance(el, Atom):
                words.append(_words(el))
            else:
                src = " ".join(_words(a) for a in el.atoms) or "nothing"
                words.append(f"[{src} sent as '{el.replace}']")
        rows.append(
            {
                "rule": rule.text,
                "action": "block" if rule.exclude else "allow",
                "matches": ", then ".join(words) + (" (waits 3 s)" if rule.wait else ""),
            }
        )
    return pd.DataFrame(rows, columns=["rule", "action", "matches"])


def _words(atom: Atom) -> str:
    if atom.chars == DIGITS:
        what = "digit"
    elif atom.chars == ALNUM:
        what = "digit or letter"
    elif len(atom.chars) == 1:
        what = f"'{next(iter(atom.chars))}'"
    else:
        what = "one of " + "".join(sorted(atom.chars))
    if atom.high is None:
        return f"{atom.low}+ x {what}" if atom.low > 1 else f"one or more {what}"
    if atom.low == 0:
        return f"optional {what}"
    return what
