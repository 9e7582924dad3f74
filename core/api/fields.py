"""Serializer fields for records named by id, resolved only among those the user may use.

A client cannot probe for records it may not see: an id outside ``visible_to`` gets the
same "no such record" message as an id that does not exist. Every id is read as a whole
number in a primary key's range before any query: ``1.5`` is refused, not read as 1, and
``1e400`` (infinity) or ``2**70`` never reach the database.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Model, QuerySet
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

# The largest primary key a column holds: a larger id is invalid input, not something to
# send to the database (SQLite cannot even bind it).
MAX_ID = 2**63 - 1


def id_field(**kwargs: Any) -> serializers.IntegerField:
    """An id in a request that names no model field (an action's parameter)."""
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, **kwargs)


# How every id in a body is read: "7", 7 and 7.0 are 7; 7.5, "x", true and 1e400 are not ids.
_WHOLE_NUMBER = serializers.IntegerField()


class RecordIdField(serializers.PrimaryKeyRelatedField):
    """A related record by id: DRF's field, with the id checked before it is looked up.

    DRF passes what the client sent to ``queryset.get(pk=...)``, where a float is truncated
    and an infinite or huge number is an OverflowError. Use this field (or a subclass)
    wherever a request names a record by id, and as ``serializer_related_field``.
    """

    def to_internal_value(self, data: Any) -> Model:
        pk = _WHOLE_NUMBER.to_internal_value(data)
        if not 1 <= pk <= MAX_ID:
            self.fail("does_not_exist", pk_value=pk)  # no row has it: skip the query
        return super().to_internal_value(pk)


class VisibleRelatedField(RecordIdField):
    """A related record by id; it must be visible to the requesting user."""

    default_error_messages = {
        "does_not_exist": _("No such record, or none you may see (id {pk_value})."),
    }

    def __init__(self, model: type[Model], **kwargs: Any) -> None:
        self.model = model
        kwargs.setdefault("queryset", model._default_manager.all())
        super().__init__(**kwargs)

    def get_queryset(self) -> QuerySet:
        return self.model.objects.visible_to(self.context["request"].user)  # type: ignore[attr-defined]


class StrictBooleanField(serializers.BooleanField):
    """``true`` or ``false``: a JSON boolean, or in a form body the form's text for one.

    DRF's field also reads 0, 1, "yes" or "off" from JSON as booleans, which the schema
    (``type: boolean``) does not offer; a client sending them is told so instead.
    """

    def to_internal_value(self, data: Any) -> bool:
        from_form = isinstance(getattr(self.root, "initial_data", None), QueryDict)
        if not (isinstance(data, bool) or from_form):
            self.fail("invalid", input=data)
        return super().to_internal_value(data)


class JsonTextMixin:
    """Text must come as text: DRF's CharField also takes 0 or 1.5 and stores "0", "1.5"."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")  # type: ignore[attr-defined]
        return super().to_internal_value(data)  # type: ignore[misc]


class TextField(JsonTextMixin, serializers.CharField):
    pass


class EmailTextField(JsonTextMixin, serializers.EmailField):
    pass


class UrlTextField(JsonTextMixin, serializers.URLField):
    pass


class SlugTextField(JsonTextMixin, serializers.SlugField):
    pass
