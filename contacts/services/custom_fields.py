"""Custom fields of companies, contacts and leads: defining them (admins), setting values.

A record's values are one JSON column on its row, so setting them is one UPDATE of the
record, after every value is checked against its field: nothing half written.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from contacts.models import RECORD_MODELS, RecordField, RecordKind
from contacts.services.people import editable_record
from contacts.services.record_values import active_record_fields, record_fields
from core.custom_fields.services import (
    FieldSpec,
    apply_spec,
    check_admin,
    reorder,
    save_new,
    set_archived,
)
from core.custom_fields.values import clean_values, merged_values

DENIED = {
    RecordKind.COMPANY: _("Only the company's owner or their manager may change it."),
    RecordKind.CONTACT: _("Only the contact's owner or their manager may change it."),
    RecordKind.LEAD: _("Only the lead's owner or their manager may change it."),
}


@transaction.atomic
def define_record_field(*, by: User, record: str, spec: FieldSpec) -> RecordField:
    """Add a field to ``record`` (company, contact or lead), last in order; admins only."""
    check_admin(by)
    definition = RecordField(record=record)
    apply_spec(definition, spec)
    # Serialises defines of this kind of record, so two never compute the same key.
    list(record_fields(record).select_for_update())
    return save_new(definition, record_fields(record))


@transaction.atomic
def change_record_field(*, by: User, field_id: int, spec: FieldSpec) -> RecordField:
    """Relabel a field or change its kind, help text or choices; the key stays."""
    check_admin(by)
    definition = RecordField.objects.select_for_update().get(pk=field_id)
    apply_spec(definition, spec)
    definition.save()
    return definition


@transaction.atomic
def reorder_record_fields(*, by: User, record: str, keys: Sequence[str]) -> None:
    check_admin(by)
    reorder(record_fields(record).select_for_update(), keys)


@transaction.atomic
def archive_record_field(*, by: User, field_id: int, archived: bool = True) -> RecordField:
    """Hide a field from forms and lists (values kept), or bring it back."""
    check_admin(by)
    definition = RecordField.objects.select_for_update().get(pk=field_id)
    set_archived(definition, archived=archived)
    return definition


@transaction.atomic
def set_custom_values(
    *, by: User, record: str, record_id: int, values: Mapping[str, object]
) -> object:
    """Set the given custom values of a company, contact or lead ``by`` may edit.

    ``values`` maps field keys to raw values (None or "" empties one); others stay as they
    are. Raises DoesNotExist when the record is not visible (404), PermissionDenied when it
    is not ``by``'s to change (403) and ValidationError naming each bad field
    (``custom_fields.<key>``), having written nothing.
    """
    model = RECORD_MODELS[record]
    instance = editable_record(
        model,
        by,
        record_id,
        lock=True,
        denied=str(DENIED[RecordKind(record)]),
    )
    if not values:
        return instance
    changes = clean_values(active_record_fields(record), values)
    merged = merged_values(instance.custom_fields, changes)  # type: ignore[attr-defined]
    now = timezone.now()
    model._default_manager.filter(pk=instance.pk).update(custom_fields=merged, updated_at=now)
    instance.custom_fields, instance.updated_at = merged, now  # type: ignore[attr-defined]
    return instance


__all__ = [
    "active_record_fields",
    "archive_record_field",
    "change_record_field",
    "define_record_field",
    "record_fields",
    "reorder_record_fields",
    "set_custom_values",
]
