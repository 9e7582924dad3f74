"""Query filters for the pipeline lists: ``?owner=3&status=open&updated_since=...``.

Related records are filtered by id without looking them up: a filter on another team's
company answers an empty list, the same as one on a company that does not exist.
"""

import django_filters
from django.utils.translation import gettext_lazy as _

from core.api.filters import BooleanFilter, IdFilter, UtcDateTimeFilter
from pipeline.models import (
    ForecastCategory,
    Opportunity,
    OpportunityStatus,
    Pipeline,
    Stage,
    StageKind,
    Task,
    Touchpoint,
    TouchpointKind,
)


class PipelineFilter(django_filters.FilterSet):
    is_active = BooleanFilter()

    class Meta:
        model = Pipeline
        fields = ["is_active"]


class StageFilter(django_filters.FilterSet):
    pipeline = IdFilter()
    kind = django_filters.ChoiceFilter(choices=StageKind.choices)

    class Meta:
        model = Stage
        fields = ["pipeline", "kind"]


class OpportunityFilter(django_filters.FilterSet):
    owner = IdFilter()
    pipeline = IdFilter()
    stage = IdFilter()
    company = IdFilter()
    contact = IdFilter()
    status = django_filters.ChoiceFilter(choices=OpportunityStatus.choices)
    forecast_category = django_filters.ChoiceFilter(choices=ForecastCategory.choices)
    is_stale = BooleanFilter(
        field_name="stale_since", lookup_expr="isnull", exclude=True, label=_("Stale")
    )
    expected_close_after = django_filters.DateFilter(
        field_name="expected_close_date", lookup_expr="gte"
    )
    expected_close_before = django_filters.DateFilter(
        field_name="expected_close_date", lookup_expr="lte"
    )
    created_after = UtcDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = UtcDateTimeFilter(field_name="created_at", lookup_expr="lt")
    updated_since = UtcDateTimeFilter(field_name="updated_at", lookup_expr="gte")
    closed_after = UtcDateTimeFilter(field_name="closed_at", lookup_expr="gte")
    closed_before = UtcDateTimeFilter(field_name="closed_at", lookup_expr="lt")

    class Meta:
        model = Opportunity
        fields = ["owner", "pipeline", "stage", "company", "contact", "status", "currency"]


class TouchpointFilter(django_filters.FilterSet):
    by = IdFilter()
    opportunity = IdFilter()
    lead = IdFilter()
    contact = IdFilter()
    company = IdFilter()
    kind = django_filters.ChoiceFilter(choices=TouchpointKind.choices)
    at_after = UtcDateTimeFilter(field_name="at", lookup_expr="gte")
    at_before = UtcDateTimeFilter(field_name="at", lookup_expr="lt")

    class Meta:
        model = Touchpoint
        fields = ["kind", "by", "opportunity", "lead", "contact", "company"]


class TaskFilter(django_filters.FilterSet):
    assignee = IdFilter()
    opportunity = IdFilter()
    lead = IdFilter()
    contact = IdFilter()
    company = IdFilter()
    is_done = BooleanFilter(
        field_name="done_at", lookup_expr="isnull", exclude=True, label=_("Done")
    )
    is_overdue = BooleanFilter(
        field_name="overdue_since", lookup_expr="isnull", exclude=True, label=_("Overdue")
    )
    due_after = UtcDateTimeFilter(field_name="due_at", lookup_expr="gte")
    due_before = UtcDateTimeFilter(field_name="due_at", lookup_expr="lt")

    class Meta:
        model = Task
        fields = ["assignee", "opportunity", "lead", "contact", "company"]
