"""``{% custom_values record "company" as values %}``: a record's custom fields as shown.

One query for the kind's active fields; the values are on the record's row.
"""

from __future__ import annotations

from typing import Any

from django import template

from contacts.services.record_values import active_record_fields

register = template.Library()


@register.simple_tag
def custom_values(record: Any, kind: str) -> list[tuple[str, str]]:
    held = getattr(record, "custom_fields", None) or {}
    return [
        (definition.label, definition.display(held.get(definition.key)))
        for definition in active_record_fields(kind)
    ]
