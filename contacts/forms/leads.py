"""Forms of the lead pages and lead settings: they parse and present; services decide.

Services raise ValidationError keyed by the same names as these fields, so
``add_service_error`` shows a rule broken deep in a service beside the input it is about.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms
from django.forms.models import fields_for_model
from django.utils.translation import gettext_lazy as _

from accounts.models import Team, User
from contacts.models import (
    AssignmentRule,
    Lead,
    LeadPolicy,
    QualificationCriterion,
    RecordKind,
)
from contacts.services.leads import LEAD_DETAILS, REASON_MAX_LENGTH, lead_owners
from contacts.services.record_values import active_record_fields
from core.custom_fields.forms import CustomFieldsFormMixin
from core.forms import StyledForm

# Every detail a person may set on a lead, but the external id: that is for imports and
# the API, which know the other system's ids.
LEAD_FORM_FIELDS = tuple(name for name in LEAD_DETAILS if name != "external_id")


class OwnerSelect(forms.Select):
    def use_required_attribute(self, initial: Any) -> bool:
        # Asking would run the choices' query a second time just to look at the first option.
        return False


class OwnerChoiceField(forms.ModelChoiceField):
    widget = OwnerSelect


class LeadForm(CustomFieldsFormMixin, StyledForm):
    """A lead's details and custom fields (``custom_values``: what the lead holds, for an
    edit); the owner choices are the people ``user`` may give leads to."""

    def __init__(
        self, *args: Any, user: User, custom_values: Mapping[str, Any] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.add_custom_fields(active_record_fields(RecordKind.LEAD), custom_values)
        model_fields = fields_for_model(Lead, fields=LEAD_FORM_FIELDS)
        for name in LEAD_FORM_FIELDS:
            self.fields[name] = model_fields[name]
        owner = OwnerChoiceField(
            label=_("Owner"),
            queryset=lead_owners(user).order_by("first_name", "last_name", "username"),
            required=False,
            empty_label=_("Assign by the lead rules"),
        )
        self.fields["owner"] = owner
        self.fields["email"].widget.attrs["autocomplete"] = "off"
        self.fields["country"].widget.attrs.update(
            {"maxlength": 2, "class": "form-control text-uppercase"}
        )
        self.fields["company_domain"].help_text = _("e.g. acme.com; taken from the email if empty")
        self.style_fields()

    def lead_fields(self) -> dict[str, object]:
        """The cleaned values as the lead services take them."""
        fields = {name: self.cleaned_data.get(name) for name in LEAD_FORM_FIELDS}
        if self.custom_field_definitions:
            fields["custom_fields"] = self.custom_field_values()
        return fields


class DuplicateChoiceForm(forms.Form):
    """What to do about matching leads: "create" anyway, "fill:<id>" or "merge:<id>"."""

    duplicate = forms.RegexField(regex=r"^(create|fill:\d+|merge:\d+)$", required=False)

    def choice(self) -> tuple[str, int | None]:
        """(action, target lead id); ("", None) when the user has not chosen yet."""
        if not self.is_valid() or not self.cleaned_data["duplicate"]:
            return "", None
        action, _separator, target = self.cleaned_data["duplicate"].partition(":")
        return action, int(target) if target else None


class CriteriaForm(StyledForm):
    """One yes/no/unanswered choice per active criterion; only answered ones are sent on."""

    ANSWERS = (("", _("Not answered")), ("yes", _("Yes")), ("no", _("No")))

    def __init__(
        self,
        *args: Any,
        criteria: list[QualificationCriterion],
        answers: dict[int, bool],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.criteria = criteria
        for criterion in criteria:
            known = answers.get(criterion.pk)
            self.fields[f"criterion_{criterion.pk}"] = forms.ChoiceField(
                label=criterion.question,
                help_text=criterion.help_text,
                choices=self.ANSWERS,
                required=False,
                widget=forms.RadioSelect,
                initial="" if known is None else ("yes" if known else "no"),
            )

    def answers(self) -> dict[int, bool | None]:
        """Yes, no, or None for "not answered", which takes an earlier answer back."""
        choices = {"yes": True, "no": False}
        return {
            criterion.pk: choices.get(self.cleaned_data.get(f"criterion_{criterion.pk}") or "")
            for criterion in self.criteria
        }

    def rows(self) -> list[dict[str, Any]]:
        """Criterion, its bound field and weight, for the template's table."""
        return [
            {"criterion": criterion, "field": self[f"criterion_{criterion.pk}"]}
            for criterion in self.criteria
        ]


class DisqualifyForm(StyledForm):
    reason = forms.CharField(
        label=_("Why is this lead disqualified?"),
        max_length=REASON_MAX_LENGTH,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. No budget this year")}),
        error_messages={"required": _("Say why this lead is disqualified.")},
    )


class AssignForm(StyledForm):
    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"] = OwnerChoiceField(
            label=_("Owner"),
            queryset=lead_owners(user).order_by("first_name", "last_name", "username"),
            empty_label=None,
            widget=OwnerSelect(attrs={"class": "form-select form-select-sm"}),
        )


class MergeForm(forms.Form):
    keep = forms.IntegerField(min_value=1)
    merge = forms.IntegerField(min_value=1)


# --- settings ----------------------------------------------------------------------------------


class PolicyForm(StyledForm):
    qualification_threshold = forms.IntegerField(
        label=_("Qualifying score"),
        min_value=0,
        max_value=100,
        help_text=_("A lead scoring this much (0-100) is qualified and can be converted."),
    )
    max_contact_attempts = forms.IntegerField(
        label=_("Contact attempts before the last-chance email"), min_value=1, max_value=50
    )
    days_before_disqualification = forms.IntegerField(
        label=_("Days without an answer before proposing disqualification"),
        min_value=1,
        max_value=365,
    )
    assignment_rule = forms.ChoiceField(label=_("Assign new leads"), choices=AssignmentRule.choices)
    default_team = forms.ModelChoiceField(
        label=_("Default team"),
        queryset=Team.objects.order_by("name"),
        required=False,
        empty_label=_("None"),
        help_text=_("Round-robin assigns within this team; territory falls back to it."),
    )

    @classmethod
    def for_policy(cls, policy: LeadPolicy, **kwargs: Any) -> PolicyForm:
        initial = {
            "qualification_threshold": policy.qualification_threshold,
            "max_contact_attempts": policy.max_contact_attempts,
            "days_before_disqualification": policy.days_before_disqualification,
            "assignment_rule": policy.assignment_rule,
            "default_team": policy.default_team_id,
        }
        return cls(initial=initial, **kwargs)


class CriterionForm(StyledForm):
    question = forms.CharField(label=_("Question"), max_length=200)
    help_text = forms.CharField(label=_("Guidance"), max_length=300, required=False)
    weight = forms.IntegerField(label=_("Weight"), min_value=1, max_value=100, initial=25)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)


class TerritoryForm(StyledForm):
    country = forms.CharField(
        label=_("Country"),
        max_length=2,
        min_length=2,
        help_text=_("Two-letter ISO code, e.g. DE"),
        widget=forms.TextInput(attrs={"class": "form-control text-uppercase"}),
    )
    region = forms.CharField(
        label=_("Region"),
        max_length=100,
        required=False,
        help_text=_("Empty: the whole country"),
    )
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.order_by("name"))
