"""The filter types every app's lists share: times in UTC, related records by id, yes/no."""

import datetime as dt

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _
from django_filters.fields import IsoDateTimeField
from django_filters.widgets import BooleanWidget
from drf_spectacular.utils import extend_schema_field

from core.api.fields import MAX_ID


class UtcDateTimeField(IsoDateTimeField):
    """An ISO 8601 time, converted to UTC before it reaches the database.

    Python accepts offsets up to ±23:59, PostgreSQL only up to ±15:59: passed through as
    given, "+21:00" would be a server error instead of a time.
    """

    def to_python(self, value):
        moment = super().to_python(value)
        if moment is None:
            return None
        try:
            return moment.astimezone(dt.UTC)
        except OverflowError:
            message = _("Enter a time in the years 1 to 9999.")
            raise forms.ValidationError(message, code="invalid") from None


class UtcDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcDateTimeField


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": MAX_ID})
class IdFilter(django_filters.NumberFilter):
    """A related record by id, not looked up: one you cannot see matches nothing, as if missing."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


class StrictBooleanWidget(BooleanWidget):
    """``true``/``false`` (or 1/0) as django-filter reads them; any other text kept for the field.

    django-filter's widget reads every unknown value as "no filter", so ``?is_done=maybe``
    listed everything instead of saying the value is wrong.
    """

    def value_from_datadict(self, data, files, name):
        value = super().value_from_datadict(data, files, name)
        raw = data.get(name)
        return raw if value is None and raw not in (None, "") else value


class BooleanChoiceField(forms.NullBooleanField):
    widget = StrictBooleanWidget

    def to_python(self, value):
        if value in (True, False, None):
            return value
        raise forms.ValidationError(_("Enter true or false."), code="invalid")


class BooleanFilter(django_filters.BooleanFilter):
    """A yes/no filter: ``true`` or ``false``; anything else is a 400 naming the parameter."""

    field_class = BooleanChoiceField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", StrictBooleanWidget)
        super().__init__(*args, **kwargs)
