"""The contact list and its CSV export: search, filters, sorting, pagination."""

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from contacts.models import Company, Contact, RecordField, RecordKind
from contacts.services.record_values import active_record_fields
from contacts.views.contact_filters import (
    DateFilterField,
    OwnerFilterField,
    RecordFilterForm,
    apply_registered_filters,
    filter_by_days,
    filter_by_owner,
    registered_filter_controls,
    visible_owners,
)
from core.csv_export import CsvColumn
from core.lists import SearchableListView


class ContactFilterForm(RecordFilterForm):
    model = Contact
    owner = OwnerFilterField(label=_("Owner"), required=False)
    company = forms.IntegerField(label=_("Company"), required=False, min_value=1)
    created_from = DateFilterField(label=_("Created from"), required=False)
    created_to = DateFilterField(label=_("Created to"), required=False)


class ContactListView(SearchableListView):
    model = Contact
    form_class = ContactFilterForm
    template_name = "contacts/contact_list.html"
    partial_name = "contact-table"
    search_fields = ("first_name", "last_name", "email", "job_title", "company__name")
    sort_fields = {
        "name": ("last_name", "first_name"),
        "company": ("company__name",),
        "email": ("email",),
        "owner": ("owner__last_name", "owner__first_name"),
        "created": ("created_at",),
    }
    default_sort = "name"
    related = ("company", "owner")
    export_filename = "contacts"
    export_columns = (
        CsvColumn(_("First name"), "first_name"),
        CsvColumn(_("Last name"), "last_name"),
        CsvColumn(_("Email"), "email"),
        CsvColumn(_("Phone"), "phone"),
        CsvColumn(_("Job title"), "job_title"),
        CsvColumn(_("Company"), "company__name"),
        CsvColumn(_("Owner"), "owner__username"),
        CsvColumn(_("External id"), "external_id"),
    )

    def custom_field_definitions(self) -> list[RecordField]:
        return active_record_fields(RecordKind.CONTACT)

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        filters, user = self.filters, self.request.user
        queryset = filter_by_owner(queryset, filters.get("owner"), user)
        if filters.get("company"):
            queryset = queryset.filter(company_id=filters["company"])
        queryset = apply_registered_filters(queryset, user, filters)
        return filter_by_days(
            queryset, "created_at", filters.get("created_from"), filters.get("created_to")
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        company_id = self.filters.get("company")
        context["owners"] = visible_owners(self.request.user)
        context["filter_controls"] = registered_filter_controls(self.form, "contact")
        context["company"] = (
            Company.objects.visible_to(self.request.user).filter(pk=company_id).first()
            if company_id
            else None
        )
        return context
