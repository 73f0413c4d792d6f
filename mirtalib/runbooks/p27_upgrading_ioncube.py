"""Seed page 27, *Upgrading ionCube*: a loader of version 10 or later for the PHP that runs.

The page reads ``php -v`` (PHP 5.5.38 with ionCube 5.0.20 in its example), downloads the Linux
loaders archive, unpacks it in ``/usr/local/src``, copies the loader of the running PHP into
``/usr/lib64/php/modules`` and restarts Apache; "with a different PHP version, copy the right
file". This runbook makes "the right file" a computed, tested choice
(:func:`mirtalib.runbooks.php_pages.loader_choice`): PHP major.minor from ``php -v``, thread
safety and ``extension_dir`` from ``php -i``, the archive from ``uname -m``; a parameter that
disagrees with the node fails the plan and names the value to set.

Operator notes: the page overwrites the live loader with ``\\cp``; here ``install -b`` keeps the
old one as ``<file>~`` (rollback: move it back and restart Apache). The loader must be the
*first* Zend extension PHP loads (before OPcache), hence an ini file named ``00-...`` in
``/etc/php.d``; a second ``zend_extension`` line for an older loader elsewhere makes PHP refuse
to start the loader, so such lines are reported before anything is done. The new ini file is
validated by PHP itself (``php -n -c <staged file>`` must load the loader) before it replaces
the live one, and Apache restarts only when it runs an older loader than the one on disk.
"""

from __future__ import annotations

from typing import Any

from mirtalib.runbook import (
    Check,
    Manual,
    Param,
    Phase,
    RunbookDef,
    Step,
    Verdict,
    Verification,
)
from mirtalib.runbooks.php_pages import (
    MIN_IONCUBE,
    ioncube_steps,
    loader_choice,
    machine_check,
    php_check,
    php_minor,
    php_now_check,
    phpinfo_check,
)
from mirtalib.validate import cmd


def _machine(value: str) -> str:
    loader_choice("7.4", False, value)  # ParameterError naming the known CPUs
    return value


PARAMS = (
    Param(
        "php_version",
        "5.5",
        "PHP major.minor the node runs (php -v); checked on the node",
        check=php_minor,
    ),
    Param("thread_safe", False, "True for a ZTS PHP (php -i shows Thread Safety enabled)"),
    Param(
        "machine",
        "x86_64",
        "CPU architecture (uname -m); picks the loaders archive",
        check=_machine,
    ),
    Param(
        "extension_dir",
        "/usr/lib64/php/modules",
        "php -i | grep extension_dir",
        kind="path",
    ),
    Param(
        "php_ini",
        "/etc/php.ini",
        "main php.ini, searched for old loader lines",
        kind="path",
    ),
    Param(
        "ini_file",
        "/etc/php.d/00-ioncube-loader.ini",
        "file with the zend_extension line",
        kind="path",
    ),
    Param("src_dir", "/usr/local/src", "download and unpack folder", kind="path"),
    Param(
        "web_service",
        "httpd",
        "web server unit: httpd, apache2 or php-fpm",
        choices=("httpd", "apache2", "php-fpm"),
    ),
    Param(
        "pid_file",
        "/run/httpd/httpd.pid",
        "its PID file (restart only if older than the loader)",
        kind="path",
    ),
)


def old_loader_lines(text: str, keep: str) -> list[str]:
    """``grep -rn zend_extension`` lines naming an ionCube loader in a file other than ``keep``."""
    out = []
    for line in str(text).splitlines():
        file, _, rest = line.partition(":")
        body = rest.partition(":")[2].strip()
        if file != keep and "ioncube" in body.lower() and not body.startswith((";", "#")):
            out.append(line.strip())
    return out


def _old_lines_expect(keep: str):
    def expect(lines: list[str]) -> tuple[Verdict, str]:
        if lines:
            return Verdict.WARN, (
                "other ionCube zend_extension lines (comment them out, or PHP loads two "
                "loaders): " + " | ".join(lines)
            )
        return Verdict.PASS, f"no ionCube zend_extension line outside {keep}"

    return expect


def build(v: dict[str, Any]) -> list[Step]:
    """Steps of page 27 for validated parameter values ``v``."""
    choice = loader_choice(v["php_version"], v["thread_safe"], v["machine"])
    scan_dir = v["ini_file"].rsplit("/", 1)[0]
    return [
        php_now_check(),
        php_check(
            "php-matches",
            f"The node runs PHP {v['php_version']}",
            v["php_version"],
            ioncube=None,
            phase=Phase.BEFORE,
        ),
        phpinfo_check(v["extension_dir"], v["thread_safe"]),
        machine_check(v["machine"]),
        Check(
            id="old-loader-lines",
            title="Other zend_extension lines for ionCube",
            phase=Phase.BEFORE,
            command=cmd("grep", "-rsn", "zend_extension", v["php_ini"], scan_dir),
            ok_codes=(0, 1, 2),
            parse=lambda text: old_loader_lines(text, v["ini_file"]),
            expect=_old_lines_expect(v["ini_file"]),
        ),
        Manual(
            id="loader-choice",
            title="The loader this node needs",
            phase=Phase.BEFORE,
            where="this notebook",
            detail=f"{choice.url} -> {choice.member} -> {v['extension_dir']}/{choice.file}",
        ),
        *ioncube_steps(v, v["php_version"]),
        php_check(
            "ioncube-after",
            f"PHP {v['php_version']} runs ionCube {MIN_IONCUBE} or later",
            v["php_version"],
            ioncube=Verdict.FAIL,
        ),
    ]


RUNBOOK = RunbookDef(
    page=27,
    slug="upgrading-ioncube",
    title="Upgrading ionCube",
    scope="node",
    roles=("pbx",),
    params=PARAMS,
    build=build,
    summary="php -v / php -i / uname -m, the matching loader file, guarded install and restart",
    verification=Verification(
        mirta_page="Log in to the MiRTA web interface: pages open without an ionCube "
        "'loader version' or 'encoded file' error.",
        asterisk_log="Nothing expected in /var/log/asterisk/full; see /var/log/httpd/error_log "
        "for 'ionCube' lines.",
        status_menu="Status menu: the node and its web interface are up.",
    ),
)
