"""Filters the contact, company and deal lists share: owner and a range of days, and the
filters apps above contacts add to the contact and company lists (``contacts.extensions``).

Each filter reads from the URL and narrows a queryset that is already ``visible_to`` the
user, so an id the user cannot see simply matches nothing. Their option lists cost one
query each, whatever the number of rows listed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.forms import BoundField
from django.utils import timezone

from accounts.models import User
from accounts.visibility import visible_users
from contacts.extensions import list_filters
from contacts.models import Company, Contact
from core.lists import ListFilterForm

ME = "me"


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


class RecordFilterForm(ListFilterForm):
    """A contact or company list's filters, with those the apps above contacts registered."""

    model: type[Company] | type[Contact]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for list_filter in list_filters(self.model):
            self.fields[list_filter.name] = list_filter.field()


@dataclass(frozen=True)
class FilterControl:
    """A registered filter as the list's template shows it: ``{% include control.template %}``."""

    template: str
    field: BoundField
    field_id: str


def registered_filter_controls(form: RecordFilterForm, id_prefix: str) -> list[FilterControl]:
    return [
        FilterControl(
            template=list_filter.template,
            field=form[list_filter.name],
            field_id=f"{id_prefix}-filter-{list_filter.name.replace('_', '-')}",
        )
        for list_filter in list_filters(form.model)
    ]


def apply_registered_filters(queryset: QuerySet, user: User, filters: dict[str, Any]) -> QuerySet:
    """Narrow ``queryset`` (visible to ``user``) by each registered filter given a value."""
    for list_filter in list_filters(queryset.model):
        value = filters.get(list_filter.name)
        if value not in (None, ""):
            queryset = list_filter.apply(queryset, user, value)
    return queryset
