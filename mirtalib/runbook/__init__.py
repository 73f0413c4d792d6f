"""The runbook engine: a seed page made executable and safe.

A runbook is a list of steps with a title, the page it comes from and a scope (node or tenant).
Four kinds of step (:mod:`mirtalib.runbook.model`):

* :class:`Manual`: something the engineer does elsewhere (Teams admin center, a MiRTA web page),
  shown as a checklist item;
* :class:`Command`: a shell command, declared ``read-only``, ``changing`` or ``service-affecting``;
  conditional ones (``when_changed=``, ``unless=``) only run when needed;
* :class:`FileChange`: a rendered jinja2 template (:func:`template_file`), sections/keys of an
  Asterisk ``.conf`` edited in place (:func:`conf_edit`), or a text file edited by a pure function
  such as :func:`mirtalib.asterisk.sysctl.set_sysctl_conf` (:func:`text_edit`);
* :class:`Check`: command or probe + parser + expectation -> pass / warn / fail, with the reason and
  the evidence (expectations in :mod:`mirtalib.runbook.checks`).

Targets (:func:`open_target`): ``local``, ``ssh://user@host[:port]`` (paramiko, keys or agent, host
key checking on; ``become`` with sudo for a non-root login) and ``replay:NAME`` (recorded demo
server, see :mod:`mirtalib.runbook.replay`). With several targets (``replay:srv01,replay:srv02``)
plan and verify run in parallel; apply is rolling (``serial`` nodes at a time, each verified
before the next; the first failed node stops the run) and reports per node.

Modes: ``plan`` (default; renders and diffs every file, lists every command with its risk, runs only
read-only commands: no side effect), ``apply`` (refused without ``confirm=True``; backup into
``/var/backups/mirta-ops/<run id>/``, atomic write keeping mode and owner, the program's own
validator, stop at the first failure), ``verify`` (the checks as a pass/fail table plus the page's
manual verification list), ``rollback`` (the session's last apply, or any apply by its
``run_id``; refused for a file changed since). Every run has a run id and is journaled
(:mod:`mirtalib.runbook.journal`, ``mirta journal``). The frame shared by every page
(before starting / implementation / current verification) is added by the engine
(:mod:`mirtalib.runbook.frame`).

Writing a page's runbook (copy ``mirtalib/runbooks/p16_tcp_port_exhaustion.py``)
---------------------------------------------------------------------------------
1. A module ``mirtalib/runbooks/pNN_slug.py`` (found by name: :func:`mirtalib.runbooks.get`) with
   ``PARAMS`` (one :class:`Param` per page parameter: name, demo default, help and its declared
   constraints ``kind="port"`` / ``between=(1, 120)`` / ``choices=`` / ``optional=`` /
   ``items="hostname"``; the notebook's parameters cell is generated from them), a
   ``build(values) -> list[Step]`` function (commands built with ``mirtalib.validate.cmd``, which
   quotes every argument; parsers and file editors from :mod:`mirtalib.asterisk`), and
   ``RUNBOOK = RunbookDef(page=NN, slug=..., title=..., scope="node", params=PARAMS, build=build,
   verification=Verification(mirta_page=..., status_menu=...))``. Put only the page's own steps
   in ``build``: the frame's checklist items are added by the engine. Use ``Phase.BEFORE`` for
   read-only observations (they run in plan), ``when_changed=``/``unless=`` so a second apply is
   all ``ok``, ``validate=`` on a file when the program has a checker (``haproxy -c -f {path}``),
   ``failure=failure_lines(...)`` when a command exits 0 on errors, ``undo=`` for rollback.
2. Recorded outputs for every command the runbook runs, in
   ``mirtalib/runbook/replays/srv01.d/pNN.yaml`` (and ``srv02.d``; same format as ``srv01.yaml``,
   see :mod:`mirtalib.runbook.replay`): a command that is not recorded fails plan with a
   TargetError naming it, so the list to record is easy to complete. Use a state
   (``then: pNN-applied``) when apply changes what later commands print.
3. A notebook ``notebooks/runbooks/NN-slug.py`` (copy ``16-tcp-port-exhaustion.py``): its
   parameters cell written by ``scripts/sync_parameters_cells.py`` (:mod:`mirtalib.runbook.cell`),
   then, with the page's explanations and own cells between them (:mod:`mirtalib.runbook.page`)::

       page = open_page(RUNBOOK, globals())   # check every parameter, open, print the steps
       page.plan()                            # always first, no side effect
       page.finish()                          # form (JupyterLab), rehearsal, mode, verdict

4. Tests: plan/apply/verify/rollback on the replays, parameter validation, the unrecorded-command
   error (``tests/unit/runbook/test_p16.py`` is the model).
"""

from mirtalib.runbook.checks import at_most, equals, failure_lines, info, mapping_equals, parse_int
from mirtalib.runbook.files import conf_edit, template_file, text_edit
from mirtalib.runbook.frame import Verification
from mirtalib.runbook.model import (
    Check,
    Command,
    FileChange,
    Manual,
    Param,
    Phase,
    Risk,
    Step,
    Verdict,
)
from mirtalib.runbook.render import report_html, steps_text, verdict_table
from mirtalib.runbook.results import (
    ApplyFailed,
    NodeReport,
    PlanFailed,
    RollbackRefused,
    RunReport,
    Status,
    StepResult,
    VerificationFailed,
)
from mirtalib.runbook.session import Runbook, RunbookDef
from mirtalib.runbook.targets import LocalTarget, Target, open_target
from mirtalib.runbook.tools import rehearse, ssh_options

__all__ = [
    "ApplyFailed",
    "Check",
    "Command",
    "FileChange",
    "LocalTarget",
    "Manual",
    "NodeReport",
    "Param",
    "Phase",
    "PlanFailed",
    "Risk",
    "RollbackRefused",
    "RunReport",
    "Runbook",
    "RunbookDef",
    "Status",
    "Step",
    "StepResult",
    "Target",
    "Verdict",
    "Verification",
    "VerificationFailed",
    "at_most",
    "conf_edit",
    "equals",
    "failure_lines",
    "info",
    "mapping_equals",
    "open_target",
    "parse_int",
    "rehearse",
    "report_html",
    "ssh_options",
    "steps_text",
    "template_file",
    "text_edit",
    "verdict_table",
]
