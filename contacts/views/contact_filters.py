"""Filters the contact, company and deal lists share: owner and a range of days.

Each filter reads from the URL and narrows a queryset that is already ``visible_to`` the
user, so an id the user cannot see simply matches nothing. Their option lists cost one
query each, whatever the number of rows listed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.visibility import owner_visible_q, visible_users

ME = "me"
# Deal statuses are pipeline's; contacts reaches deals only through the relation pipeline
# declares onto Company and Contact ("opportunities"), without importing pipeline.
OPEN_DEAL_STATUS = "open"
OPEN_DEAL_CHOICES = [
    ("", _("With or without open deals")),
    ("yes", _("With open deals")),
    ("no", _("Without open deals")),
]


class OwnerFilterField(forms.CharField):
    """``me`` (whoever opens the link) or a user id; anything else filters nothing."""

    def to_python(self, value: Any) -> str | int | None:
        text = super().to_python(value).strip()
        if text == ME:
            return ME
        return int(text) if text.isdigit() else None


class DateFilterField(forms.DateField):
    widget = forms.DateInput(attrs={"type": "date"})

    def to_python(self, value: Any) -> dt.date | None:
        # A half-typed date leaves the filter off instead of failing the whole list.
        try:
            return super().to_python(value)
        except forms.ValidationError:
            return None


def visible_owners(user: User) -> QuerySet[User]:
    """The people whose records ``user`` can see: the owner filter's options."""
    return visible_users(user).order_by("first_name", "last_name", "pk")


def filter_by_owner(
    queryset: QuerySet, owner: str | int | None, user: User, path: str = "owner"
) -> QuerySet:
    if owner == ME:
        return queryset.filter(**{path: user.pk})
    if owner is not None:
        return queryset.filter(**{path: owner})
    return queryset


def local_day_start(day: dt.date) -> dt.datetime:
    """Midnight of ``day`` in the active time zone (the user's), as an aware datetime."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def filter_by_days(
    queryset: QuerySet, field: str, start: dt.date | None, end: dt.date | None
) -> QuerySet:
    """Rows whose ``field`` (a datetime) falls on ``start`` through ``end``, in local days."""
    if start is not None:
        queryset = queryset.filter(**{f"{field}__gte": local_day_start(start)})
    if end is not None:
        queryset = queryset.filter(**{f"{field}__lt": local_day_start(end + dt.timedelta(days=1))})
    return queryset


def filter_by_open_deals(queryset: QuerySet, user: User, choice: str) -> QuerySet:
    """Records with ("yes") or without ("no") an open deal ``user`` can see; a semi-join,
    so a record with many deals is still listed once."""
    if not choice:
        return queryset
    having = queryset.model._default_manager.filter(opportunities__status=OPEN_DEAL_STATUS)
    condition = owner_visible_q(user, "opportunities__owner")
    if condition is not None:
        having = having.filter(condition)
    subquery = {"pk__in": having.values("pk")}
    return queryset.filter(**subquery) if choice == "yes" else queryset.exclude(**subquery)
