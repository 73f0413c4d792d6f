"""Shared pieces of the PHP runbooks (pages 26 *Using PHP 7* and 27 *Upgrading ionCube*).

MiRTA's web interface is ionCube-encoded: PHP must load an ionCube loader built for its own
major.minor version and thread-safety flavour, and the web interface needs loader 10 or later.

* :func:`loader_choice`: the tested pure function that picks the download for the CPU
  (``uname -m``) and the loader file for PHP ``major.minor`` and NTS/ZTS
  (``ioncube_loader_lin_7.4.so`` / ``ioncube_loader_lin_7.4_ts.so``);
* :func:`php_check` / :func:`phpinfo_check` / :func:`machine_check`: the node's ``php -v``,
  ``php -i`` and ``uname -m`` compared with the parameters (a mismatch fails and names the value
  to set, so a loader for the wrong PHP is never copied);
* :func:`ioncube_steps`: download, unpack, install the loader, the ``zend_extension`` ini file
  (validated by a real ``php -n -c`` run that must load the loader) and the web server restart,
  every step guarded so a second apply changes nothing.
"""

from __future__ import annotations

import dataclasses
import re
import shlex
from typing import Any

from mirtalib.asterisk.phpinfo import parse_machine, parse_php_info
from mirtalib.asterisk.software import PhpVersion, parse_php_version
from mirtalib.errors import ParameterError
from mirtalib.runbook import Check, Command, Phase, Risk, Step, Verdict, template_file
from mirtalib.validate import cmd

DOWNLOADS = "https://downloads.ioncube.com/loader_downloads"
MIN_IONCUBE = 10  # page 27: the web interface needs ionCube 10 or later
_MACHINES = {
    "x86_64": "x86-64",
    "amd64": "x86-64",
    "i386": "x86",
    "i486": "x86",
    "i586": "x86",
    "i686": "x86",
    "aarch64": "aarch64",
    "arm64": "aarch64",
    "armv7l": "armv7l",
}
_PHP_MM = re.compile(r"^(\d)\.(\d{1,2})$")
INI_TEXT = (
    "; ionCube loader for PHP {{ php_version }}{{ ' (thread safe)' if ts else '' }}, "
    "managed by mirta-ops (seed pages 26/27).\n"
    "; It must be the first zend_extension PHP loads: keep this file's 00- prefix.\n"
    "zend_extension = {{ loader }}\n"
)


def php_minor(value: Any, name: str = "php_version") -> str:
    """A PHP ``major.minor`` such as ``7.4`` (ParameterError otherwise; ionCube has no 8.0)."""
    m = _PHP_MM.match(str(value).strip()) if isinstance(value, str) else None
    if not m or not 4 <= int(m.group(1)) <= 8:
        raise ParameterError(f"{name}={value!r} is not a PHP major.minor such as '7.4'")
    if value == "8.0":
        raise ParameterError(f"{name}='8.0': ionCube publishes no loader for PHP 8.0 (use 7.4/8.1)")
    return value


@dataclasses.dataclass(frozen=True)
class LoaderChoice:
    """Which archive to fetch and which loader file of it PHP needs.

    Attributes:
        tarball: archive name (``ioncube_loaders_lin_x86-64.tar.gz``); url: its download URL.
        file: loader file name (``ioncube_loader_lin_7.4.so``); member: its path in the archive.
    """

    tarball: str
    url: str
    file: str
    member: str


def loader_choice(php_version: str, thread_safe: bool, machine: str) -> LoaderChoice:
    """The ionCube archive and loader file for PHP ``php_version`` (``7.4``) on ``machine``.

    >>> loader_choice("7.4", False, "x86_64").file
    'ioncube_loader_lin_7.4.so'
    >>> loader_choice("7.3", True, "aarch64").tarball
    'ioncube_loaders_lin_aarch64.tar.gz'
    """
    php_minor(php_version)
    flavour = _MACHINES.get(machine)
    if flavour is None:
        raise ParameterError(
            f"machine={machine!r}: no ionCube Linux loader for this CPU "
            f"(known: {sorted(_MACHINES)})"
        )
    tarball = f"ioncube_loaders_lin_{flavour}.tar.gz"
    file = f"ioncube_loader_lin_{php_version}{'_ts' if thread_safe else ''}.so"
    return LoaderChoice(tarball, f"{DOWNLOADS}/{tarball}", file, f"ioncube/{file}")


def _ts(php: PhpVersion) -> str:
    return f" ({php.thread_safety})" if php.thread_safety else ""


def _mm(php: PhpVersion) -> str:
    return ".".join(str(p) for p in php.version_tuple[:2])


def php_expect(php_version: str, *, ioncube: Verdict | None, min_ioncube: int = MIN_IONCUBE):
    """Judge ``php -v``: PHP ``php_version`` expected; ionCube below ``min_ioncube`` -> ``ioncube``.

    ``ioncube=None`` only reports the loader (the PHP version alone decides).
    """

    def expect(php: PhpVersion) -> tuple[Verdict, str]:
        loader = f"ionCube {php.ioncube}" if php.ioncube else "no ionCube loader"
        text = f"PHP {php.version}{_ts(php)}, {loader}"
        if _mm(php) != php_version:
            return Verdict.FAIL, f"{text}: this run is set for PHP {php_version}"
        if ioncube is not None and (php.ioncube_major or 0) < min_ioncube:
            return ioncube, f"{text}: the web interface needs ionCube {min_ioncube} or later"
        return Verdict.PASS, text

    return expect


def php_check(
    id: str,
    title: str,
    php_version: str,
    *,
    ioncube: Verdict | None,
    phase: Phase = Phase.VERIFICATION,
    min_ioncube: int = MIN_IONCUBE,
) -> Check:
    """``php -v`` judged by :func:`php_expect`."""
    return Check(
        id=id,
        title=title,
        phase=phase,
        command=cmd("php", "-v"),
        parse=parse_php_version,
        expect=php_expect(php_version, ioncube=ioncube, min_ioncube=min_ioncube),
    )


def php_now_check() -> Check:
    """``php -v`` as found (before any change): version and loader, never a failure."""

    def expect(php: PhpVersion) -> tuple[Verdict, str]:
        loader = f"ionCube {php.ioncube}" if php.ioncube else "no ionCube loader"
        verdict = Verdict.PASS if (php.ioncube_major or 0) >= MIN_IONCUBE else Verdict.WARN
        note = " (ionCube publishes no loader for PHP 8.0)" if _mm(php) == "8.0" else ""
        return verdict, f"PHP {php.version}{_ts(php)}, {loader}{note}"

    return Check(
        id="php-now",
        title="PHP and ionCube running now",
        phase=Phase.BEFORE,
        command=cmd("php", "-v"),
        parse=parse_php_version,
        expect=expect,
    )


def phpinfo_check(extension_dir: str, thread_safe: bool, *, phase: Phase = Phase.BEFORE) -> Check:
    """``php -i``: extension_dir and thread safety must be what the parameters say."""

    def expect(info) -> tuple[Verdict, str]:
        found, ts = info.extension_dir, info.thread_safe
        text = f"extension_dir {found or '?'}, thread safety {'?' if ts is None else ts}"
        wrong = []
        if found != extension_dir:
            wrong.append(f"set extension_dir={found!r}")
        if ts is not None and ts != thread_safe:
            wrong.append(f"set thread_safe={ts}")
        return (Verdict.FAIL, f"{text}: " + "; ".join(wrong)) if wrong else (Verdict.PASS, text)

    return Check(
        id="php-build",
        title="PHP extension folder and thread safety",
        phase=phase,
        command=cmd("php", "-i"),
        parse=parse_php_info,
        expect=expect,
    )


def machine_check(machine: str) -> Check:
    """``uname -m`` must be ``machine`` (the loader archive is per CPU)."""

    def expect(found: str) -> tuple[Verdict, str]:
        if found != machine:
            return Verdict.FAIL, f"the node is {found}: set machine={found!r}"
        return Verdict.PASS, f"{found}: {loader_choice('7.4', False, found).tarball}"

    return Check(
        id="machine",
        title="CPU architecture (uname -m)",
        phase=Phase.BEFORE,
        command=cmd("uname", "-m"),
        parse=parse_machine,
        expect=expect,
    )


def ioncube_steps(v: dict[str, Any], php_version: str) -> list[Step]:
    """Install the loader for ``php_version`` (parameters of page 27 in ``v``), guarded.

    Keys used: ``thread_safe``, ``machine``, ``extension_dir``, ``src_dir``, ``ini_file``,
    ``web_service``, ``pid_file``.
    """
    choice = loader_choice(php_version, v["thread_safe"], v["machine"])
    archive = f"{v['src_dir']}/{choice.tarball}"
    dest = f"{v['extension_dir']}/{choice.file}"
    done = php_check(
        "ioncube-ok",
        f"ionCube {MIN_IONCUBE}+ loaded by PHP {php_version}",
        php_version,
        ioncube=Verdict.FAIL,
    )
    probe = 'exit(extension_loaded("ionCube Loader") ? 0 : 1);'
    pid, q = v["pid_file"], shlex.quote
    fresh = (
        f'test /proc/"$(cat {q(pid)})" -nt {q(dest)} && test /proc/"$(cat {q(pid)})" -nt '
        f"{q(v['ini_file'])}"
    )
    return [
        Command(
            id="loader-download",
            title=f"Download {choice.tarball}",
            command=cmd("curl", "-fsSL", "--max-time", "300", "-o", archive, choice.url),
            risk=Risk.CHANGING,
            unless=done,
        ),
        Command(
            id="loader-unpack",
            title=f"Unpack it in {v['src_dir']}",
            command=cmd("tar", "-xzf", archive, "-C", v["src_dir"]),
            risk=Risk.CHANGING,
            unless=done,
        ),
        Command(
            id="loader-install",
            title=f"Install {choice.file} in {v['extension_dir']} (old one kept as ~)",
            command=cmd("install", "-b", "-m", "0755", f"{v['src_dir']}/{choice.member}", dest),
            risk=Risk.CHANGING,
            unless=done,
            undo=f"test ! -e {q(dest + '~')} || mv -f {q(dest + '~')} {q(dest)}",
        ),
        template_file(
            "ioncube-ini",
            f"zend_extension line in {v['ini_file']}",
            v["ini_file"],
            INI_TEXT,
            {"php_version": php_version, "ts": v["thread_safe"], "loader": dest},
            validate=cmd("php", "-n", "-c", "{path}", "-r", probe).replace("'{path}'", "{path}"),
            summary=f"zend_extension = {dest}",
        ),
        Command(
            id="web-restart",
            title=f"Restart {v['web_service']} so the web interface loads the new loader",
            command=cmd("systemctl", "restart", v["web_service"]),
            risk=Risk.SERVICE_AFFECTING,
            unless=fresh,
            undo=cmd("systemctl", "restart", v["web_service"]),
        ),
    ]
