"""The lead list."""

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from contacts.csv_export import CsvColumn
from contacts.models import Lead, LeadStatus
from contacts.views.lists import ListFilterForm, SearchableListView


class LeadFilterForm(ListFilterForm):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All statuses")), *LeadStatus.choices],
    )


class LeadListView(SearchableListView):
    model = Lead
    form_class = LeadFilterForm
    template_name = "contacts/lead_list.html"
    partial_name = "lead-table"
    search_fields = ("first_name", "last_name", "email", "company_name")
    sort_fields = {
        "name": ("last_name", "first_name"),
        "company": ("company_name",),
        "status": ("status",),
        "score": ("score",),
        "owner": ("owner__last_name", "owner__first_name"),
        "created": ("created_at",),
        "touched": ("last_touch_at",),
    }
    default_sort = "-created"
    related = ("owner",)
    export_filename = "leads"
    export_columns = (
        CsvColumn(_("First name"), "first_name"),
        CsvColumn(_("Last name"), "last_name"),
        CsvColumn(_("Email"), "email"),
        CsvColumn(_("Phone"), "phone"),
        CsvColumn(_("Company"), "company_name"),
        CsvColumn(_("Status"), "get_status_display"),
        CsvColumn(_("Score"), "score"),
        CsvColumn(_("Owner"), "owner"),
        CsvColumn(_("Created"), "created_at"),
        CsvColumn(_("External id"), "external_id"),
    )

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        status = self.filters.get("status")
        return queryset.filter(status=status) if status else queryset
