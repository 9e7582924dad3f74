"""The company list and its CSV export: search, filters, sorting, pagination."""

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from contacts.models import Company, RecordField, RecordKind
from contacts.services.record_values import active_record_fields
from contacts.views.contact_filters import (
    OwnerFilterField,
    RecordFilterForm,
    apply_registered_filters,
    filter_by_owner,
    registered_filter_controls,
    visible_owners,
)
from core.csv_export import CsvColumn
from core.lists import SearchableListView


class CompanyFilterForm(RecordFilterForm):
    model = Company
    owner = OwnerFilterField(label=_("Owner"), required=False)
    industry = forms.CharField(label=_("Industry"), required=False, max_length=100)
    country = forms.CharField(label=_("Country"), required=False, max_length=2)


class CompanyListView(SearchableListView):
    model = Company
    form_class = CompanyFilterForm
    template_name = "contacts/company_list.html"
    partial_name = "company-table"
    search_fields = ("name", "domain", "industry")
    sort_fields = {
        "name": ("name",),
        "domain": ("domain",),
        "industry": ("industry",),
        "country": ("country",),
        "owner": ("owner__last_name", "owner__first_name"),
        "created": ("created_at",),
    }
    default_sort = "name"
    related = ("owner",)
    export_filename = "companies"
    export_columns = (
        CsvColumn(_("Name"), "name"),
        CsvColumn(_("Domain"), "domain"),
        CsvColumn(_("Industry"), "industry"),
        CsvColumn(_("Country"), "country"),
        CsvColumn(_("Region"), "region"),
        CsvColumn(_("Owner"), "owner__username"),
        CsvColumn(_("Created"), "created_at"),
        CsvColumn(_("External id"), "external_id"),
    )

    def custom_field_definitions(self) -> list[RecordField]:
        return active_record_fields(RecordKind.COMPANY)

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        filters, user = self.filters, self.request.user
        queryset = filter_by_owner(queryset, filters.get("owner"), user)
        if filters.get("industry"):
            queryset = queryset.filter(industry__iexact=filters["industry"].strip())
        if filters.get("country"):
            queryset = queryset.filter(country=filters["country"].strip().upper())
        return apply_registered_filters(queryset, user, filters)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["owners"] = visible_owners(self.request.user)
        context["filter_controls"] = registered_filter_controls(self.form, "company")
        return context
