"""A user's own settings: name, e-mail, time zone and the daily digest."""

from __future__ import annotations

import zoneinfo
from functools import cache

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User


@cache
def time_zone_names() -> list[str]:
    return sorted(zoneinfo.available_timezones())


@transaction.atomic
def update_profile(
    *,
    user: User,
    by: User,
    first_name: str,
    last_name: str,
    email: str,
    time_zone: str,
    daily_digest: bool,
) -> User:
    """Save a user's own settings; only they change them here (admins use the admin site).

    An empty time zone means the site's default. The daily digest needs an e-mail address.
    """
    if by.pk != user.pk:
        raise PermissionDenied(_("You may change your own profile only."))
    email = email.strip()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise ValidationError({"email": _("Enter a valid e-mail address.")}) from None
    if time_zone and time_zone not in time_zone_names():
        raise ValidationError({"time_zone": _("Choose a time zone from the list.")})
    if daily_digest and not email:
        raise ValidationError(
            {"daily_digest": _("The daily digest is sent by e-mail: enter your address first.")}
        )
    user.first_name = first_name.strip()
    user.last_name = last_name.strip()
    user.email = email
    user.time_zone = time_zone
    user.daily_digest = daily_digest
    user.save(update_fields=["first_name", "last_name", "email", "time_zone", "daily_digest"])
    return user
