"""Custom fields on the list pages: a filter control per field, the values as columns.

The controls write the URL parameters ``SearchableListView.filter_custom_fields`` reads
(``cf.<key>`` for the kind's first lookup, ``cf.<key>.gte``/``.lte`` for ranges), so a
plain GET of the filter form filters as htmx does.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from core.custom_fields.kinds import NUMERIC_KINDS, FieldKind, Lookup
from core.custom_fields.models import CustomFieldDefinition

FILTER_PREFIX = "cf."
# A list shows the values of its first few fields (by position): every field would make
# the table too wide to read; the CSV export carries them all.
COLUMN_LIMIT = 3


@dataclass(frozen=True)
class FilterControl:
    """One field's control: a select, a text box, or a from-to range of two inputs."""

    key: str
    label: str
    widget: str  # "select", "text" or "range"
    name: str = ""
    value: str = ""
    options: Sequence[tuple[str, str]] = field(default_factory=tuple)
    input_type: str = ""  # for ranges: "number" or "date"
    from_name: str = ""
    from_value: str = ""
    to_name: str = ""
    to_value: str = ""

    @property
    def field_id(self) -> str:
        return f"cf-filter-{self.key}"


def filter_controls(
    definitions: Iterable[CustomFieldDefinition], params: Mapping[str, str]
) -> list[FilterControl]:
    """A control for each filterable field, holding what ``params`` (the URL) asks for."""
    controls: list[FilterControl] = []
    for definition in definitions:
        key, label = definition.key, definition.label
        name = f"{FILTER_PREFIX}{key}"
        if definition.kind in NUMERIC_KINDS or definition.kind == FieldKind.DATE:
            from_name, to_name = f"{name}.{Lookup.AT_LEAST}", f"{name}.{Lookup.AT_MOST}"
            controls.append(
                FilterControl(
                    key,
                    label,
                    "range",
                    input_type="date" if definition.kind == FieldKind.DATE else "number",
                    from_name=from_name,
                    from_value=params.get(from_name, ""),
                    to_name=to_name,
                    to_value=params.get(to_name, ""),
                )
            )
        elif definition.kind == FieldKind.TEXT:
            controls.append(FilterControl(key, label, "text", name, params.get(name, "")))
        else:
            if definition.kind == FieldKind.BOOLEAN:
                # "Yes" alone, once chosen, would not say which field it is about.
                options: list[tuple[str, str]] = [
                    ("yes", _("%(label)s: yes") % {"label": label}),
                    ("no", _("%(label)s: no") % {"label": label}),
                ]
            else:
                options = [(choice.key, choice.label) for choice in definition.choice_list]
            any_label = _("Any %(label)s") % {"label": label}
            controls.append(
                FilterControl(
                    key,
                    label,
                    "select",
                    name,
                    params.get(name, ""),
                    options=[("", any_label), *options],
                )
            )
    return controls


def column_fields(definitions: Sequence[CustomFieldDefinition]) -> list[CustomFieldDefinition]:
    """The fields whose values the list shows as columns."""
    return list(definitions[:COLUMN_LIMIT])


def cell_values(definitions: Sequence[CustomFieldDefinition], stored: object) -> list[str]:
    """A record's values of ``definitions`` as a person reads them, "" when empty."""
    values = stored if isinstance(stored, dict) else {}
    return [definition.display(values.get(definition.key)) for definition in definitions]
