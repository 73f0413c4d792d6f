"""Asterisk and host text: `.conf` documents, sorcery mappings and command-output parsers.

Modules:
    conf (+ conflines): lossless `.conf` reader/writer (comments, order, duplicate keys, templates
        ``[x](!)``/``[x](tpl)``/``[x](+)``, ``=>``, ``#include``) with an edit API.
    conftree: effective values after template inheritance, ``#include`` inlining, unified diffs.
    sorcery: which PJSIP objects come from realtime tables and which from ``pjsip.conf``.
    pjsip (+ pjsipobjects), chansip, cli: ``pjsip show ...``, ``sip show peers``,
        ``core show channels concise``, ``module show``.
    software: ``asterisk -V``/``core show version``, ``php -v`` (ionCube), ``java -version``.
    sockets: ``ss -lntp``, ``netstat -nap``/``-an`` (TIME_WAIT per port).
    tls: ``openssl s_client``.
    host, sysctl, grub: ``uname -r``, ``grubby --info``, clocksource files, ``/proc/loadavg``,
        ``update-crypto-policies --show``, ``sysctl`` output and sysctl.conf, GRUB menus.
    ami: AMI ``Action: Command`` unwrapping, colour codes, Asterisk's refusals (``No such
        command`` -> :class:`~mirtalib.asterisk.ami.CommandNotFound`).
    states, queues (+ extstate): hints/devstate/channels and ``queue show`` parsers (DataFrames).

Every parser takes text (``str`` or ``bytes``, plain CLI or AMI capture for Asterisk commands),
returns dataclasses (``to_frame`` turns a list of them into a DataFrame) and raises only
:class:`mirtalib.errors.ParseError`; lines it cannot use are returned as :class:`Reject` rows.
An Asterisk that answers ``No such command ...`` (e.g. ``parkedcalls show`` or ``sip show peers``
on Asterisk 22) makes the parser raise CommandNotFound, a ParseError naming the command.
"""

from mirtalib.asterisk._common import Reject, UnforeseenInput, to_frame

__all__ = ["Reject", "UnforeseenInput", "to_frame"]
