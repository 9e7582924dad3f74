"""Editing a deal's details: the deal page's form and the panel's in-place fields.

One form serves both. The panel edits one value at a time (``part``: the value and its
currency go together), the edit page every field. The form parses; ``update_opportunity``
decides (visibility of the company and contact, whom the owner may be, the categories a
deal's status allows) and names each field it refuses.

On the edit page the company and the contact are search-as-you-type pickers
(``contacts/pickers.py``): a select of every visible company does not scale, and the
contact is searched at the company chosen there, not the one the deal had. Editing a deal
names existing records only; a typed name nobody visible has is refused, not created. The
panel's in-place contact stays a select of the deal's company's contacts.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.assignment import assignable_users
from accounts.models import User
from contacts.models import Contact
from contacts.pickers import resolve_company, resolve_contact
from core.custom_fields.forms import CustomFieldsFormMixin, custom_field_name
from core.forms import StyledForm
from pipeline.models import ForecastCategory, Opportunity, Stage, StageKind
from pipeline.services.custom_fields import active_deal_fields

# What the panel edits in place, each a part of the form: the fields it shows together.
INLINE_PARTS: dict[str, tuple[str, ...]] = {
    "title": ("title",),
    "value": ("value", "currency"),
    "expected_close_date": ("expected_close_date",),
    "forecast_category": ("forecast_category",),
    "owner": ("owner",),
    "contact": ("contact",),
}


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


def may_reassign(user: User) -> bool:
    """Whether ``user`` may give deals to someone else: managers and admins."""
    return bool(user.is_admin or user.is_manager)


def contact_choices(user: User, deal: Opportunity) -> Any:
    """Contacts the deal may name: the visible contacts of its company (or its own)."""
    contacts = Contact.objects.visible_to(user).order_by("last_name", "first_name", "pk")
    if deal.company_id is not None:
        return contacts.filter(company_id=deal.company_id)
    return contacts.filter(pk=deal.contact_id)


def checklist_items(deal: Opportunity) -> list[str]:
    """The checklist items of the deal's pipeline, in stage order, each once."""
    items: list[str] = []
    stages = Stage.objects.filter(pipeline_id=deal.pipeline_id, archived_at__isnull=True)
    for checklist in stages.order_by("position").values_list("entry_checklist", flat=True):
        for item in checklist or []:
            if isinstance(item, str) and item not in items:
                items.append(item)
    # Items ticked under an older checklist stay offered, so saving keeps them.
    items.extend(item for item in deal.checklist_done or [] if item not in items)
    return items


class DealForm(CustomFieldsFormMixin, StyledForm):
    """A deal's details. ``fields`` limits it to the names given (a part of the panel);
    the whole form (the edit page) has the deal's custom fields too."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    title = forms.CharField(label=_("Title"), max_length=200)
    # The company picker: the chosen company's id, and the name typed in its box.
    company = forms.CharField(required=False, widget=forms.HiddenInput)
    company_name = forms.CharField(label=_("Company"), required=False, max_length=100)
    contact = forms.ModelChoiceField(label=_("Contact"), queryset=Contact.objects.none())
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=User.objects.none())
    value = forms.DecimalField(
        label=_("Value"), max_digits=14, decimal_places=2, min_value=0, localize=False
    )
    currency = forms.CharField(label=_("Currency"), max_length=3, min_length=3)
    expected_close_date = forms.DateField(
        label=_("Expected close date"), required=False, widget=DateInput
    )
    forecast_category = forms.ChoiceField(label=_("Forecast category"))
    checklist_done = forms.MultipleChoiceField(
        label=_("Checklist"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(
        self,
        *args: Any,
        user: User,
        deal: Opportunity,
        fields: tuple[str, ...] | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("initial", self.initial_for(deal))
        super().__init__(*args, **kwargs)
        self.deal = deal
        self.user = user
        self.custom_field_definitions = []
        contact = self.fields["contact"]
        assert isinstance(contact, forms.ModelChoiceField)
        contact.queryset = contact_choices(user, deal)
        contact.required = False
        owner = self.fields["owner"]
        assert isinstance(owner, forms.ModelChoiceField)
        owner.queryset = assignable_users(user).order_by("first_name", "last_name") | (
            User.objects.filter(pk=deal.owner_id)
        )
        categories = self.fields["forecast_category"]
        assert isinstance(categories, forms.ChoiceField)
        # A closed deal's category follows its stage; offer an open deal every other one.
        categories.choices = [
            (value, label)
            for value, label in ForecastCategory.choices
            if deal.status != "open" or value != ForecastCategory.CLOSED
        ]
        kept = set(fields or self.fields) | {"version"}
        if "company" in kept:
            kept.add("company_name")
            # The picker's box shows the company's name (read only when the form has it).
            company = deal.company
            self.initial.setdefault("company_name", company.name if company else "")
        if not may_reassign(user):
            kept.discard("owner")
        for name in list(self.fields):
            if name not in kept:
                del self.fields[name]
        checklist = self.fields.get("checklist_done")
        if isinstance(checklist, forms.MultipleChoiceField):
            checklist.choices = [(item, item) for item in checklist_items(deal)]
        if fields is None:
            self._contact_picker(deal)
        self.style_fields()
        if fields is None:
            self.add_custom_fields(active_deal_fields(), deal.custom_fields or {})

    def _contact_picker(self, deal: Opportunity) -> None:
        """The contact as a picker: its id, and the name typed in its box."""
        self.fields["contact"] = forms.CharField(required=False, widget=forms.HiddenInput)
        self.fields["contact_name"] = forms.CharField(
            label=_("Contact"), required=False, max_length=100
        )
        contact = deal.contact
        self.initial.setdefault("contact_name", contact.full_name if contact else "")

    @staticmethod
    def initial_for(deal: Opportunity) -> dict[str, Any]:
        return {
            "version": deal.version,
            "title": deal.title,
            "company": deal.company_id,
            "contact": deal.contact_id,
            "owner": deal.owner_id,
            "value": deal.value,
            "currency": deal.currency,
            "expected_close_date": deal.expected_close_date,
            "forecast_category": deal.forecast_category,
            "checklist_done": deal.checklist_done,
        }

    def clean_company(self) -> Any:
        """The company the picker names: an id with its name, or a name typed without JS."""
        name = self.data.get(self.add_prefix("company_name"), "")
        pick = resolve_company(self.user, pk=self.cleaned_data.get("company"), name=name)
        if pick.new_name:
            message = _("No company you can see is called “%(name)s”.")
            raise ValidationError(message % {"name": pick.new_name})
        return pick.record

    def clean_contact(self) -> Any:
        """The contact the picker names, at the company chosen (a select's choice as is)."""
        value = self.cleaned_data.get("contact")
        if "contact_name" not in self.fields:
            return value
        name = self.data.get(self.add_prefix("contact_name"), "")
        company = self.cleaned_data.get("company")
        pick = resolve_contact(self.user, pk=value, name=name, company=company)
        if pick.new_name:
            message = _("No contact you can see is called “%(name)s”.")
            raise ValidationError(message % {"name": pick.new_name})
        return pick.record

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        cleaned.pop("company_name", None)
        cleaned.pop("contact_name", None)
        company = cleaned.get("company") if "company" in self.fields else self.deal.company
        contact = cleaned.get("contact") if "contact" in self.fields else self.deal.contact
        if company is None and contact is None and not self.has_error("company"):
            # The database refuses a deal with neither; say so at the field being cleared.
            field = "contact" if "contact" in self.fields else "company"
            self.add_error(field, _("A deal needs a company or a contact."))
        return cleaned

    def changes(self) -> dict[str, object]:
        """The edited fields as ``update_opportunity`` takes them."""
        custom = set(self.custom_field_names)
        return {
            name: value
            for name, value in self.cleaned_data.items()
            if name != "version" and name in self.fields and name not in custom
        }

    def changed_custom_values(self) -> dict[str, object]:
        """The custom values edited, as ``set_deal_custom_values`` takes them: an unchanged
        one is not sent, so it is neither written nor recorded."""
        changed = set(self.changed_data)
        return {
            key: value
            for key, value in self.custom_field_values().items()
            if custom_field_name(key) in changed
        }


class ReopenForm(StyledForm):
    """The open stage a won or lost deal goes back into."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    stage = forms.ModelChoiceField(label=_("Reopen into"), queryset=Stage.objects.none())

    def __init__(self, *args: Any, deal: Opportunity, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"version": deal.version})
        super().__init__(*args, **kwargs)
        stage = self.fields["stage"]
        assert isinstance(stage, forms.ModelChoiceField)
        stage.queryset = Stage.objects.filter(
            pipeline_id=deal.pipeline_id, kind=StageKind.OPEN, archived_at__isnull=True
        ).order_by("position")
        # Read once, by the stage's own name (its pipeline is the deal's): a select over the
        # queryset reads it again for its first option, and str() would load each pipeline.
        stage.choices = [(choice.pk, choice.name) for choice in stage.queryset]
        self.style_fields()
