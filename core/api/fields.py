"""Serializer fields for records named by id, resolved only among those the user may use.

A client cannot probe for records it may not see: an id outside ``visible_to`` gets the
same "no such record" message as an id that does not exist.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Model, QuerySet
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

# The largest primary key a column holds: a larger id is invalid input, not something to
# send to the database (SQLite cannot even bind it).
MAX_ID = 2**63 - 1


def id_field(**kwargs: Any) -> serializers.IntegerField:
    """An id in a request that names no model field (an action's parameter)."""
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, **kwargs)


class VisibleRelatedField(serializers.PrimaryKeyRelatedField):
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
