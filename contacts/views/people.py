"""The contact list."""

from django.utils.translation import gettext_lazy as _

from contacts.csv_export import CsvColumn
from contacts.models import Contact
from contacts.views.lists import SearchableListView


class ContactListView(SearchableListView):
    model = Contact
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
        CsvColumn(_("Company"), "company"),
        CsvColumn(_("Owner"), "owner"),
        CsvColumn(_("External id"), "external_id"),
    )
