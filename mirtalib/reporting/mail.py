"""Mail the per-tenant reports through an SMTP relay (STARTTLS or SMTPS, login).

The password is never a parameter: :attr:`SmtpSettings.password_env` names the environment
variable (or `.env` key) holding it, resolved at send time with :func:`mirtalib.secrets.
resolve_secret`, and any error text is scrubbed of it.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from mirtalib import validate
from mirtalib.errors import ParameterError, TargetError
from mirtalib.secrets import resolve_secret, scrub

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SmtpSettings:
    """How to reach the relay.

    Attributes:
        host, port: the relay (587 with STARTTLS, 465 with ``tls="ssl"``, 25 plain).
        sender: the From address.
        user: login name ("" = no login).
        password_env: NAME of the environment variable holding the password.
        tls: "starttls", "ssl" or "none" (none only without login).
        cafile: CA bundle to verify the relay's certificate ("" = system store).
        timeout: seconds.
    """

    host: str
    sender: str
    port: int = 587
    user: str = ""
    password_env: str = "MIRTA_SMTP_PASSWORD"  # noqa: S105 - the NAME of a variable
    tls: str = "starttls"
    cafile: str = ""
    timeout: float = 30.0

    def __post_init__(self) -> None:
        validate.host(self.host, "smtp_host")
        validate.port(self.port, "smtp_port")
        validate.email(self.sender, "mail_from")
        validate.env_var(self.password_env, "smtp_password_env")
        if self.tls not in ("starttls", "ssl", "none"):
            raise ParameterError(f"smtp_tls={self.tls!r}: use starttls, ssl or none")
        if self.user and self.tls == "none":
            raise ParameterError(
                "smtp_user is set but smtp_tls='none': refusing to send a password in clear text"
            )


def parse_recipients(text: str) -> dict[str, list[str]]:
    """``"ACME:ops@acme.example,cfo@acme.example; DEVEL:dev@devel.example"`` -> mapping.

    Raises:
        ParameterError: naming the part that cannot be read.
    """
    out: dict[str, list[str]] = {}
    for part in filter(None, (p.strip() for p in (text or "").split(";"))):
        tenant, sep, addrs = part.partition(":")
        if not sep:
            raise ParameterError(f"mail_to: {part!r} is not TENANT:address[,address]")
        code = validate.tenant(tenant.strip(), "mail_to tenant")
        out[code] = [validate.email(a.strip(), "mail_to") for a in addrs.split(",") if a.strip()]
    return out


def _context(settings: SmtpSettings) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=settings.cafile or None)


def _connect(settings: SmtpSettings, password: str | None) -> smtplib.SMTP:
    if settings.tls == "ssl":
        conn: smtplib.SMTP = smtplib.SMTP_SSL(
            settings.host, settings.port, timeout=settings.timeout, context=_context(settings)
        )
    else:
        conn = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
        try:
            conn.ehlo()
            if settings.tls == "starttls":
                conn.starttls(context=_context(settings))
                conn.ehlo()
        except (OSError, smtplib.SMTPException):
            conn.close()
            raise
    if settings.user:
        try:
            conn.login(settings.user, password or "")
        except (OSError, smtplib.SMTPException):
            conn.close()
            raise
    return conn


def send_reports(
    reports: Mapping[str, Path],
    recipients: Mapping[str, list[str]],
    settings: SmtpSettings,
    subject: str = "CDR report {tenant}",
) -> list[dict]:
    """Send each tenant's HTML page to that tenant's recipients (one message per tenant).

    Returns:
        One dict per tenant with recipients: tenant, to, status ("sent"), message_id.

    Raises:
        TargetError: the relay cannot be reached, refuses the login or a message (the message
            names host and port and never contains the password).
    """
    results = []
    password = resolve_secret(settings.password_env) if settings.user else None
    try:
        conn = _connect(settings, password)
    except (OSError, smtplib.SMTPException, ssl.SSLError) as exc:
        raise TargetError(scrub(f"SMTP relay {settings.host}:{settings.port}: {exc}")) from None
    try:
        for tenant, path in reports.items():
            to = recipients.get(tenant, [])
            if not to:
                continue
            msg = EmailMessage()
            msg["Subject"] = subject.format(tenant=tenant)
            msg["From"] = settings.sender
            msg["To"] = ", ".join(to)
            msg["Date"] = formatdate(localtime=False)
            msg["Message-ID"] = make_msgid(domain=settings.sender.split("@")[-1])
            title = subject.format(tenant="").strip() or "report"
            msg.set_content(f"The {title} of tenant {tenant} is attached as HTML.")
            html = Path(path).read_text(encoding="utf-8")
            msg.add_alternative(html, subtype="html")
            try:
                conn.send_message(msg)
            except smtplib.SMTPException as exc:
                raise TargetError(
                    scrub(f"SMTP relay refused the report of {tenant}: {exc}")
                ) from None
            results.append(
                {
                    "tenant": tenant,
                    "to": ", ".join(to),
                    "status": "sent",
                    "message_id": msg["Message-ID"],
                }
            )
            log.info("mailed the report of %s to %d recipients", tenant, len(to))
    finally:
        try:
            conn.quit()
        except (OSError, smtplib.SMTPException):
            conn.close()
    return results
