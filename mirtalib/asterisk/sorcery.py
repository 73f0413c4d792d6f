"""Realtime-vs-static merge of PJSIP objects as sorcery.conf decides it.

MiRTA keeps phones in realtime tables (``ps_endpoints``, ``ps_aors``, ``ps_auths``, ``ps_contacts``
...); a static ``pjsip.conf`` section (the Teams trunk of seed page 03) is only loaded when
sorcery.conf *also* maps that object type to ``config,pjsip.conf,criteria=type=<type>``. Rules
implemented here (Asterisk's ``ast_sorcery_apply_config`` then ``ast_sorcery_apply_default``):

* a module's section (``[res_pjsip]``, ``[res_pjsip_endpoint_identifier_ip]`` ...) lists wizards per
  object type, in order; a type it does not list keeps the module's built-in default (``config``
  on pjsip.conf for most types, ``astdb`` for contacts);
* a type mapped under a module that does not own it is not used (``identify`` belongs to
  ``res_pjsip_endpoint_identifier_ip``, not ``res_pjsip``);
* looking an object up by id asks the wizards in order: the first that has it wins, so a static
  section with the id of a realtime row listed earlier is *shadowed*;
* ``type/cache=...`` lines are caches, not sources.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable, Mapping

import pandas as pd

from mirtalib.asterisk._common import parser
from mirtalib.asterisk.conf import ConfDocument, parse_conf
from mirtalib.asterisk.conftree import effective_dict, objects
from mirtalib.errors import ParameterError, ParseError

log = logging.getLogger(__name__)


def _cfg(t: str) -> tuple[str, str]:
    return "config", f"pjsip.conf,criteria=type={t}"


#: module -> object type -> default (wizard, data) when sorcery.conf does not map the type.
MODULE_TYPES: dict[str, dict[str, tuple[str, str]]] = {
    "res_pjsip": {
        "system": _cfg("system"),
        "global": _cfg("global"),
        "transport": _cfg("transport"),
        "auth": _cfg("auth"),
        "domain_alias": _cfg("domain_alias"),
        "aor": _cfg("aor"),
        "endpoint": _cfg("endpoint"),
        "contact": ("astdb", "registrator"),
    },
    "res_pjsip_endpoint_identifier_ip": {"identify": _cfg("identify")},
    "res_pjsip_outbound_registration": {"registration": _cfg("registration")},
    "res_pjsip_outbound_publish": {"outbound-publish": _cfg("outbound-publish")},
    "res_pjsip_pubsub": {
        "inbound-publication": _cfg("inbound-publication"),
        "resource_list": _cfg("resource_list"),
    },
    "res_pjsip_publish_asterisk": {"asterisk-publication": _cfg("asterisk-publication")},
    "res_pjsip_phoneprov_provider": {"phoneprov": _cfg("phoneprov")},
}

#: the usual realtime family (extconfig.conf name = table) of each type, as MiRTA names them.
REALTIME_TABLES: dict[str, str] = {
    "endpoint": "ps_endpoints",
    "aor": "ps_aors",
    "auth": "ps_auths",
    "contact": "ps_contacts",
    "domain_alias": "ps_domain_aliases",
    "identify": "ps_endpoint_id_ips",
    "registration": "ps_registrations",
    "outbound-publish": "ps_outbound_publishes",
    "inbound-publication": "ps_inbound_publications",
    "asterisk-publication": "ps_asterisk_publications",
    "resource_list": "ps_resource_list",
    "system": "ps_systems",
    "global": "ps_globals",
    "transport": "ps_transports",
}

OWNER = {t: m for m, types in MODULE_TYPES.items() for t in types}


@dataclasses.dataclass(frozen=True)
class SorceryMapping:
    """One wizard mapping: ``endpoint=realtime,ps_endpoints`` under ``[res_pjsip]``.

    Attributes:
        module, object_type, wizard, data: as written (``data`` is everything after the wizard).
        cache: a ``type/cache=`` line (a cache in front of the sources, not a source).
        default: not written in sorcery.conf, the module's built-in default.
        lineno: line in sorcery.conf (0 for defaults).
    """

    module: str
    object_type: str
    wizard: str
    data: str
    cache: bool = False
    default: bool = False
    lineno: int = 0

    @property
    def source(self) -> str:
        """``realtime:ps_endpoints``, ``config:pjsip.conf``, ``astdb:registrator``."""
        first = self.data.split(",", 1)[0]
        return f"{self.wizard}:{first}" if first else self.wizard

    @property
    def filename(self) -> str:
        """For the config wizard: the file it reads."""
        return self.data.split(",", 1)[0] if self.wizard == "config" else ""

    @property
    def criteria(self) -> dict[str, str]:
        """For the config wizard: ``criteria=type=endpoint`` -> ``{"type": "endpoint"}``."""
        out = {}
        for part in self.data.split(",")[1:]:
            key, _, rest = part.partition("=")
            if key.strip() == "criteria" and "=" in rest:
                k, _, v = rest.partition("=")
                out[k.strip()] = v.strip()
        return out


@dataclasses.dataclass
class Sorcery:
    """sorcery.conf as read: mappings per module in order, and what was not used and why."""

    mappings: list[SorceryMapping]
    notes: list[str]

    def wizards(self, object_type: str) -> list[SorceryMapping]:
        """Source mappings that apply to ``object_type`` in lookup order (defaults if unmapped)."""
        owner = OWNER.get(object_type)
        own = [
            m
            for m in self.mappings
            if m.object_type == object_type and not m.cache and (owner is None or m.module == owner)
        ]
        if own:
            return own
        if owner is None:
            return []
        wizard, data = MODULE_TYPES[owner][object_type]
        return [SorceryMapping(owner, object_type, wizard, data, default=True)]

    def plan(self) -> pd.DataFrame:
        """Every known object type with its sources in order (``object_type, order, source,
        module, default``)."""
        rows = []
        for t in sorted(OWNER):
            for i, m in enumerate(self.wizards(t), start=1):
                rows.append((t, i, m.source, m.module, m.default))
        return pd.DataFrame(rows, columns=["object_type", "order", "source", "module", "default"])


@parser
def parse_sorcery(doc: ConfDocument | str | bytes) -> Sorcery:
    """Read sorcery.conf (text or a parsed document) into a :class:`Sorcery`."""
    if isinstance(doc, str | bytes | bytearray):
        doc = parse_conf(doc)
    if not isinstance(doc, ConfDocument):
        raise ParseError(f"sorcery.conf must be text or a ConfDocument, got {type(doc).__name__}")
    mappings: list[SorceryMapping] = []
    notes: list[str] = []
    for section in doc.sections:
        for line in section.body:
            if line.kind != "option":
                continue
            otype, _, suffix = line.key.partition("/")
            wizard, _, data = line.value.partition(",")
            m = SorceryMapping(
                section.name,
                otype.strip(),
                wizard.strip(),
                data.strip(),
                suffix.strip() == "cache",
                lineno=line.lineno,
            )
            mappings.append(m)
            owner = OWNER.get(m.object_type)
            if owner is not None and owner != section.name:
                notes.append(
                    f"line {line.lineno}: '{line.key}' under [{section.name}] is not used: "
                    f"{m.object_type} objects belong to [{owner}]"
                )
            if m.object_type == "transport" and m.wizard == "realtime" and not m.cache:
                notes.append(
                    f"line {line.lineno}: transports from realtime are read only at startup "
                    "(no reload); MiRTA keeps them in pjsip.conf"
                )
    return Sorcery(mappings, notes)


def merge_objects(
    sorcery: Sorcery,
    static: Mapping[str, ConfDocument],
    realtime: Mapping[str, Iterable[str]] | None = None,
) -> pd.DataFrame:
    """The effective PJSIP object set: which id comes from where, and which are not used.

    Args:
        sorcery: from :func:`parse_sorcery`.
        static: parsed static files by name (``{"pjsip.conf": doc}``).
        realtime: ids per realtime family (``{"ps_endpoints": ["100-DEVEL", ...]}``), e.g. read
            from the database; families not given are reported as one ``(not read)`` row.

    Returns:
        DataFrame ``object_type, id, source, status, reason`` where status is ``effective``,
        ``shadowed`` (an earlier source has the same id), ``ignored`` (a static section no wizard
        reads), ``unknown`` (realtime family not supplied) or ``error`` (a static section whose
        templates cannot be resolved).
    """
    realtime = {k: list(v) for k, v in (realtime or {}).items()}
    rows: list[tuple[str, str, str, str, str]] = []
    read_by_config: set[tuple[str, int]] = set()
    static_types: dict[str, list[tuple[str, str, int]]] = {}
    for fname, doc in static.items():
        for idx, s in enumerate(objects(doc)):
            try:
                values = effective_dict(doc, s)
            except ParseError as exc:
                rows.append(("?", s.name, f"config:{fname}", "error", str(exc)))
                continue
            otype = (values.get("type") or [""])[-1]
            static_types.setdefault(fname, []).append((otype, s.name, idx))
    for otype in sorted(OWNER):
        seen: dict[str, str] = {}
        for m in sorcery.wizards(otype):
            ids: list[str] = []
            if m.wizard == "realtime":
                family = m.data.split(",", 1)[0]
                if family not in realtime:
                    rows.append((otype, "(not read)", m.source, "unknown", "ids not supplied"))
                    continue
                ids = realtime[family]
            elif m.wizard == "config" and m.filename in static:
                crit = m.criteria
                for t, name, idx in static_types.get(m.filename, []):
                    if crit.get("type", t) == t:
                        ids.append(name)
                        read_by_config.add((m.filename, idx))
            else:
                continue
            for oid in ids:
                if oid in seen:
                    rows.append((otype, oid, m.source, "shadowed", f"{seen[oid]} answers first"))
                else:
                    seen[oid] = m.source
                    rows.append((otype, oid, m.source, "effective", ""))
    for fname, entries in static_types.items():
        for t, name, idx in entries:
            if (fname, idx) in read_by_config:
                continue
            if t not in OWNER:
                rows.append((t or "?", name, f"config:{fname}", "ignored", "no known type="))
                continue
            owner = OWNER[t]
            rows.append(
                (
                    t,
                    name,
                    f"config:{fname}",
                    "ignored",
                    f"sorcery.conf maps {t} without {fname}: add "
                    f"'{t}=config,{fname},criteria=type={t}' under [{owner}]",
                )
            )
    return pd.DataFrame(rows, columns=["object_type", "id", "source", "status", "reason"])


def ensure_static(
    doc: ConfDocument,
    types: Iterable[str] = ("endpoint", "aor", "identify"),
    *,
    filename: str = "pjsip.conf",
) -> list[str]:
    """Edit sorcery.conf so static ``filename`` objects of ``types`` load next to realtime ones.

    For each type mapped in its owner's section without a config wizard on ``filename``, adds
    ``type=config,filename,criteria=type=type`` right after the type's last mapping line (as seed
    page 03 shows). Types their module does not map already read ``pjsip.conf`` by default.

    Returns:
        One line per change made (empty when the document already allows it).
    """
    changes = []
    for t in types:
        owner = OWNER.get(t)
        if owner is None:
            raise ParameterError(f"unknown PJSIP object type {t!r}")
        for section in doc.find(owner):
            lines = [ln for ln in section.body if ln.kind == "option" and ln.key == t]
            if not lines:
                continue
            if any(ln.value.split(",")[:2] == ["config", filename] for ln in lines):
                continue
            value = f"config,{filename},criteria=type={t}"
            section.add(t, value, after=lines[-1])
            changes.append(f"[{owner}] {t}={value}")
    return changes
