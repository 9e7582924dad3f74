"""The deal panel's custom fields section: what it shows, and the form that edits it.

``DealPanel.custom_fields`` builds ``DealCustomFields`` once per panel: one query for the
active definitions; whether the user may edit the deal comes from ``may_edit_deal`` (no
query for the owner or a deal read with its ``can_edit`` annotation, as the panel's is).
The values are on the deal's row.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from core.custom_fields.forms import CustomFieldsFormMixin
from core.forms import StyledForm
from pipeline.models import DealField, Opportunity
from pipeline.services.claims import may_edit_deal
from pipeline.services.custom_fields import active_deal_fields


@dataclass(frozen=True)
class ShownValue:
    definition: DealField
    text: str

    @property
    def label(self) -> str:
        return self.definition.label


class DealCustomFieldsForm(CustomFieldsFormMixin, StyledForm):
    """The deal's custom fields and the version the user saw (a stale one answers 409)."""

    compact = True
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(
        self, *args: Any, deal: Opportunity, definitions: list[DealField], **kwargs: Any
    ) -> None:
        kwargs.setdefault("auto_id", f"deal-{deal.pk}-custom-%s")
        kwargs.setdefault("initial", {"version": deal.version})
        super().__init__(*args, **kwargs)
        self.add_custom_fields(definitions, deal.custom_fields or {})


class DealCustomFields:
    """The section's data: each active field with its value as shown, and the edit form."""

    def __init__(
        self, user: User, deal: Opportunity, *, form: DealCustomFieldsForm | None = None
    ) -> None:
        self.user, self.deal, self._form = user, deal, form

    @cached_property
    def definitions(self) -> list[DealField]:
        return active_deal_fields()

    @property
    def values(self) -> list[ShownValue]:
        held = self.deal.custom_fields or {}
        return [
            ShownValue(definition, definition.display(held.get(definition.key)))
            for definition in self.definitions
        ]

    @cached_property
    def can_edit(self) -> bool:
        return may_edit_deal(self.user, self.deal)

    @cached_property
    def form(self) -> DealCustomFieldsForm:
        return self._form or DealCustomFieldsForm(deal=self.deal, definitions=self.definitions)

    @property
    def heading(self) -> str:
        return str(_("Custom fields"))
