"""A record's custom values: checked against its definitions, merged into what it holds."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from core.custom_fields.kinds import JsonValue, coerce
from core.custom_fields.models import CustomFieldDefinition


def error_key(key: str) -> str:
    """How errors name a custom field: its form field's name and the API's error key."""
    return f"custom_fields.{key}"


def clean_values(
    definitions: Iterable[CustomFieldDefinition], raw: Mapping[str, object]
) -> dict[str, JsonValue]:
    """``raw`` (by key) as the JSON to store, None for "empty it"; every bad one is named.

    Only active definitions take values: an unknown or archived key is refused, so a typo
    in an API call or an import mapping does not vanish silently.
    """
    by_key = {definition.key: definition for definition in definitions}
    cleaned: dict[str, JsonValue] = {}
    errors: dict[str, list[str]] = {}
    for key, value in raw.items():
        definition = by_key.get(key)
        if definition is None or definition.is_archived:
            errors[error_key(key)] = [_("There is no custom field “%(key)s”.") % {"key": key}]
            continue
        try:
            cleaned[key] = coerce(definition.kind, value, definition.choice_list)
        except ValidationError as error:
            errors[error_key(key)] = [
                _("%(label)s: %(message)s") % {"label": definition.label, "message": message}
                for message in error.messages
            ]
    if errors:
        raise ValidationError(errors)
    return cleaned


def merged_values(stored: Mapping[str, Any] | None, changes: Mapping[str, JsonValue]) -> dict:
    """What a record holds after ``changes``: emptied values leave no key behind."""
    merged = dict(stored or {})
    for key, value in changes.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


def filled_from(kept: Mapping[str, Any] | None, other: Mapping[str, Any] | None) -> dict:
    """``kept``'s custom values with ``other``'s added where ``kept`` has none: how a merge
    of two records keeps what either knew, the kept record's own values winning."""
    values = dict(kept or {})
    for key, value in (other or {}).items():
        if value not in (None, "", []) and values.get(key) in (None, "", []):
            values[key] = value
    return values
