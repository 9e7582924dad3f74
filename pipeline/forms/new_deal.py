"""The new-deal form of the page, the board's dialog, and the company's and contact's pages.

It parses and resolves; ``create_opportunity`` (through ``create_opportunity_with_new_records``)
holds the rules. The company and contact are pickers (``contacts/pickers.py``); the stage is
one choice grouped by pipeline, so the page needs no JavaScript to offer a pipeline's stages.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.assignment import assignable_users
from accounts.models import User
from contacts.models import Company, Contact
from contacts.pickers import Pick, resolve_company, resolve_contact
from core.custom_fields.forms import CustomFieldsFormMixin
from core.forms import StyledForm
from pipeline.models import ForecastCategory, Stage, StageKind
from pipeline.services.custom_fields import active_deal_fields
from pipeline.services.new_deals import NewCompany, NewContact

# An open deal may be in any category but Closed.
OPEN_CATEGORIES = [
    (value, label) for value, label in ForecastCategory.choices if value != ForecastCategory.CLOSED
]


def open_stages() -> list[Stage]:
    """Every open stage of an active pipeline, pipeline by pipeline, in board order."""
    return list(
        Stage.objects.in_use()
        .filter(kind=StageKind.OPEN, pipeline__is_active=True)
        .select_related("pipeline")
        .order_by("pipeline__position", "pipeline__name", "position", "pk")
    )


class OwnerSelect(forms.Select):
    def use_required_attribute(self, initial: Any) -> bool:
        # Not required, and asking would run the choices' query a second time.
        return False


class NewDealForm(CustomFieldsFormMixin, StyledForm):
    describes_help_text = True

    title = forms.CharField(label=_("Title"), max_length=200)
    company = forms.CharField(required=False, widget=forms.HiddenInput)
    company_name = forms.CharField(label=_("Company"), required=False, max_length=100)
    company_domain = forms.CharField(
        label=_("Domain of a new company"), required=False, max_length=255
    )
    contact = forms.CharField(required=False, widget=forms.HiddenInput)
    contact_name = forms.CharField(label=_("Contact"), required=False, max_length=100)
    contact_email = forms.EmailField(label=_("Email of a new contact"), required=False)
    value = forms.DecimalField(
        label=_("Value"), min_value=Decimal(0), max_digits=14, decimal_places=2, initial=0
    )
    currency = forms.CharField(label=_("Currency"), min_length=3, max_length=3)
    expected_close_date = forms.DateField(
        label=_("Expected close date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    # Not sent: the user themselves.
    owner = forms.ModelChoiceField(
        label=_("Owner"),
        queryset=User.objects.none(),
        empty_label=None,
        required=False,
        widget=OwnerSelect,
    )
    stage = forms.TypedChoiceField(label=_("Pipeline and stage"), coerce=int)
    forecast_category = forms.ChoiceField(
        label=_("Forecast category"), choices=OPEN_CATEGORIES, initial=ForecastCategory.PIPELINE
    )
    # Valid: any open stage's items; shown: the chosen stage's (``checklist_items``).
    checklist_done = forms.MultipleChoiceField(
        label=_("Entry checklist"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("What this stage asks to be done before a deal enters it."),
    )

    def __init__(self, *args: Any, user: User, stages: list[Stage], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.stages = {stage.pk: stage for stage in stages}
        groups: dict[str, list[tuple[int, str]]] = {}
        for stage in stages:
            groups.setdefault(stage.pipeline.name, []).append((stage.pk, stage.name))
        self.fields["stage"].choices = list(groups.items())
        items = sorted({item for stage in stages for item in stage.entry_checklist})
        self.fields["checklist_done"].choices = [(item, item) for item in items]
        owner = self.fields["owner"]
        assert isinstance(owner, forms.ModelChoiceField)
        owner.queryset = (
            assignable_users(user)
            .select_related(None)
            .order_by("first_name", "last_name", "username")
        )
        self.fields["currency"].initial = settings.DEFAULT_CURRENCY
        self.fields["owner"].initial = user.pk
        self.company_pick: Pick[Company] = Pick()
        self.contact_pick: Pick[Contact] = Pick()
        self.add_custom_fields(active_deal_fields())

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        try:
            self.company_pick = resolve_company(
                self.user, pk=cleaned.get("company"), name=cleaned.get("company_name")
            )
        except ValidationError as error:
            self.add_error("company_name", error)
            return cleaned
        contact_name = " ".join((cleaned.get("contact_name") or "").split())
        if self.company_pick.new_name:
            # Nobody works yet for a company not yet created: a contact named there is new.
            self.contact_pick = Pick(new_name=contact_name)
            return cleaned
        try:
            self.contact_pick = resolve_contact(
                self.user,
                pk=cleaned.get("contact"),
                name=contact_name,
                company=self.company_pick.record,
            )
        except ValidationError as error:
            self.add_error("contact_name", error)
        return cleaned

    @property
    def checklist_items(self) -> list[str]:
        """The entry checklist of the stage the form is about (sent, else first offered)."""
        chosen = self.data.get("stage") if self.is_bound else self.initial.get("stage")
        try:
            stage = self.stages.get(int(chosen)) if chosen is not None else None
        except (TypeError, ValueError):
            stage = None
        if stage is None and self.stages:
            stage = next(iter(self.stages.values()))
        return list(stage.entry_checklist) if stage is not None else []

    def clean_stage(self) -> Stage:
        stage = self.stages.get(self.cleaned_data["stage"])
        if stage is None:
            raise ValidationError(_("Choose a stage of an active pipeline."))
        return stage

    def service_arguments(self) -> dict[str, Any]:
        """The keyword arguments of ``create_opportunity_with_new_records``, after is_valid()."""
        data = self.cleaned_data
        stage: Stage = data["stage"]
        new_company = new_contact = None
        if self.company_pick.new_name:
            new_company = NewCompany(self.company_pick.new_name, data.get("company_domain") or "")
        if self.contact_pick.new_name:
            new_contact = NewContact(self.contact_pick.new_name, data.get("contact_email") or "")
        return {
            "by": self.user,
            "title": data["title"],
            "company": self.company_pick.record,
            "contact": self.contact_pick.record,
            "new_company": new_company,
            "new_contact": new_contact,
            "pipeline": stage.pipeline,
            "stage": stage,
            "owner": data["owner"],
            "value": data["value"],
            "currency": data["currency"],
            "expected_close_date": data.get("expected_close_date"),
            "forecast_category": data["forecast_category"],
            "checklist_done": [
                item for item in data.get("checklist_done", []) if item in stage.entry_checklist
            ],
            "custom_fields": self.custom_field_values(),
        }
