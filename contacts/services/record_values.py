"""Custom values inside a company's, contact's or lead's own create and edit.

The record services accept ``custom_fields`` (field key -> raw value) among their fields and
set it with ``apply_custom_values``, so a form, the API or an import writes a record and
its custom values in one save: nothing half written.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from contacts.models import RecordField
from core.custom_fields.values import clean_values, merged_values


def record_fields(record: str) -> QuerySet[RecordField]:
    """The fields of one kind of record, archived ones too, in their order."""
    return RecordField.objects.filter(record=record).order_by("position", "pk")


def active_record_fields(record: str) -> list[RecordField]:
    """The fields forms, pages, lists and the API show for ``record``: one query."""
    return list(record_fields(record).filter(archived_at__isnull=True))


def apply_custom_values(record: str, instance: Any, fields: Mapping[str, object]) -> bool:
    """Check ``fields["custom_fields"]`` (if given) and merge it into the in-memory record.

    Returns whether the stored values changed. ValidationError names each bad field
    (``custom_fields.<key>``); nothing is written here.
    """
    if "custom_fields" not in fields:
        return False
    raw = fields["custom_fields"]
    if raw is None:
        return False
    if not isinstance(raw, Mapping):
        raise ValidationError(
            {"custom_fields": _("Give custom fields as an object of field keys and values.")}
        )
    before = dict(instance.custom_fields or {})
    merged = merged_values(before, clean_values(active_record_fields(record), raw))
    instance.custom_fields = merged
    return merged != before
