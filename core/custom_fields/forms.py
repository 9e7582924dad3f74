"""Custom fields on a record's form: added to any form, their values handed to a service."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django import forms

from core.custom_fields.kinds import form_initial
from core.custom_fields.models import CustomFieldDefinition


def custom_field_name(key: str) -> str:
    """A custom field's name in a form: the name its service errors use, too."""
    return f"custom_fields.{key}"


class CustomFieldsFormMixin:
    """Adds custom fields to any form, and hands their values to a service.

    Call ``add_custom_fields(definitions, stored)`` in ``__init__`` after ``super().__init__``
    (``stored``: the record's ``custom_fields``, None for a new record); after validation,
    ``custom_field_values()`` is the mapping the services take (key -> value, "" to empty).
    A service's ValidationError names fields ``custom_fields.<key>``, this form's names, so
    ``core.forms.add_service_errors`` puts each message beside its field.
    """

    fields: dict[str, forms.Field]
    cleaned_data: dict[str, Any]
    initial: dict[str, Any]

    def add_custom_fields(
        self,
        definitions: Iterable[CustomFieldDefinition],
        stored: Mapping[str, Any] | None = None,
    ) -> None:
        self.custom_field_definitions = [d for d in definitions if not d.is_archived]
        for definition in self.custom_field_definitions:
            name = custom_field_name(definition.key)
            self.fields[name] = definition.form_field()
            if stored is not None and definition.key in stored:
                self.initial.setdefault(name, form_initial(definition.kind, stored[definition.key]))
        style = getattr(self, "style_fields", None)
        if style is not None:
            style()

    @property
    def custom_field_names(self) -> list[str]:
        return [custom_field_name(d.key) for d in self.custom_field_definitions]

    @property
    def custom_bound_fields(self) -> list[forms.BoundField]:
        """The custom fields to render, in their order (their names hold a dot)."""
        return [self[name] for name in self.custom_field_names]  # type: ignore[index]

    def custom_field_values(self) -> dict[str, object]:
        values: dict[str, object] = {}
        for definition in self.custom_field_definitions:
            value = self.cleaned_data.get(custom_field_name(definition.key))
            values[definition.key] = "" if value is None else value
        return values


def with_custom_values(form: CustomFieldsFormMixin, cleaned: dict[str, Any]) -> dict[str, Any]:
    """``cleaned`` with the custom fields folded into one ``custom_fields`` mapping, the
    shape the record services take among their fields (for a form's ``clean``)."""
    if not form.custom_field_definitions:
        return cleaned
    values = {
        definition.key: cleaned.pop(custom_field_name(definition.key))
        for definition in form.custom_field_definitions
        if custom_field_name(definition.key) in cleaned
    }
    cleaned["custom_fields"] = {
        key: "" if value is None else value for key, value in values.items()
    }
    return cleaned
