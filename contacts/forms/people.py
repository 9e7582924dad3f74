"""Forms for companies and contacts: they parse input; the services check the rules and write.

A service's ``ValidationError`` comes back onto the form by field name
(``add_service_error``), so the page, the API and imports report the same messages.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.assignment import assignable_users
from accounts.models import User
from contacts.models import Company, Contact, RecordKind
from contacts.services.record_values import active_record_fields
from core.custom_fields.forms import CustomFieldsFormMixin, with_custom_values
from core.forms import StyledForm


class RecordForm(CustomFieldsFormMixin, StyledForm):
    """Bootstrap classes on every widget, ``is-invalid`` on fields with errors, an owner
    choice for those who may give records to someone else, and the record's custom fields
    (``custom_values``: what the record holds, for an edit)."""

    custom_record: ClassVar[str]

    def __init__(
        self,
        *args: Any,
        user: User,
        current_owner: User | None = None,
        custom_values: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.add_custom_fields(active_record_fields(self.custom_record), custom_values)
        owners = list(assignable_users(user).order_by("first_name", "last_name", "pk"))
        # An edit must never hand a record on just because its owner is not on the list.
        if current_owner is not None and current_owner not in owners:
            owners.insert(0, current_owner)
        if len(owners) > 1:
            self.fields["owner"] = forms.TypedChoiceField(
                label=_("Owner"),
                coerce=int,
                empty_value=None,
                # Left out of a post, the owner stays as it is.
                required=False,
                choices=[(owner.pk, str(owner)) for owner in owners],
                initial=user.pk,
            )
        self.style_fields()

    @property
    def offers_owner(self) -> bool:
        return "owner" in self.fields

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("owner") is None:
            cleaned.pop("owner", None)
        return with_custom_values(self, cleaned)


def _length(model: type[Contact] | type[Company], name: str) -> int:
    return model._meta.get_field(name).max_length or 200


class ContactForm(RecordForm):
    custom_record = RecordKind.CONTACT
    first_name = forms.CharField(label=_("First name"), max_length=_length(Contact, "first_name"))
    last_name = forms.CharField(
        label=_("Last name"), max_length=_length(Contact, "last_name"), required=False
    )
    email = forms.EmailField(label=_("Email"), required=False)
    phone = forms.CharField(label=_("Phone"), max_length=_length(Contact, "phone"), required=False)
    job_title = forms.CharField(
        label=_("Job title"), max_length=_length(Contact, "job_title"), required=False
    )

    @classmethod
    def for_contact(cls, contact: Contact, *, user: User, **kwargs: Any) -> ContactForm:
        initial = {name: getattr(contact, name) for name in cls.base_fields}
        initial["owner"] = contact.owner_id
        return cls(
            initial=initial,
            user=user,
            current_owner=contact.owner,
            custom_values=contact.custom_fields,
            **kwargs,
        )


class CompanyForm(RecordForm):
    custom_record = RecordKind.COMPANY
    name = forms.CharField(label=_("Name"), max_length=_length(Company, "name"))
    domain = forms.CharField(
        label=_("Domain"),
        max_length=_length(Company, "domain"),
        required=False,
        help_text=_("The website, e.g. example.com: how the same company is recognised twice."),
    )
    industry = forms.CharField(
        label=_("Industry"), max_length=_length(Company, "industry"), required=False
    )
    country = forms.CharField(
        label=_("Country"), max_length=2, required=False, help_text=_("Two-letter ISO code")
    )
    region = forms.CharField(
        label=_("Region"), max_length=_length(Company, "region"), required=False
    )

    @classmethod
    def for_company(cls, company: Company, *, user: User, **kwargs: Any) -> CompanyForm:
        initial = {name: getattr(company, name) for name in cls.base_fields}
        initial["owner"] = company.owner_id
        return cls(
            initial=initial,
            user=user,
            current_owner=company.owner,
            custom_values=company.custom_fields,
            **kwargs,
        )
