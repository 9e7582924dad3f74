"""Recording a deal's change history (``DealChange``), in the transaction of the edit.

Every service that changes a deal's fields (an edit, its line items, its buying team, its
custom fields) takes a snapshot of what it is about to change, makes the change, and calls
``record_deal_changes`` with the snapshot before and after: one row per field whose value
differs, written with one INSERT. A field's value is kept as a machine reads it back (a
related record's id, a decimal or date as text); a related record's name is kept as it was
then, since the record may be renamed or gone later. Other values are shown from the value
and the field, in the reader's language and format.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Model
from django.utils import timezone

from accounts.models import User
from pipeline.models import DealChange, Opportunity

DISPLAY_MAX_LENGTH = DealChange._meta.get_field("new_display").max_length or 500

JsonValue = None | bool | int | float | str | list[Any] | dict[str, Any]


@dataclass(frozen=True)
class Shown:
    """A value that is not one record, with the text a person saw for it then.

    For fields such as the buying team, whose value is a list of ids: the names in it may
    be renamed or gone later, so the text is kept beside the ids, as a record's name is.
    """

    value: object
    text: str


def machine_value(value: object) -> JsonValue:
    """``value`` as the history stores it: JSON that reads back without loss."""
    if isinstance(value, Shown):
        return machine_value(value.value)
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, Model):
        return value.pk
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [machine_value(item) for item in value]
    if isinstance(value, Mapping):
        return {str(key): machine_value(item) for key, item in value.items()}
    return str(value)


def display_text(value: object) -> str:
    """What a person saw: a related record's name; empty for values shown from the field."""
    if isinstance(value, Shown):
        return value.text[:DISPLAY_MAX_LENGTH]
    if isinstance(value, Model):
        return str(value)[:DISPLAY_MAX_LENGTH]
    return ""


def deal_snapshot(opportunity: Opportunity, fields: Iterable[str]) -> dict[str, object]:
    """The current values of ``fields`` of the in-memory deal, related records as records.

    Precondition: related records named in ``fields`` are loaded or loadable (one query
    each otherwise; load them with ``select_related`` when that matters).
    """
    return {name: getattr(opportunity, name) for name in fields}


def record_deal_changes(
    *,
    opportunity: Opportunity,
    by: User | None,
    before: Mapping[str, object],
    after: Mapping[str, object],
    at: dt.datetime | None = None,
) -> list[DealChange]:
    """One DealChange per field in ``after`` whose value differs from ``before``.

    Fields are compared by their stored value (a related record by its id), so setting a
    field to what it was records nothing. Call it inside the edit's transaction.
    """
    at = at or timezone.now()
    rows = [
        DealChange(
            opportunity=opportunity,
            field=name,
            old_value=machine_value(before.get(name)),
            new_value=machine_value(new),
            old_display=display_text(before.get(name)),
            new_display=display_text(new),
            by=by,
            at=at,
        )
        for name, new in after.items()
        if machine_value(before.get(name)) != machine_value(new)
    ]
    return DealChange.objects.bulk_create(rows) if rows else []
