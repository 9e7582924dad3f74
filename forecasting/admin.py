"""Admin for quotas (set by admins), pipeline snapshots (written only by the nightly job) and
forecast adjustments (made on the forecast page), the last two read-only."""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from forecasting.models import (
    DealDay,
    ForecastAdjustment,
    FunnelStage,
    MovementTally,
    ObservedFill,
    ObservedPeriod,
    OpeningTally,
    PipelineSnapshot,
    Quota,
    ReportZone,
    SnapshotReading,
    StayMonth,
    TaskDoneDay,
    TouchpointDay,
    WonCycleMonth,
)


@admin.register(Quota)
class QuotaAdmin(admin.ModelAdmin):
    list_display = ("target", "period_start", "period_end", "amount", "currency")
    list_filter = ("team", "currency")
    list_select_related = ("user", "team")
    search_fields = ("user__username", "user__last_name", "team__name")
    date_hierarchy = "period_start"
    autocomplete_fields = ("user", "team")

    @admin.display(description=_("for"))
    def target(self, quota: Quota) -> str:
        return str(quota.user or quota.team)


@admin.register(PipelineSnapshot)
class PipelineSnapshotAdmin(admin.ModelAdmin):
    """The forecast's history, read-only: the nightly job writes it, deal deletion removes it."""

    list_display = (
        "taken_on",
        "opportunity",
        "pipeline",
        "stage",
        "owner",
        "value",
        "currency",
        "probability",
        "forecast_category",
        "expected_close_date",
    )
    list_filter = ("pipeline", "forecast_category")
    search_fields = ("opportunity__title",)
    date_hierarchy = "taken_on"

    def get_queryset(self, request: HttpRequest) -> QuerySet[PipelineSnapshot]:
        # Every relation is shown, in the list and on the read-only page alike.
        return (
            super()
            .get_queryset(request)
            .select_related("opportunity", "pipeline", "stage__pipeline", "owner")
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(
        self, request: HttpRequest, obj: PipelineSnapshot | None = None
    ) -> bool:
        return False

    def has_delete_permission(
        self, request: HttpRequest, obj: PipelineSnapshot | None = None
    ) -> bool:
        # Asked per row when a deal is deleted; without an object it would offer bulk delete.
        return obj is not None and super().has_delete_permission(request, obj)


@admin.register(ForecastAdjustment)
class ForecastAdjustmentAdmin(admin.ModelAdmin):
    """Adjustments read-only: they are the record of who moved a call, made on the forecast."""

    list_display = (
        "adjusted_at",
        "adjusted_by",
        "call_of",
        "period",
        "category",
        "previous_amount",
        "amount",
        "currency",
    )
    list_filter = ("period", "category")
    list_select_related = ("adjusted_by", "rep", "team")
    search_fields = ("rep__username", "team__name", "note")
    date_hierarchy = "adjusted_at"

    def get_queryset(self, request: HttpRequest) -> QuerySet[ForecastAdjustment]:
        return super().get_queryset(request).select_related("adjusted_by", "rep", "team")

    @admin.display(description=_("call of"))
    def call_of(self, adjustment: ForecastAdjustment) -> str:
        return str(adjustment.rep or adjustment.team)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(
        self, request: HttpRequest, obj: ForecastAdjustment | None = None
    ) -> bool:
        return False

    def has_delete_permission(
        self, request: HttpRequest, obj: ForecastAdjustment | None = None
    ) -> bool:
        # Asked per row when a rep or team is deleted; without an object it would offer bulk
        # delete, and history goes only with the rep or team it is about.
        return obj is not None and super().has_delete_permission(request, obj)


@admin.register(
    ReportZone,
    DealDay,
    WonCycleMonth,
    FunnelStage,
    StayMonth,
    ObservedPeriod,
    ObservedFill,
    TouchpointDay,
    TaskDoneDay,
    SnapshotReading,
    MovementTally,
    OpeningTally,
)
class RollupAdmin(admin.ModelAdmin):
    """Rollups are derived from the deals (``forecasting.rollup_upkeep``) and from touchpoints
    and tasks (``forecasting.activity_upkeep``): shown, never edited."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
