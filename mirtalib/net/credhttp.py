"""HTTP requests that carry a credential (``Authorization``): https only, verified, one origin.

Every page that sends a credential from this machine (page 24's RPS ``registerDevice``, page 34's
Watson probe) goes through :func:`open_with_credentials`:

- the URL must be ``https://`` (:func:`require_https` raises :class:`ParameterError` for
  ``http://``: the credential would cross the network in clear text);
- the server certificate is verified against the system store (or ``cafile``) with the host name
  checked (``ssl.create_default_context``); there is no switch to turn that off;
- a redirect is followed only to the same origin (scheme, host, port): urllib copies every header,
  ``Authorization`` included, to wherever a redirect points, so a redirect to another host or to
  ``http://`` is refused with :class:`RedirectRefused` and nothing is sent there.
"""

from __future__ import annotations

import ssl
import urllib.request
from typing import Any
from urllib.parse import urlsplit

from mirtalib.errors import DataSourceError, ParameterError

_DEFAULT_PORTS = {"https": 443, "http": 80}


class RedirectRefused(DataSourceError):
    """A credentialed request was redirected to another origin; the redirect was not followed."""


def require_https(url: str, name: str) -> str:
    """Return ``url`` when it is ``https://``; else a ParameterError naming parameter ``name``."""
    scheme = urlsplit(url).scheme.lower()
    if scheme != "https":
        raise ParameterError(
            f"parameter {name}={url!r}: credentials are sent only over https:// (with the "
            f"server certificate verified), not {scheme or 'a URL without scheme'}://"
        )
    return url


def origin(url: str) -> tuple[str, str, int | None]:
    """``(scheme, host, port)`` of a URL, the port filled in for http/https."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    return scheme, (parts.hostname or "").lower(), parts.port or _DEFAULT_PORTS.get(scheme)


class _SameOriginRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        if origin(newurl) != origin(req.full_url):
            scheme, host, port = origin(newurl)
            fp.close()
            raise RedirectRefused(
                f"{req.full_url} redirected (HTTP {code}) to {scheme}://{host}:{port}, another "
                "origin: not followed, the credentials are sent only to the host named"
            )
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def open_with_credentials(
    request: urllib.request.Request,
    *,
    name: str,
    timeout: float,
    cafile: str | None = None,
) -> Any:
    """``urlopen`` for a request carrying a credential (see the module docstring).

    Args:
        request: the request, its ``Authorization`` header set.
        name: the parameter that gave the URL (for the message when it is not https).
        timeout: seconds.
        cafile: CA bundle to verify the server with (None: the system store, ``SSL_CERT_FILE``).

    Returns:
        The response (a context manager), as ``urllib.request.urlopen`` returns it.

    Raises:
        ParameterError: the URL is not https.
        RedirectRefused: the server redirected to another origin.
        urllib.error.URLError / OSError: as urlopen (certificate errors included).
    """
    require_https(request.full_url, name)
    context = ssl.create_default_context(cafile=cafile)
    opener = urllib.request.build_opener(
        urllib.request.HTTPSHandler(context=context), _SameOriginRedirect()
    )
    return opener.open(request, timeout=timeout)
