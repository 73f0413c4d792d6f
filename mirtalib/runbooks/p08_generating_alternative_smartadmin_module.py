"""Seed page 08, *Generating alternative smartadmin module*: rebuild MiRTA's SmartAdmin theme.

With a SmartAdmin developer licence the theme can be rebuilt with other colours. The page
installs nvm and node 10.16.0 (the documented 6.9.2 does not build), then runs ``npm install``,
``gulp build`` and ``gulp build-rtlcss`` in ``smartadmin-html-full``; colours live in
``src/scss/_modules/variables.scss`` and build options in ``build.json``'s ``compile`` block.

What this runbook does:

* checks node (same major version as chosen), npm and gulp-cli on the build machine;
* sets the five ``$color-*`` variables (parameters, validated as ``#RGB``/``#RRGGBB``) and the
  ``compile`` flags in place, then builds only when one of them changed or nothing was built
  yet; ``gulp build-rtlcss`` only when right-to-left output is wanted;
* verifies that the built CSS carries the chosen primary colour.

The nvm install script is piped from the network by the page: download it, read it, run it
(a manual step). When you upgrade jquery-ui, leave its tooltip module out: it collides with
Bootstrap's.
"""

from __future__ import annotations

import json
import re
from typing import Any

from mirtalib.errors import ParameterError, ParseError
from mirtalib.runbook import (
    Check,
    Command,
    Manual,
    Param,
    Phase,
    Risk,
    RunbookDef,
    Step,
    Verdict,
    Verification,
    parse_int,
    text_edit,
)
from mirtalib.runbooks.installs import MISSING, parse_tool_version, version_at_least
from mirtalib.validate import cmd

COLORS = ("primary", "success", "info", "warning", "danger")
PAGE_COLORS = {
    "primary": "#2198F3",
    "success": "#52bf11",
    "info": "#BB1BF4",
    "warning": "#FF9A13",
    "danger": "#FC1349",
}
#: The demo's choice: MiRTA blue as primary, the page's other colours.
DEMO_COLORS = {**PAGE_COLORS, "primary": "#1F6FB2"}
_HEX = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")


def _color(name: str):
    def check(value: str) -> str:
        if not isinstance(value, str) or not _HEX.match(value.strip()):
            raise ParameterError(f"{name}={value!r} is not a colour like #2198F3")
        return value.strip()

    return check


def _version(value: str) -> str:
    if not re.match(r"^\d+\.\d+\.\d+$", str(value)):
        raise ParameterError(f"node_version={value!r} must look like 10.16.0")
    return value


def _relative(value: str) -> str:
    if not value or value.startswith("/") or ".." in value.split("/"):
        raise ParameterError(f"built_css={value!r} must be a path inside source_dir")
    return value


def set_scss_variables(text: str, values: dict[str, str]) -> str:
    """Set ``$name: value;`` lines in SCSS (first definition replaced; missing ones appended)."""
    out = text
    missing = []
    for name, value in values.items():
        pattern = re.compile(rf"^(\s*\${re.escape(name)}\s*:\s*)([^;\n]*)(;)", re.MULTILINE)
        if pattern.search(out):
            out = pattern.sub(lambda m, v=value: m.group(1) + v + m.group(3), out, count=1)
        else:
            missing.append(f"${name}: {value};\n")
    if missing:
        out += ("" if not out or out.endswith("\n") else "\n") + "".join(missing)
    return out


def scss_colors(text: str) -> dict[str, str]:
    """The ``$color-*`` values of the five theme colours found in ``variables.scss``."""
    found = {}
    for c in COLORS:
        m = re.search(rf"^\s*\$color-{c}\s*:\s*([^;\n]*);", text, re.MULTILINE)
        found[c] = m.group(1).strip() if m else "<missing>"
    return found


def set_compile_flags(text: str, flags: dict[str, bool]) -> str:
    """Set keys of build.json's ``compile`` object (unchanged text when already set)."""
    try:
        data = json.loads(text or "{}")
    except ValueError as exc:
        raise ParseError(f"build.json is not JSON: {exc}") from None
    block = data.setdefault("compile", {})
    if all(block.get(k) == v for k, v in flags.items()):
        return text
    block.update(flags)
    return json.dumps(data, indent=4) + "\n"


PARAMS = (
    Param(
        "source_dir",
        "/root/smartadmin-html-full",
        "SmartAdmin source folder (with gulpfile.js)",
        kind="path",
    ),
    Param(
        "node_version",
        "10.16.0",
        ("node to build with (page: documented 6.9.2 fails, 10.16.0 works)"),
        check=_version,
    ),
    *(
        Param(
            f"color_{c}",
            DEMO_COLORS[c],
            f"$color-{c} (page: {PAGE_COLORS[c]})",
            check=_color(f"color_{c}"),
        )
        for c in COLORS
    ),
    Param("minify", True, "build.json jsUglify and cssMinify"),
    Param(
        "sourcemaps", False, ("build.json js/cssSourcemaps (page: true; they publish your sources)")
    ),
    Param("rtl", False, "also build right-to-left CSS (gulp build-rtlcss)"),
    Param(
        "built_css",
        "dist/css/app.bundle.css",
        ("built CSS (inside source_dir) checked for the colour"),
        check=_relative,
    ),
)


def _same_major(wanted: str):
    def expect(version: str | None) -> tuple[Verdict, str]:
        hint = f"nvm install {wanted} && nvm use {wanted}"
        if version is None:
            return Verdict.FAIL, f"node is not installed: {hint}"
        if version.split(".")[0] != wanted.split(".")[0]:
            return Verdict.WARN, f"node {version} is not the {wanted.split('.')[0]}.x line: {hint}"
        return Verdict.PASS, f"node {version} (wanted {wanted})"

    return expect


def _colors_info(colors: dict[str, str]) -> tuple[Verdict, str]:
    return Verdict.PASS, "now: " + ", ".join(f"{k} {v}" for k, v in colors.items())


def _read(file: str):
    def probe(target: Any) -> str:
        text = target.read_text(file)
        if text is None:
            raise ParseError(f"{file} does not exist: is source_dir the SmartAdmin folder?")
        return text

    return probe


def build(v: dict[str, Any]) -> list[Step]:
    """Steps of page 08 for validated parameter values ``v``."""
    d = v["source_dir"]
    scss, build_json = f"{d}/src/scss/_modules/variables.scss", f"{d}/build.json"
    css = f"{d}/{v['built_css']}"
    colors = {f"color-{c}": v[f"color_{c}"] for c in COLORS}
    flags = {
        "jsUglify": v["minify"],
        "cssMinify": v["minify"],
        "jsSourcemaps": v["sourcemaps"],
        "cssSourcemaps": v["sourcemaps"],
        "autoprefixer": True,
        "seedOnly": False,
        "rtl": v["rtl"],
    }
    steps: list[Step] = [
        Manual(
            id="nvm",
            title=f"Install nvm and node {v['node_version']}",
            phase=Phase.BEFORE,
            where="the build machine's shell",
            detail="Download the nvm install script (the page uses v0.35.3), read it, run it; "
            f"then `nvm install {v['node_version']}`. The documented 6.9.2 does not build.",
        ),
        Check(
            id="node-version",
            title="node version",
            phase=Phase.BEFORE,
            command=cmd("node", "--version"),
            ok_codes=(0, MISSING),
            parse=parse_tool_version,
            expect=_same_major(v["node_version"]),
        ),
        Check(
            id="npm-version",
            title="npm version",
            phase=Phase.BEFORE,
            command=cmd("npm", "--version"),
            ok_codes=(0, MISSING),
            parse=parse_tool_version,
            expect=version_at_least("npm", "6.0.0", hint="comes with node"),
        ),
        Check(
            id="colors-before",
            title="Theme colours now",
            phase=Phase.BEFORE,
            probe=_read(scss),
            parse=scss_colors,
            expect=_colors_info,
        ),
        Command(
            id="gulp-cli",
            title="Install gulp-cli",
            risk=Risk.CHANGING,
            command=cmd("npm", "install", "--global", "gulp-cli"),
            unless=cmd("gulp", "--version"),
        ),
        text_edit(
            "scss-colors",
            "Set the theme colours",
            scss,
            lambda text: set_scss_variables(text, colors),
            summary=", ".join(f"${k}: {val}" for k, val in colors.items()),
        ),
        text_edit(
            "build-json",
            "Set the compile options in build.json",
            build_json,
            lambda text: set_compile_flags(text, flags),
            summary=", ".join(f"{k}={str(val).lower()}" for k, val in flags.items()),
        ),
        Command(
            id="npm-install",
            title="Install the build dependencies (npm install)",
            risk=Risk.CHANGING,
            command=cmd("npm", "--prefix", d, "install"),
            unless=cmd("test", "-d", f"{d}/node_modules/gulp"),
        ),
        Command(
            id="gulp-build",
            title="Build the theme (gulp build)",
            risk=Risk.CHANGING,
            command=cmd("gulp", "--cwd", d, "build"),
            when_changed=("scss-colors", "build-json"),
            unless=cmd("test", "-f", css),
        ),
    ]
    if v["rtl"]:
        steps.append(
            Command(
                id="gulp-rtl",
                title="Build the right-to-left CSS",
                risk=Risk.CHANGING,
                command=cmd("gulp", "--cwd", d, "build-rtlcss"),
                when_changed=("scss-colors", "build-json"),
            )
        )
    steps += [
        Check(
            id="built-color",
            title=f"{v['built_css']} uses {v['color_primary']}",
            command=cmd("grep", "-c", "-i", "-F", "--", v["color_primary"], css),
            ok_codes=(0, 1),
            parse=parse_int,
            expect=_color_count(v["color_primary"]),
        ),
        Manual(
            id="jquery-ui",
            title="jquery-ui upgrades without the tooltip module",
            phase=Phase.VERIFICATION,
            where="the theme's vendor bundle",
            detail="If you upgrade jquery-ui, build it without 'tooltip': it collides with "
            "Bootstrap's tooltip.",
        ),
    ]
    return steps


def _color_count(color: str):
    def expect(count: int) -> tuple[Verdict, str]:
        if count < 1:
            return Verdict.FAIL, f"{color} does not occur in the built CSS: build again"
        return Verdict.PASS, f"{color} occurs on {count} line(s) of the built CSS"

    return expect


RUNBOOK = RunbookDef(
    page=8,
    slug="generating-alternative-smartadmin-module",
    title="Generating alternative smartadmin module",
    scope="node",
    roles=("pbx",),
    params=PARAMS,
    build=build,
    summary="node/npm/gulp checks, theme colours and build.json, gulp build, built CSS check",
    verification=Verification(
        mirta_page="Install the built theme module in MiRTA and reload the web interface (clear "
        "the browser cache): menus, buttons and alerts use the new colours.",
        asterisk_log="Nothing expected in the Asterisk log: the theme is web only.",
        status_menu="Status menu pages render with the new theme and no missing styles.",
    ),
)
