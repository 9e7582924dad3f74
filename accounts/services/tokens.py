"""Personal API tokens: issuing and revoking them (``accounts.api.authentication`` reads them).

A key is 40 random URL-safe characters. The database keeps its SHA-256 only, and a request
is matched by looking that hash up: no stored secret is ever compared character by
character, so response times reveal nothing about it, and a stolen database backup holds no
usable key.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import ApiToken, User

NAME_MAX_LENGTH: int = ApiToken._meta.get_field("name").max_length or 100


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedToken:
    """A new token and its key: the only moment the key exists outside the caller's hands."""

    token: ApiToken
    key: str


@transaction.atomic
def issue_api_token(
    *, user: User, name: str, expires_at: dt.datetime | None = None, by: User
) -> IssuedToken:
    """Create a token for ``user``; raises PermissionDenied unless ``by`` is that user."""
    if by.pk != user.pk or not user.is_active:
        raise PermissionDenied(_("You may create tokens for yourself only."))
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("Give the token a name.")})
    if len(name) > NAME_MAX_LENGTH:
        raise ValidationError(
            {"name": _("Use at most %(count)d characters.") % {"count": NAME_MAX_LENGTH}}
        )
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": _("Choose an expiry date in the future.")})
    key = secrets.token_urlsafe(30)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        key_prefix=key[: ApiToken.PREFIX_LENGTH],
        key_hash=hash_key(key),
        expires_at=expires_at,
    )
    return IssuedToken(token=token, key=key)


@transaction.atomic
def revoke_api_token(*, token_id: int, by: User) -> ApiToken:
    """Revoke one of ``by``'s tokens for good; revoking twice keeps the first time.

    Raises ApiToken.DoesNotExist for a token that is not ``by``'s own (a 404).
    """
    token = ApiToken.objects.editable_by(by).select_for_update().get(pk=token_id)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


@transaction.atomic
def revoke_users_api_tokens(*, token_ids: list[int], by: User) -> int:
    """An admin revokes any users' tokens (the Django admin's action); returns how many.

    Tokens already revoked keep their first revocation time.
    """
    if not by.is_admin:
        raise PermissionDenied(_("Only admins may revoke other users' tokens."))
    return ApiToken.objects.filter(pk__in=token_ids, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
