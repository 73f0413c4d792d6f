"""The fleet inventory: which nodes ``mirta fleet`` checks, their roles and the values of the pages'
parameters, in a YAML file shaped like an Ansible inventory.

.. code-block:: yaml

    all:
      vars:                        # every node (the lowest precedence)
        timeout: 10                # seconds to connect / to answer a liveness probe
        known_hosts: ~/.ssh/known_hosts
        fin_timeout: 30            # a page parameter: fills it on every page that has it
      children:
        cluster-a:                 # a group
          roles: [pbx]
          vars:
            pages:
              16: {sysctl_file: /etc/sysctl.d/90-mirta.conf}   # page 16 only
          hosts:
            pbx1:
              address: ssh://root@10.0.0.11
              roles: [opensips]    # added to the group's roles
              vars:
                certificates: [/etc/asterisk/keys/asterisk.pem]

Precedence: ``all.vars`` < the group's ``vars`` < the host's ``vars``; ``pages: {N: {...}}`` wins
over a plain variable for page N. A plain variable must be a parameter of some page or one of
:data:`FLEET_VARS`; everything is validated when the file is loaded (each node against each page
it runs), so a typo stops the run before it starts (:class:`ParameterError` naming the file, the
line and what is wrong).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from mirtalib import runbooks
from mirtalib.errors import MirtaError, ParameterError
from mirtalib.runbook.session import ROLES, RunbookDef

#: variables that are the fleet's own, not page parameters
FLEET_VARS: dict[str, str] = {
    "ssh_key_path": "SSH private key file (empty: the agent or ~/.ssh defaults)",
    "known_hosts": "known_hosts file (empty: ~/.ssh/known_hosts); host keys are never accepted "
    "blindly",
    "become": "log in as a non-root user and read as root through sudo",
    "become_password_env": "NAME of the environment variable holding the sudo password",
    "timeout": "seconds a node may take to connect and to answer a liveness probe (1-600)",
    "command_timeout": "seconds one command may take on a node (1-600, default 300): then the "
    "node must answer a liveness probe or it is unreachable",
    "certificates": "certificate files (PEM) whose days left the report lists",
    "cert_warn_days": "a certificate expiring within this many days is a warning (default 30)",
    "cert_fail_days": "within this many days (or expired) a failure (default 7)",
}
DEFAULTS: dict[str, Any] = {
    "timeout": 10,
    "command_timeout": 300,
    "cert_warn_days": 30,
    "cert_fail_days": 7,
}
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")
_ALL_KEYS = {"vars", "children", "hosts"}
_GROUP_KEYS = {"roles", "vars", "hosts"}
_HOST_KEYS = {"address", "roles", "vars"}


@dataclass(frozen=True)
class Node:
    """One node of the inventory.

    Attributes:
        name: the inventory's name (the report's row).
        group: its group.
        address: ``ssh://user@host[:port]``, ``replay:NAME`` (a recorded demo node) or ``local``.
        roles: the node's roles (:data:`mirtalib.runbook.session.ROLES`).
        vars: merged variables (fleet's own and page parameters), without ``pages``.
        page_vars: page number -> that page's own values.
        line: where the node is defined in the file.
    """

    name: str
    group: str
    address: str
    roles: tuple[str, ...]
    vars: dict[str, Any] = field(default_factory=dict)
    page_vars: dict[int, dict[str, Any]] = field(default_factory=dict)
    line: int = 0

    @property
    def is_replay(self) -> bool:
        """A recorded demo node (nothing real is read)."""
        return self.address.startswith("replay:")

    def applies(self, page: RunbookDef) -> bool:
        """The page applies to this node: they share a role (and a replay node has the page's
        recording: it is among the page's demo targets)."""
        if not set(page.roles) & set(self.roles):
            return False
        return not self.is_replay or self.address in _demo_targets(page)

    def why_not(self, page: RunbookDef) -> str:
        """Why :meth:`applies` is False, in words."""
        if not set(page.roles) & set(self.roles):
            return (
                f"page {page.page} applies to {', '.join(page.roles)}; {self.name} is "
                f"{', '.join(self.roles)}"
            )
        return f"page {page.page} has no recording on the demo node {self.address}"

    def values(self, page: RunbookDef) -> dict[str, Any]:
        """The page's parameter values on this node (the page's defaults fill the rest)."""
        names = {p.name for p in page.params}
        out = {k: v for k, v in self.vars.items() if k in names}
        out.update(self.page_vars.get(page.page, {}))
        return out

    @property
    def timeout(self) -> float:
        """Seconds to connect and to answer a liveness probe."""
        return float(self.vars.get("timeout", DEFAULTS["timeout"]))

    @property
    def command_timeout(self) -> float:
        """Seconds one command may take (a longer one is cut and the node probed)."""
        return float(self.vars.get("command_timeout", DEFAULTS["command_timeout"]))

    def target_options(self) -> dict[str, Any]:
        """Options for :func:`mirtalib.runbook.targets.open_target`."""
        if not self.address.startswith("ssh://"):
            return {}
        opts: dict[str, Any] = {"timeout": self.timeout, "io_timeout": self.command_timeout}
        if self.vars.get("ssh_key_path"):
            opts["key_filename"] = str(Path(str(self.vars["ssh_key_path"])).expanduser())
        if self.vars.get("known_hosts"):
            opts["known_hosts"] = str(Path(str(self.vars["known_hosts"])).expanduser())
        if self.vars.get("become"):
            opts["become"] = True
            if self.vars.get("become_password_env"):
                opts["become_password_env"] = str(self.vars["become_password_env"])
        return opts


@dataclass(frozen=True)
class Inventory:
    """The nodes of an inventory file, in file order."""

    path: str
    nodes: tuple[Node, ...]

    def node(self, name: str) -> Node:
        """The node called ``name`` (ParameterError naming the known ones)."""
        for n in self.nodes:
            if n.name == name:
                return n
        raise ParameterError(
            f"{self.path}: no node {name!r} (nodes: {', '.join(n.name for n in self.nodes)})"
        )


@cache
def _demo_targets(page: RunbookDef) -> frozenset[str]:
    return frozenset(t.strip() for t in page.demo_targets.split(",") if t.strip())


@cache
def all_pages() -> dict[int, RunbookDef]:
    """Page number -> runbook definition of every page."""
    return {n: runbooks.get(n) for n in runbooks.available()}


def _param_names() -> set[str]:
    return {p.name for d in all_pages().values() for p in d.params}


class _Lines:
    """Line numbers of the keys of a YAML text, by key path; duplicate keys are refused."""

    def __init__(self, text: str, where: str) -> None:
        self.where = where
        self.lines: dict[tuple[str, ...], int] = {}
        try:
            root = yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            at = f":{mark.line + 1}" if mark is not None else ""
            problem = getattr(exc, "problem", None) or str(exc)
            raise ParameterError(f"{where}{at}: not valid YAML: {problem}") from exc
        if root is not None:
            self._walk(root, ())

    def _walk(self, node: yaml.Node, path: tuple[str, ...]) -> None:
        if isinstance(node, yaml.MappingNode):
            seen: dict[str, int] = {}
            for key, value in node.value:
                name = str(key.value)
                line = key.start_mark.line + 1
                if name in seen:
                    raise ParameterError(
                        f"{self.where}:{line}: {'/'.join((*path, name))} is given twice (also "
                        f"line {seen[name]})"
                    )
                seen[name] = line
                self.lines[(*path, name)] = line
                self._walk(value, (*path, name))
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                self._walk(item, (*path, str(i)))

    def at(self, *path: Any) -> str:
        """``file:line`` of the deepest key of ``path`` that is known."""
        keys = tuple(str(p) for p in path)
        while keys and keys not in self.lines:
            keys = keys[:-1]
        return f"{self.where}:{self.lines[keys]}" if keys else self.where


def _mapping(value: Any, what: str, at: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ParameterError(f"{at}: {what} must be a mapping, not {type(value).__name__}")
    return value


def _roles(value: Any, at: str) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else value
    if items is None:
        return ()
    if not isinstance(items, list) or not all(isinstance(r, str) for r in items):
        raise ParameterError(f"{at}: roles must be a list of {', '.join(ROLES)}")
    bad = [r for r in items if r not in ROLES]
    if bad:
        raise ParameterError(
            f"{at}: unknown role(s) {', '.join(map(repr, bad))} (roles: {', '.join(ROLES)})"
        )
    return tuple(items)


def _check_fleet_var(name: str, value: Any, at: str) -> None:
    if name == "certificates":
        if not isinstance(value, list) or not all(
            isinstance(p, str) and p.startswith("/") for p in value
        ):
            raise ParameterError(f"{at}: certificates must be a list of absolute file paths")
    elif name in ("timeout", "command_timeout", "cert_warn_days", "cert_fail_days"):
        top = 600 if name.endswith("timeout") else 3650
        low = 1 if name.endswith("timeout") else 0
        if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= top:
            raise ParameterError(f"{at}: {name}={value!r} is not a number from {low} to {top}")
    elif name == "become":
        if not isinstance(value, bool):
            raise ParameterError(f"{at}: become must be true or false")
    elif name == "become_password_env":
        if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", value):
            raise ParameterError(
                f"{at}: become_password_env names an environment variable (e.g. "
                "MIRTA_SUDO_PASSWORD), never the password itself"
            )
    elif value is not None and not isinstance(value, str):
        raise ParameterError(f"{at}: {name} must be a file path")


def _vars(raw: Any, lines: _Lines, path: tuple[str, ...]) -> tuple[dict, dict[int, dict]]:
    """Check one ``vars`` mapping; returns (plain variables, page number -> page values)."""
    at = lines.at(*path)
    data = _mapping(raw, "vars", at)
    pages = all_pages()
    known = _param_names()
    plain: dict[str, Any] = {}
    per_page: dict[int, dict[str, Any]] = {}
    for name, value in data.items():
        here = lines.at(*path, name)
        if name == "pages":
            for key, values in _mapping(value, "pages", here).items():
                where = lines.at(*path, name, key)
                number = key if isinstance(key, int) else None
                if isinstance(key, str) and key.isdigit():
                    number = int(key)
                if number is None or number not in pages:
                    raise ParameterError(
                        f"{where}: unknown page {key!r} (pages: {min(pages)}-{max(pages)})"
                    )
                own = _mapping(values, f"pages/{key}", where)
                names = {p.name for p in pages[number].params}
                for pname in own:
                    if pname not in names:
                        raise ParameterError(
                            f"{lines.at(*path, name, key, pname)}: page {number} has no parameter "
                            f"{pname!r} (its parameters: {', '.join(sorted(names))})"
                        )
                per_page[number] = own
        elif name in FLEET_VARS:
            _check_fleet_var(name, value, here)
            plain[name] = value
        elif name in known:
            plain[name] = value
        else:
            raise ParameterError(
                f"{here}: unknown parameter {name!r}: no page has it and it is not one of the "
                f"fleet's own ({', '.join(FLEET_VARS)}); page-specific values go under pages: "
                "{N: {...}}"
            )
    return plain, per_page


def _merge(
    layers: Sequence[tuple[dict, dict[int, dict]]],
) -> tuple[dict[str, Any], dict[int, dict[str, Any]]]:
    plain: dict[str, Any] = dict(DEFAULTS)
    per_page: dict[int, dict[str, Any]] = {}
    for p, pp in layers:
        plain.update(p)
        for n, values in pp.items():
            per_page.setdefault(n, {}).update(values)
    return plain, per_page


def _address(value: Any, at: str) -> str:
    text = str(value or "").strip()
    if text == "local" or text.startswith(("ssh://", "replay:")):
        if text.startswith("ssh://") and "@" in text and ":" in text.split("@")[0][6:]:
            raise ParameterError(f"{at}: an address never carries a password (use keys)")
        return text
    raise ParameterError(
        f"{at}: address {value!r} is not ssh://user@host[:port], replay:NAME or local"
    )


def parse_inventory(text: str, where: str = "<inventory>") -> Inventory:
    """Read an inventory from YAML text (``where`` names it in errors)."""
    lines = _Lines(text, where)
    data = yaml.safe_load(text)
    top = _mapping(data, "the inventory", where)
    if set(top) != {"all"}:
        raise ParameterError(f"{lines.at(next(iter(top), ''))}: the inventory starts with all:")
    everything = _mapping(top["all"], "all", lines.at("all"))
    extra = set(everything) - _ALL_KEYS
    if extra:
        bad = sorted(extra)[0]
        raise ParameterError(
            f"{lines.at('all', bad)}: unknown key {bad!r} under all (keys: vars, children, hosts)"
        )
    base = _vars(everything.get("vars"), lines, ("all", "vars"))
    groups: list[tuple[str, dict, tuple[str, ...]]] = []
    if everything.get("hosts"):
        groups.append(("all", {"hosts": everything["hosts"]}, ("all",)))
    for gname, group in _mapping(everything.get("children"), "children", lines.at("all")).items():
        groups.append((str(gname), group, ("all", "children", str(gname))))
    nodes: list[Node] = []
    seen: dict[str, str] = {}
    for gname, group, gpath in groups:
        gat = lines.at(*gpath)
        group = _mapping(group, f"group {gname}", gat)
        bad = sorted(set(group) - _GROUP_KEYS)
        if bad:
            raise ParameterError(
                f"{lines.at(*gpath, bad[0])}: unknown key {bad[0]!r} in group {gname} "
                "(keys: roles, vars, hosts)"
            )
        groles = _roles(group.get("roles"), lines.at(*gpath, "roles"))
        gvars = _vars(group.get("vars"), lines, (*gpath, "vars"))
        for hname, host in _mapping(group.get("hosts"), "hosts", gat).items():
            hpath = (*gpath, "hosts", str(hname))
            hat = lines.at(*hpath)
            name = str(hname)
            if not _NAME.match(name):
                raise ParameterError(
                    f"{hat}: node name {name!r}: letters, digits, '.', '_' and '-' (up to 63)"
                )
            if name in seen:
                raise ParameterError(f"{hat}: node {name!r} is listed twice (also {seen[name]})")
            seen[name] = hat
            host = _mapping(host, f"node {name}", hat)
            bad = sorted(set(host) - _HOST_KEYS)
            if bad:
                raise ParameterError(
                    f"{lines.at(*hpath, bad[0])}: unknown key {bad[0]!r} for node {name} "
                    "(keys: address, roles, vars)"
                )
            if "address" not in host:
                raise ParameterError(f"{hat}: node {name} has no address")
            address = _address(host["address"], lines.at(*hpath, "address"))
            roles = tuple(
                dict.fromkeys(groles + _roles(host.get("roles"), lines.at(*hpath, "roles")))
            )
            if not roles:
                raise ParameterError(
                    f"{hat}: node {name} has no role (give roles to it or its group: "
                    f"{', '.join(ROLES)})"
                )
            hvars = _vars(host.get("vars"), lines, (*hpath, "vars"))
            plain, per_page = _merge([base, gvars, hvars])
            _refuse_secrets(plain, per_page, hat)
            node = Node(name, gname, address, roles, plain, per_page, int(hat.rsplit(":", 1)[1]))
            _validate_pages(node, hat)
            nodes.append(node)
    if not nodes:
        raise ParameterError(f"{where}: the inventory lists no node")
    return Inventory(where, tuple(nodes))


def _refuse_secrets(plain: dict[str, Any], per_page: dict[int, dict], at: str) -> None:
    """A value carrying a secret (a URL with a password, a typed-in ``*_env`` value, a secret of
    the environment) is refused, never shown: the inventory's values reach the reports."""
    from mirtalib.nbrun.params import refuse_secret_values

    refuse_secret_values(plain, where=at)
    for number, values in per_page.items():
        refuse_secret_values(values, where=f"{at} (page {number})")


def _validate_pages(node: Node, at: str) -> None:
    """Every page the node runs accepts its values (the page's own checks)."""
    for page in all_pages().values():
        if not node.applies(page):
            continue
        try:
            page.validate(node.values(page))
        except MirtaError as exc:
            raise ParameterError(f"{at}: node {node.name}, page {page.page}: {exc}") from exc


#: the demo inventory: the recorded demo nodes srv01 and srv02
DEMO_INVENTORY = Path(__file__).with_name("demo-inventory.yaml")


def load_inventory(path: str | Path) -> Inventory:
    """Read an inventory file (``demo``: :data:`DEMO_INVENTORY`); ParameterError when it cannot
    be read or is wrong."""
    file = DEMO_INVENTORY if str(path) == "demo" else Path(path).expanduser()
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ParameterError(f"inventory {file} cannot be read: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise ParameterError(f"inventory {file} is not UTF-8 text") from exc
    return parse_inventory(text, "demo-inventory.yaml" if file == DEMO_INVENTORY else str(file))


def page_selection(text: str | Sequence[int] | None) -> list[int]:
    """``"16,29"`` -> ``[16, 29]`` (every page when empty); ParameterError for an unknown one."""
    pages = all_pages()
    if text is None or text == "" or text == []:
        return list(pages)
    items = text.split(",") if isinstance(text, str) else list(text)
    out: list[int] = []
    for item in items:
        value = str(item).strip()
        if not value.isdigit() or int(value) not in pages:
            raise ParameterError(
                f"--pages: {value!r} is not a page number ({min(pages)}-{max(pages)})"
            )
        if int(value) not in out:
            out.append(int(value))
    return out


def known_vars() -> Mapping[str, str]:
    """The fleet's own variables and what they mean (for docs and the example file)."""
    return dict(FLEET_VARS)
