"""Query filters for companies, contacts and leads: ``?owner=3&updated_since=...``."""

import django_filters
from django.utils.translation import gettext_lazy as _

from contacts.models import Company, Contact, Lead, LeadSource, LeadStatus
from core.api.filters import BooleanFilter, IdFilter, UtcDateTimeFilter


class RecordFilter(django_filters.FilterSet):
    owner = IdFilter()
    created_after = UtcDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = UtcDateTimeFilter(field_name="created_at", lookup_expr="lt")
    updated_since = UtcDateTimeFilter(field_name="updated_at", lookup_expr="gte")


class CompanyFilter(RecordFilter):
    domain = django_filters.CharFilter(lookup_expr="iexact")

    class Meta:
        model = Company
        fields = ["owner", "country", "domain", "external_id"]


class ContactFilter(RecordFilter):
    company = IdFilter()
    email = django_filters.CharFilter(lookup_expr="iexact")

    class Meta:
        model = Contact
        fields = ["owner", "company", "email", "external_id"]


class LeadFilter(RecordFilter):
    status = django_filters.ChoiceFilter(choices=LeadStatus.choices)
    source = django_filters.ChoiceFilter(choices=LeadSource.choices)
    is_assigned = BooleanFilter(
        field_name="owner", lookup_expr="isnull", exclude=True, label=_("Assigned")
    )
    email = django_filters.CharFilter(lookup_expr="iexact")

    class Meta:
        model = Lead
        fields = ["owner", "status", "source", "country", "email", "external_id"]
