"""A runbook notebook's driver: the cells every page notebook shares, as one call.

A page notebook is its title and explanations, the parameters cell generated from the page
(:mod:`mirtalib.runbook.cell`), the page's own cells, and::

    run_page(RUNBOOK, globals())

which validates every parameter (the page's, the engine's and the common ones of
:data:`COMMON_PARAMS`), opens the targets, prints the steps, plans, shows the interactive form
(in JupyterLab only), rehearses apply / apply again / verify / rollback on replay targets, runs
the chosen ``mode`` and ends with the verdict. A notebook whose own cells need the opened runbook
or the plan splits the same work in three calls, its cells between them::

    page = open_page(RUNBOOK, globals())   # binds rb
    ...                                    # the page's cells using rb
    page.plan()                            # binds plan
    ...                                    # the page's cells using plan
    page.finish()                          # form, rehearsal, chosen mode, verdict; binds final

In a notebook, :func:`open_page` also sets the runbook's database rule for the page's own
cells: on ``replay:`` targets an unconfigured database is the demo PBX's, as in the runbook's
steps; on real targets it is MIRTA_DB_URL's or none (the cells' functions then say "no database
configured (set MIRTA_DB_URL)").

The headless contract: a failed apply, verify or rollback raises (papermill exits non-zero); a
plan changes nothing, so its disagreements end in a WARNING SUMMARY instead; ``mode="apply"``
without ``confirm`` raises :class:`~mirtalib.errors.ConfirmationRequired` saying how to confirm
where the notebook runs (``-p confirm true`` headless, ``confirm = True`` in JupyterLab).
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping
from typing import Any

from mirtalib.data.db import enter_demo_scope
from mirtalib.errors import ConfirmationRequired, ParameterError
from mirtalib.runbook import session
from mirtalib.runbook.model import FileChange, Param, Risk, Verdict, validate_values
from mirtalib.runbook.render import steps_text
from mirtalib.runbook.results import RunReport, Status
from mirtalib.runbook.session import Runbook, RunbookDef
from mirtalib.runbook.tools import rehearse, ssh_options

#: Set by JupyterLab / Jupyter Server in the environment of the kernels it starts (not by
#: papermill or nbval); the headless runner removes it from the kernels it starts.
JUPYTER_SESSION_ENV = "JPY_SESSION_NAME"

TARGETS = Param(
    "targets",
    "replay:srv01",
    "comma-separated: replay:NAME, ssh://root@host[:port], local",
)
CONFIRM = Param("confirm", False, "must be True for apply (and rollback), after reading the plan")
SSH_PARAMS = (
    Param(
        "ssh_key_path",
        "",
        "private key file for ssh:// targets; empty: SSH agent or default keys",
        kind="path",
        optional=True,
    ),
    Param(
        "known_hosts",
        "",
        "known_hosts file for ssh:// targets; empty: ~/.ssh/known_hosts",
        kind="path",
        optional=True,
    ),
)


def engine_params() -> tuple[Param, ...]:
    """The engine's parameters every page has (``run_id`` for rollback by run id ...)."""
    return tuple(getattr(session, "ENGINE_PARAMS", ()))


def modes() -> tuple[str, ...]:
    """The values of ``mode``: rollback only where the engine rolls back by run id."""
    names = {p.name for p in engine_params()}
    return ("plan", "apply", "verify") + (("rollback",) if "run_id" in names else ())


def mode_param() -> Param:
    """The ``mode`` parameter."""
    choices = modes()
    helptext = "plan (no side effect), apply (needs confirm) or verify"
    if "rollback" in choices:
        helptext = (
            "plan (no side effect), apply (needs confirm), verify, or rollback (needs confirm; "
            "run_id names the apply)"
        )
    return Param("mode", "plan", helptext, choices=choices)


def notebook_params(definition: RunbookDef) -> tuple[Param, ...]:
    """Every parameter of a page's notebook, in the order of its parameters cell: targets, mode,
    confirm, the page's own, the engine's, then the SSH options."""
    targets = Param(TARGETS.name, definition.demo_targets, TARGETS.help)
    return (
        targets,
        mode_param(),
        CONFIRM,
        *definition.params,
        *engine_params(),
        *SSH_PARAMS,
    )


def in_jupyterlab() -> bool:
    """True inside a kernel JupyterLab started (an operator at the notebook), False headless."""
    return bool(os.environ.get(JUPYTER_SESSION_ENV))


def is_kernel_namespace(namespace: MutableMapping[str, Any]) -> bool:
    """True when ``namespace`` is the user namespace of the running IPython kernel (a notebook),
    whose later cells share the context :func:`open_page` sets the demo rule in; False for any
    other caller, whose context is left as it was."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is a dependency
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "user_ns", None) is namespace


def confirmation_hint() -> str:
    """How to confirm, said where the notebook runs."""
    if in_jupyterlab():
        return (
            "set confirm = True in the parameters cell and run the notebook again "
            "(or use the form: Plan, tick 'I reviewed the plan', Apply)"
        )
    return "run it again with -p confirm true (mirta run NOTEBOOK -p mode apply -p confirm true)"


def _changes_something(rb: Runbook) -> bool:
    return any(
        isinstance(s, FileChange) or getattr(s, "risk", Risk.READ_ONLY) is not Risk.READ_ONLY
        for s in rb.steps
    )


def warning_summary(report: RunReport) -> str:
    """A plan's last word: what verify would fail or warn on, per node; or that all agree."""
    names = ", ".join(n.node for n in report.nodes)
    lines = []
    for node in report.nodes:
        if node.error:
            lines.append(f"  {node.node}: {node.error}")
        for r in node.results:
            if r.status in (Status.FAIL, Status.FAILED, Status.WARN):
                word = "warn" if r.status is Status.WARN else "fail"
                lines.append(
                    f"  {node.node}: {word}: {r.title}" + (f": {r.reason}" if r.reason else "")
                )
    if not lines:
        return f"plan: no disagreement on {names}; nothing was changed"
    return "\n".join(
        [
            f"WARNING SUMMARY: the plan found {len(lines)} disagreement(s) on {names} "
            "(nothing was changed; the plan above says why):",
            *lines,
        ]
    )


class PageRun:
    """The shared part of a page notebook, in three stages (:func:`open_page`, :meth:`plan`,
    :meth:`finish`); each binds its result in the notebook's namespace (``rb``, ``plan``,
    ``final``) for the page's own cells."""

    def __init__(self, definition: RunbookDef, namespace: MutableMapping[str, Any]) -> None:
        self.definition = definition
        self.namespace = namespace
        params = notebook_params(definition)
        given = {p.name: namespace[p.name] for p in params if p.name in namespace}
        self.values = validate_values(params, given)  # every parameter checked up front
        self.given = given  # the page's own go to RUNBOOK.open as written (it checks them)
        self.rb: Runbook | None = None
        self.plan_report: RunReport | None = None
        self.final: RunReport | None = None

    @property
    def mode(self) -> str:
        """The chosen mode."""
        return self.values["mode"]

    def open(self) -> Runbook:
        """Open the targets with the page's values and print the steps."""
        v = self.values
        options: dict[str, Any] = {}
        if "serial" in v:
            options["serial"] = v["serial"]
        self.rb = self.definition.open(
            v["targets"],
            target_options=ssh_options(v["ssh_key_path"], v["known_hosts"]),
            **options,
            **{p.name: self.given[p.name] for p in self.definition.params if p.name in self.given},
        )
        self.namespace["rb"] = self.rb
        if is_kernel_namespace(self.namespace):
            # the page's own cells read the database as the runbook does: the demo's on replay
            # targets, else MIRTA_DB_URL's or none (their functions then say so)
            enter_demo_scope(self.rb.is_replay)
        print(steps_text(self.rb.steps))
        return self.rb

    def plan(self) -> None:
        """Plan (no side effect) and print it."""
        if self.rb is None:
            self.open()
        assert self.rb is not None
        self.plan_report = self.rb.plan()
        self.namespace["plan"] = self.plan_report
        print(self.plan_report)

    def _form(self) -> None:
        if not in_jupyterlab():
            return
        from IPython.display import display

        assert self.rb is not None
        display(self.rb.ui())

    def _rehearse(self) -> None:
        assert self.rb is not None
        if not self.rb.is_replay:
            return
        if not _changes_something(self.rb):
            print("rehearsal skipped: this runbook changes nothing, so apply has nothing to show")
            return
        assert self.plan_report is not None
        failed = [n.node for n in self.plan_report.nodes if n.failed]
        if failed:
            print(
                f"rehearsal skipped: the plan fails on {', '.join(failed)}, so apply would stop "
                "there (the WARNING SUMMARY below names why)"
            )
            return
        from mirtalib.runbooks.secretfiles import rehearsal_secrets, secret_names

        names = secret_names(self.rb)
        if names:
            given = rehearsal_secrets(names, is_replay=True)
            print(f"throw-away secrets for the rehearsal: {given or 'none'}")
        print(rehearse(self.rb))

    def finish(self) -> None:
        """The form (JupyterLab), the rehearsal (replays), the chosen mode and the verdict.

        Raises:
            ConfirmationRequired: apply or rollback without ``confirm``.
            VerificationFailed, ApplyFailed: a failed verify, apply or rollback.
        """
        if self.plan_report is None:
            self.plan()
        assert self.rb is not None and self.plan_report is not None
        self._form()
        self._rehearse()
        mode = self.mode
        if mode == "plan":
            self.final = self.plan_report
            self.namespace["final"] = self.final
            print("\n" + warning_summary(self.final))
            return
        if mode in ("apply", "rollback") and self.values["confirm"] is not True:
            where = ", ".join(t.name for t in self.rb.targets)
            raise ConfirmationRequired(
                f"mode {mode} changes {where} and needs confirmation: read the plan above, then "
                + confirmation_hint()
            )
        extra = {"run_id": self.values["run_id"]} if mode == "rollback" else {}
        self.final = self.rb.run(mode, confirm=True, **extra)
        self.namespace["final"] = self.final
        print(self.final)
        self.final.raise_for_failure()
        names = ", ".join(n.node for n in self.final.nodes)
        warned = [
            f"{n.node}: {r.title}"
            for n in self.final.nodes
            for r in n.results
            if r.verdict is Verdict.WARN
        ]
        tail = f"; warnings: {'; '.join(warned)}" if warned else ""
        print(f"{mode}: no failure on {names}{tail}")


def open_page(definition: RunbookDef, namespace: MutableMapping[str, Any]) -> PageRun:
    """Validate the notebook's parameters, open the targets and print the steps (binds ``rb``).

    Raises:
        ParameterError: a parameter of the page, the engine or the notebook is wrong.
    """
    if not all(hasattr(definition, a) for a in ("params", "demo_targets", "open")):
        raise ParameterError(f"run_page needs a page's RUNBOOK, got {type(definition).__name__}")
    page = PageRun(definition, namespace)
    page.open()
    return page


def run_page(definition: RunbookDef, namespace: MutableMapping[str, Any]) -> None:
    """The whole shared part of a page notebook in one call (see the module docstring); binds
    ``rb``, ``plan`` and ``final`` in ``namespace`` (returns nothing, so a cell shows no repr)."""
    open_page(definition, namespace).finish()
