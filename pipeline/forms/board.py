"""Forms of the board: its filters, a move, and the dialog a refused move opens."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from core.forms import mark_invalid_fields
from pipeline.board import BoardFilters, MoveRequirements
from pipeline.models import EntryField, Opportunity
from pipeline.services import DealFields


class BoardFilterForm(forms.Form):
    """The board's GET parameters. Invalid ones are reported and ignored, never fatal."""

    owner = forms.CharField(label=_("Owner"), required=False, max_length=20)
    team = forms.IntegerField(label=_("Team"), required=False, min_value=1)
    close_from = forms.DateField(
        label=_("Closing from"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    close_to = forms.DateField(
        label=_("Closing until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    product = forms.IntegerField(label=_("Product"), required=False, min_value=1)

    def clean_owner(self) -> int | str | None:
        owner = self.cleaned_data["owner"].strip()
        if not owner:
            return None
        if owner == "me":
            return owner
        if owner.isdigit():
            return int(owner)
        raise forms.ValidationError(_("Choose an owner from the list."))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        start, end = cleaned.get("close_from"), cleaned.get("close_to")
        if start and end and start > end:
            self.add_error("close_to", _("The end of the range is before its start."))
        return cleaned

    def filters(self) -> BoardFilters:
        """The valid filters; an invalid one is left out (its error shows on the form)."""
        self.is_valid()
        data = self.cleaned_data
        return BoardFilters(
            owner=data.get("owner"),
            team_id=data.get("team"),
            close_from=data.get("close_from"),
            close_to=data.get("close_to"),
            text=(data.get("q") or "").strip(),
            product_id=data.get("product"),
        )


class StringListField(forms.Field):
    """A repeated text parameter (``checklist=a&checklist=b``) as a list of strings."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value: Any) -> list[str]:
        if not value:
            return []
        values = value if isinstance(value, list | tuple) else [value]
        return [str(item).strip() for item in values if str(item).strip()]


class MoveForm(forms.Form):
    """A move as the board, the "Move to" menu and the dialog post it.

    ``after`` is the card that will sit just above the moved one, ``before`` the one just
    below; ``from_stage`` is where the user saw the card, to word a conflict message.
    """

    stage = forms.IntegerField(min_value=1)
    version = forms.IntegerField(min_value=1)
    after = forms.IntegerField(required=False, min_value=1)
    before = forms.IntegerField(required=False, min_value=1)
    from_stage = forms.IntegerField(required=False, min_value=1)
    # Set by the dialog: its failures re-render the dialog instead of a message.
    dialog = forms.BooleanField(required=False)
    value = forms.DecimalField(required=False, min_value=0, max_digits=14, decimal_places=2)
    expected_close_date = forms.DateField(required=False)
    contact = forms.IntegerField(required=False, min_value=1)
    checklist = StringListField(required=False)
    # The dialog showed the checklist: an empty ``checklist`` then means "nothing ticked".
    checklist_shown = forms.BooleanField(required=False)
    lost_reason = forms.CharField(required=False, max_length=200)

    def deal_fields(self) -> DealFields:
        data = self.cleaned_data
        return DealFields(
            value=data.get("value"),
            expected_close_date=data.get("expected_close_date"),
            contact_id=data.get("contact"),
            checklist_done=data["checklist"] if data.get("checklist_shown") else None,
            lost_reason=data.get("lost_reason") or "",
        )


class MoveDialogForm(forms.Form):
    """What a refused move asks for: only the unmet requirements of the target stage.

    Posts the same fields as MoveForm, so the retry goes to the same endpoint with the same
    version. Checklist items of other stages that are already done travel as hidden
    inputs, because the move replaces the deal's whole checklist.
    """

    value = forms.DecimalField(
        label=_("Value"),
        min_value=Decimal("0.01"),
        max_digits=14,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"class": "form-control", "step": "0.01", "min": "0"}),
    )
    expected_close_date = forms.DateField(
        label=_("Expected close date"),
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}, format="%Y-%m-%d"),
    )
    contact = forms.ModelChoiceField(
        label=_("Contact"),
        queryset=None,
        empty_label=_("Choose a contact"),
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    checklist = forms.MultipleChoiceField(
        label=_("Checklist"), required=False, widget=forms.CheckboxSelectMultiple
    )
    lost_reason = forms.CharField(
        label=_("Why was the deal lost?"),
        max_length=200,
        widget=forms.TextInput(attrs={"class": "form-control", "autocomplete": "off"}),
    )

    def __init__(
        self,
        *args: Any,
        deal: Opportunity,
        requirements: MoveRequirements,
        contacts: QuerySet | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault(
            "initial",
            {
                "value": deal.value or None,
                "expected_close_date": deal.expected_close_date,
                "checklist": list(deal.checklist_done),
            },
        )
        super().__init__(*args, **kwargs)
        self.deal = deal
        self.requirements = requirements
        asked = set(requirements.fields)
        for name in (EntryField.VALUE, EntryField.EXPECTED_CLOSE_DATE, EntryField.CONTACT):
            if name not in asked:
                del self.fields[name]
        if EntryField.CONTACT in asked:
            self.fields["contact"].queryset = contacts
        if requirements.checklist:
            self.fields["checklist"].choices = [(item, item) for item in requirements.checklist]
        else:
            del self.fields["checklist"]
        if not requirements.needs_lost_reason:
            del self.fields["lost_reason"]

    def full_clean(self) -> None:
        super().full_clean()
        mark_invalid_fields(self)

    @property
    def needs_open_task(self) -> bool:
        return EntryField.NEXT_TASK in self.requirements.fields

    @property
    def needs_decision_maker(self) -> bool:
        return EntryField.DECISION_MAKER in self.requirements.fields

    @property
    def other_checklist_items(self) -> list[str]:
        """Items already ticked for other stages: kept as they are."""
        return [
            item for item in self.deal.checklist_done if item not in self.requirements.checklist
        ]
