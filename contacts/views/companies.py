"""The company list."""

from contacts.models import Company
from contacts.views.lists import SearchableListView


class CompanyListView(SearchableListView):
    model = Company
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
