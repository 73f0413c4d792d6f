"""Asterisk and host text: `.conf` documents, sorcery mappings and command-output parsers.

Modules:
    conf: lossless `.conf` reader/writer (comments, order, duplicates, templates, ``#include``).
    sorcery: which PJSIP objects come from realtime tables and which from ``pjsip.conf``.
    pjsip, chansip, cli: Asterisk CLI outputs (``pjsip show ...``, ``sip show peers``,
        ``core show channels concise``, ``core show version``, ``module show``).
    sockets, tls, software, kernel: host command outputs used by the runbooks (``ss``,
        ``netstat``, ``openssl s_client``, ``php -v``, ``java -version``, ``uname -r``, ``grubby``,
        clocksource files, ``sysctl``, ``/proc/loadavg`` ...).
    ami (events engineer): unwraps AMI ``Action: Command`` output; every parser here accepts it.

Every parser takes text (``str`` or ``bytes``) and raises only :class:`mirtalib.errors.ParseError`.
"""
