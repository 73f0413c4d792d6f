"""The objects ``pjsip show ...`` prints, as read by :mod:`mirtalib.asterisk.pjsip`."""

from __future__ import annotations

import dataclasses

from mirtalib.asterisk._common import Reject


@dataclasses.dataclass(frozen=True)
class PjsipTransport:
    """``Transport:  transporttls  tls  0  0  0.0.0.0:5091``."""

    name: str
    protocol: str
    cos: int
    tos: int
    bind: str

    @property
    def port(self) -> int | None:
        """Bound port (None when the bind address has none)."""
        _, _, port = self.bind.rpartition(":")
        return int(port) if port.isascii() and port.isdigit() else None


@dataclasses.dataclass(frozen=True)
class PjsipContact:
    """``Contact:  aor/sip:100-DEVEL@192.168.1.50:5060;ob  c3a9f2e1b4 Avail  12.345``.

    ``status`` is Avail, Unavail, NonQual, Unknown, Created or Removed; ``rtt_ms`` NaN when not
    qualified.
    """

    aor: str
    uri: str
    hash: str
    status: str
    rtt_ms: float


@dataclasses.dataclass
class PjsipAor:
    """``Aor:  name  max_contacts`` with its contacts (and parameters for ``show aor X``)."""

    name: str
    max_contacts: int
    contacts: list[PjsipContact] = dataclasses.field(default_factory=list)


@dataclasses.dataclass(frozen=True)
class PjsipChannel:
    """A ``Channel:`` line (and its ``Exten:`` line when printed).

    Asterisk prints ``<channel>/<application>`` (``PJSIP/100-DEVEL-00000000/AppDial2``): the
    two are split; ``time`` is ``hh:mm:ss`` since the channel was created.
    """

    channel: str
    state: str
    time: str
    exten: str = ""
    clcid: str = ""
    application: str = ""


@dataclasses.dataclass(frozen=True)
class PjsipAuth:
    """``Auth:  100-DEVEL/100-DEVEL`` (``pjsip show auths``): auth id and user name."""

    name: str
    username: str


@dataclasses.dataclass
class PjsipIdentify:
    """``Identify:  trunk-id/trunk`` and its ``Match:`` lines (``pjsip show identifies``)."""

    name: str
    endpoint: str
    matches: list[str] = dataclasses.field(default_factory=list)


@dataclasses.dataclass(frozen=True)
class PjsipRegistration:
    """An outbound registration line of ``pjsip show registrations``.

    Attributes:
        name: registration id; server_uri: as printed (Asterisk may cut it); auth: outbound
            auth id (``n/a`` when none); status: Registered, Unregistered or Rejected;
            expires_s: seconds until the registration expires (negative: expired that long ago),
            None when not printed.
    """

    name: str
    server_uri: str
    auth: str
    status: str
    expires_s: int | None

    @property
    def registered(self) -> bool:
        """True when the registrar accepted the registration."""
        return self.status == "Registered"


@dataclasses.dataclass
class PjsipEndpoint:
    """An ``Endpoint:`` block.

    Attributes:
        name, callerid: from ``name/cid`` (callerid "" when not set).
        state: ``Not in use``, ``In use``, ``Unavailable`` ...; channels_in_use/max_channels
            (``inf`` -> None).
        in_auths, out_auths: auth ids; aors: AOR blocks; transports: the endpoint's transport lines;
        identifies: identify ids; matches: their ``Match:`` criteria; channels: active channels.
    """

    name: str
    callerid: str
    state: str
    channels_in_use: int
    max_channels: int | None
    in_auths: list[str] = dataclasses.field(default_factory=list)
    out_auths: list[str] = dataclasses.field(default_factory=list)
    aors: list[PjsipAor] = dataclasses.field(default_factory=list)
    transports: list[PjsipTransport] = dataclasses.field(default_factory=list)
    identifies: list[str] = dataclasses.field(default_factory=list)
    matches: list[str] = dataclasses.field(default_factory=list)
    channels: list[PjsipChannel] = dataclasses.field(default_factory=list)

    @property
    def contacts(self) -> list[PjsipContact]:
        """Contacts of all its AORs."""
        return [c for a in self.aors for c in a.contacts]

    @property
    def available(self) -> bool:
        """True when at least one contact answers qualify (Avail) or is not qualified (NonQual)."""
        return any(c.status in {"Avail", "NonQual"} for c in self.contacts)


@dataclasses.dataclass
class PjsipReport:
    """Everything a ``pjsip show ...`` output held.

    Attributes:
        endpoints, aors, transports, contacts, auths, identifies, channels, registrations:
            top-level objects in order (objects nested in an endpoint block are not repeated at
            top level).
        params: the ``ParameterName : ParameterValue`` table (``show endpoint X``/``show aor X``).
        objects_found: the ``Objects found: N`` footer, None when absent.
        not_found: the name in ``Unable to find object X.`` ("" for ``No objects found.``), None
            when the object was found.
        rejects: lines that could not be read.
    """

    endpoints: list[PjsipEndpoint] = dataclasses.field(default_factory=list)
    aors: list[PjsipAor] = dataclasses.field(default_factory=list)
    transports: list[PjsipTransport] = dataclasses.field(default_factory=list)
    contacts: list[PjsipContact] = dataclasses.field(default_factory=list)
    auths: list[PjsipAuth] = dataclasses.field(default_factory=list)
    identifies: list[PjsipIdentify] = dataclasses.field(default_factory=list)
    channels: list[PjsipChannel] = dataclasses.field(default_factory=list)
    registrations: list[PjsipRegistration] = dataclasses.field(default_factory=list)
    params: dict[str, str] = dataclasses.field(default_factory=dict)
    objects_found: int | None = None
    not_found: str | None = None
    rejects: list[Reject] = dataclasses.field(default_factory=list)
