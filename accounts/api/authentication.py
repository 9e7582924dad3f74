"""Authenticating API requests with a personal API token: ``Authorization: Bearer <key>``.

The key is matched by looking its SHA-256 up (``accounts.services.tokens.hash_key``): no
stored secret is compared character by character, so response times reveal nothing.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from accounts.models import ApiToken, User
from accounts.services.tokens import hash_key

# Recording every request would write a row per call; a minute is precise enough to tell
# a token in use from an abandoned one.
LAST_USED_PRECISION = dt.timedelta(minutes=1)
KEYWORDS = (b"bearer", b"token")  # "Token <key>" is the form DRF's own tokens used


def authenticate_key(key: str) -> tuple[User, ApiToken]:
    """The user and token a key stands for; AuthenticationFailed names what is wrong."""
    try:
        token = ApiToken.objects.select_related("user").get(key_hash=hash_key(key))
    except ApiToken.DoesNotExist:
        raise exceptions.AuthenticationFailed(_("Invalid API token.")) from None
    now = timezone.now()
    if token.revoked_at is not None:
        raise exceptions.AuthenticationFailed(_("This API token has been revoked."))
    if token.is_expired(now):
        raise exceptions.AuthenticationFailed(_("This API token has expired."))
    if not token.user.is_active:
        raise exceptions.AuthenticationFailed(_("The user of this API token is inactive."))
    if token.last_used_at is None or token.last_used_at <= now - LAST_USED_PRECISION:
        # Conditional, so concurrent requests of one token write once per minute at most.
        ApiToken.objects.filter(pk=token.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - LAST_USED_PRECISION)
        ).update(last_used_at=now)
        token.last_used_at = now
    return token.user, token


class ApiTokenAuthentication(BaseAuthentication):
    """``Authorization: Bearer <key>`` (or ``Token <key>``); ``request.auth`` is the ApiToken.

    Listed before session authentication so that DRF answers an unauthenticated request
    with 401 and a ``WWW-Authenticate`` header rather than 403.
    """

    def authenticate(self, request: HttpRequest) -> tuple[User, ApiToken] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() not in KEYWORDS:
            return None  # not ours: session authentication may still apply
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(
                _("Send the header as 'Authorization: Bearer <key>', with no spaces in the key.")
            )
        try:
            key = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(_("Invalid API token.")) from None
        return authenticate_key(key)

    def authenticate_header(self, request: HttpRequest) -> str:
        return 'Bearer realm="api"'
