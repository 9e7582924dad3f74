"""The deals list: every visible deal, searched, filtered, sorted, paged, totalled, exported.

The contact and company lists' machinery (``SearchableListView``) with the deal's filters.
Totals cover the whole filtered set, not the page: one grouped query gives the count and
value per currency, and its count also serves the paginator, which then needs no COUNT.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django import forms
from django.core.paginator import Paginator
from django.db.models import Count, QuerySet, Sum
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _

from contacts.views.contact_filters import (
    DateFilterField,
    OwnerFilterField,
    filter_by_days,
    filter_by_owner,
    visible_owners,
)
from core.csv_export import CsvColumn
from core.currencies import validate_currency
from core.lists import ListFilterForm, SearchableListView
from pipeline.board import filter_products
from pipeline.models import DealField, ForecastCategory, Opportunity, OpportunityStatus, Stage
from pipeline.services.custom_fields import active_deal_fields


class DealFilterForm(ListFilterForm):
    pipeline = forms.IntegerField(label=_("Pipeline"), required=False, min_value=1)
    stage = forms.IntegerField(label=_("Stage"), required=False, min_value=1)
    owner = OwnerFilterField(label=_("Owner"), required=False)
    team = forms.IntegerField(label=_("Owner's team"), required=False, min_value=1)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any status")), *OpportunityStatus.choices],
    )
    forecast_category = forms.ChoiceField(
        label=_("Forecast category"),
        required=False,
        choices=[("", _("Any category")), *ForecastCategory.choices],
    )
    product = forms.IntegerField(label=_("Product"), required=False, min_value=1)
    stale = forms.BooleanField(label=_("Stale only"), required=False)
    close_from = DateFilterField(label=_("Expected close from"), required=False)
    close_to = DateFilterField(label=_("Expected close to"), required=False)
    # Won or lost on these days (in the user's time zone): the deals behind a won figure.
    closed_from = DateFilterField(label=_("Won or lost from"), required=False)
    closed_to = DateFilterField(label=_("Won or lost to"), required=False)
    overdue = forms.BooleanField(label=_("With an overdue task"), required=False)
    # In one currency: the deals behind a per-currency figure (a forecast, a won value).
    currency = forms.CharField(label=_("Currency"), required=False, max_length=3)
    # Where the list was opened from (a dashboard figure): its "Back" link returns there.
    next = forms.CharField(required=False, max_length=2000)

    def clean_currency(self) -> str:
        currency = self.cleaned_data.get("currency", "").upper()
        if currency:
            validate_currency(currency)
        return currency

    def clean_next(self) -> str:
        target = self.cleaned_data.get("next", "")
        # Only a path on this site: an absolute or protocol-relative URL is dropped.
        if not target.startswith("/") or target.startswith("//") or "\\" in target:
            return ""
        if not url_has_allowed_host_and_scheme(target, allowed_hosts=None):
            return ""
        return target

    value_min = forms.DecimalField(
        label=_("Value from"), required=False, min_value=0, max_digits=14, decimal_places=2
    )
    value_max = forms.DecimalField(
        label=_("Value to"), required=False, min_value=0, max_digits=14, decimal_places=2
    )

    def clean(self) -> dict[str, Any]:
        # One unreadable filter (a value of "abc") drops that filter, not all of them.
        for name in list(self.errors):
            self.cleaned_data.pop(name, None)
        self.errors.clear()
        return self.cleaned_data


@dataclass(frozen=True)
class CurrencyTotal:
    currency: str
    count: int
    value: Decimal


def currency_totals(deals: QuerySet[Opportunity]) -> list[CurrencyTotal]:
    """Count and value of ``deals`` per currency: values in different currencies never add."""
    rows = (
        deals.order_by()
        .values("currency")
        .annotate(count=Count("pk"), value=Sum("value"))
        .order_by("currency")
    )
    return [CurrencyTotal(row["currency"], row["count"], row["value"]) for row in rows]


class DealListView(SearchableListView):
    model = Opportunity
    form_class = DealFilterForm
    template_name = "pipeline/deal_list.html"
    partial_name = "deal-table"
    search_fields = ("title", "company__name")
    sort_fields = {
        "title": ("title",),
        "company": ("company__name",),
        "owner": ("owner__last_name", "owner__first_name"),
        "stage": ("pipeline__position", "pipeline__name", "stage__position"),
        "value": ("value",),
        "close": ("expected_close_date",),
        "touched": ("last_touch_at",),
        "created": ("created_at",),
    }
    default_sort = "-created"
    related = ("company", "contact", "owner", "pipeline", "stage")
    export_filename = "deals"
    export_columns = (
        CsvColumn(_("Title"), "title"),
        CsvColumn(_("Company"), "company__name"),
        CsvColumn(_("Contact"), "contact__first_name", "contact__last_name"),
        CsvColumn(_("Owner"), "owner__username"),
        CsvColumn(_("Pipeline"), "pipeline__name"),
        CsvColumn(_("Stage"), "stage__name"),
        CsvColumn(_("Status"), "status"),
        CsvColumn(_("Value"), "value"),
        CsvColumn(_("Currency"), "currency"),
        CsvColumn(_("Probability (%)"), "stage__probability"),
        CsvColumn(_("Expected close"), "expected_close_date"),
        CsvColumn(_("Stage entered"), "stage_entered_at"),
        CsvColumn(_("Last touch"), "last_touch_at"),
        CsvColumn(_("Stale since"), "stale_since"),
        CsvColumn(_("External id"), "external_id"),
    )

    def custom_field_definitions(self) -> list[DealField]:
        return active_deal_fields()

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        filters = self.filters
        queryset = filter_by_owner(queryset, filters.get("owner"), self.request.user)
        exact = {
            "pipeline_id": filters.get("pipeline"),
            "stage_id": filters.get("stage"),
            "owner__team_id": filters.get("team"),
            "status": filters.get("status"),
            "forecast_category": filters.get("forecast_category"),
            "currency": filters.get("currency"),
            "expected_close_date__gte": filters.get("close_from"),
            "expected_close_date__lte": filters.get("close_to"),
            "value__gte": filters.get("value_min"),
            "value__lte": filters.get("value_max"),
        }
        queryset = queryset.filter(
            **{key: value for key, value in exact.items() if value not in (None, "")}
        )
        queryset = filter_by_days(
            queryset, "closed_at", filters.get("closed_from"), filters.get("closed_to")
        )
        if filters.get("stale"):
            queryset = queryset.stale()
        if filters.get("overdue"):
            queryset = queryset.with_overdue_task()
        if filters.get("product"):
            queryset = queryset.with_product(filters["product"])
        return queryset

    def get_paginator(self, queryset: QuerySet, per_page: int, **kwargs: Any) -> Paginator:
        self.totals = currency_totals(queryset)
        paginator = super().get_paginator(queryset, per_page, **kwargs)
        # The totals counted the rows already; spare the paginator its COUNT query.
        paginator.count = sum(total.count for total in self.totals)
        return paginator

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["totals"] = self.totals
        context["back_url"] = self.filters.get("next", "")
        if not self.is_fragment:
            context["owners"] = visible_owners(self.request.user)
            context["products"] = filter_products()
            context["stages"] = (
                Stage.objects.in_use()
                .select_related("pipeline")
                .order_by("pipeline__position", "pipeline__name", "position", "pk")
            )
        return context
