"""Where a webhook may point: http(s) URLs without credentials, on public addresses.

A webhook makes the server send requests to a URL an admin typed, so a careless (or hostile)
URL could reach services that only trust the internal network: the cloud metadata endpoint,
Redis, the database. Deliveries therefore go to public addresses only, checked when the URL
is saved (for literal addresses) and again when it is resolved for each attempt (a name can
resolve to a private address later). The connection is made to the very address checked, so
a second DNS answer cannot slip an internal one in. ``WEBHOOK_ALLOW_PRIVATE_HOSTS`` lifts the
rule for development and tests, where the receiver runs on 127.0.0.1.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

SCHEMES = {"http": 80, "https": 443}


@dataclass(frozen=True)
class Target:
    """A webhook URL taken apart and resolved: connect to ``address``, name ``host``."""

    scheme: str
    host: str
    port: int
    path: str
    address: str


def _private_hosts_allowed() -> bool:
    return bool(getattr(settings, "WEBHOOK_ALLOW_PRIVATE_HOSTS", False))


def _is_public(address: str) -> bool:
    return ipaddress.ip_address(address).is_global


def check_url(url: str) -> None:
    """Raise ValidationError (on ``url``) unless a webhook may use this URL."""
    parts = urlsplit(url.strip())
    if parts.scheme not in SCHEMES:
        raise ValidationError({"url": _("Use an http:// or https:// URL.")})
    if parts.username or parts.password:
        raise ValidationError(
            {"url": _("Leave credentials out of the URL: the signature authenticates us.")}
        )
    if not parts.hostname:
        raise ValidationError({"url": _("Enter the host name the webhook should reach.")})
    try:
        parts.port  # noqa: B018 - raises ValueError for a port outside 0-65535
    except ValueError:
        raise ValidationError({"url": _("The port number is not valid.")}) from None
    if _private_hosts_allowed():
        return
    if parts.hostname == "localhost" or parts.hostname.endswith(".localhost"):
        raise ValidationError({"url": _("Webhooks cannot reach this server's own network.")})
    try:
        if not _is_public(parts.hostname):
            raise ValidationError({"url": _("Webhooks cannot reach private network addresses.")})
    except ValueError:
        pass  # a name, not an address: checked each time it is resolved


class TargetRefused(Exception):
    """The URL cannot be delivered to: a bad URL, an unknown host or a private address.

    ``is_transient`` when trying again later may help (a name that did not resolve).
    """

    def __init__(self, message: str, *, is_transient: bool = False) -> None:
        super().__init__(message)
        self.is_transient = is_transient


def resolve(url: str) -> Target:
    """The URL's parts and the address to connect to; raises TargetRefused."""
    try:
        check_url(url)
    except ValidationError as error:
        raise TargetRefused(" ".join(error.messages)) from None
    parts = urlsplit(url.strip())
    host = parts.hostname or ""
    port = parts.port or SCHEMES[parts.scheme]
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        message = _("Cannot resolve %(host)s: %(error)s") % {"host": host, "error": error}
        raise TargetRefused(message, is_transient=True) from None
    addresses = [str(info[4][0]) for info in infos]
    if not _private_hosts_allowed() and not all(_is_public(address) for address in addresses):
        raise TargetRefused(
            _("%(host)s resolves to a private network address; deliveries go to public ones.")
            % {"host": host}
        )
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return Target(scheme=parts.scheme, host=host, port=port, path=path, address=addresses[0])
