"""Network probes shared by the runbooks: TLS enumeration, DNS queries, SRV selection.

Modules:
    tls: which protocol versions and cipher suites a TLS server accepts and its certificate chain
        (page 04); tlspolicy: certificate facts, the CentOS/RHEL 9 DEFAULT and LEGACY crypto
        policies as data, and the advice (policy, pjsip ``method=``/``cipher=``).
    dns: queries to given resolvers with dnspython, from this machine or from a node; resolv.conf
        and NetworkManager lines (pages 30, 43).
    srv: RFC 2782 SRV records: selection by priority and weight, pool design, zone lines (page 43).

Probes that run from the operator's machine (a TLS scan) answer from the recording on a
``replay:`` target (:func:`here_or_recorded`), so notebooks on the demo PBX use no network.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from mirtalib.runbook.targets import Target

RECORDED_PREFIX = "mirta-probe"


def here_or_recorded(key: str, live: Callable[[], str]) -> Callable[[Target], str]:
    """A ``Check(probe=...)`` that runs ``live()`` on this machine.

    On a replay target the text comes from the recording of the pseudo-command
    ``mirta-probe KEY`` instead (a probe nobody recorded is a TargetError naming it).
    """

    def probe(target: Target) -> str:
        from mirtalib.runbook.replay import ReplayTarget

        if isinstance(target, ReplayTarget):
            return target.run(f"{RECORDED_PREFIX} {key}").stdout
        return live()

    return probe
