"""Scheduled reports: one HTML page per tenant from one run, optionally mailed via SMTP."""

from mirtalib.reporting.html import render_tenant_html, write_tenant_reports
from mirtalib.reporting.mail import SmtpSettings, parse_recipients, send_reports

__all__ = [
    "SmtpSettings",
    "parse_recipients",
    "render_tenant_html",
    "send_reports",
    "write_tenant_reports",
]
