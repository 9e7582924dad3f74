"""Admin for pipelines, stages, deals, their history, touchpoints and tasks.

Fields that services and nightly jobs own (a deal's version, stage entry time, stale flag,
last touch; a task's overdue flag) are read-only here. Moves between stages go through
``move_opportunity`` so that every one is recorded: on an existing deal the stage and
status are read-only. Deals, companies, contacts and leads are autocomplete fields.
"""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, F, Q, QuerySet
from django.forms import BaseInlineFormSet, ModelForm
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from pipeline.models import (
    BoardChange,
    BuyingRole,
    ClosedColumnTally,
    DealChange,
    DealContact,
    DealField,
    LineItem,
    OpenColumnTally,
    Opportunity,
    OpportunityStatus,
    Pipeline,
    Product,
    ProductPrice,
    Stage,
    StageAlert,
    StageChange,
    Task,
    Touchpoint,
)
from pipeline.services.opportunities import check_new_opportunity, create_opportunity
from pipeline.services.reporting import activity_added, activity_changing, deals_changing
from pipeline.signals import history_rewritten

SUBJECT_RELATIONS = ("lead", "contact", "opportunity")


class StageInline(admin.TabularInline):
    model = Stage
    fields = (
        "position",
        "name",
        "kind",
        "probability",
        "rotting_days",
        "entry_fields",
        "entry_checklist",
    )
    ordering = ("position", "pk")
    extra = 0


@admin.register(Pipeline)
class PipelineAdmin(admin.ModelAdmin):
    list_display = ("name", "position", "is_active", "stage_count", "created_at")
    list_editable = ("position", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name",)
    # Explicit: a query with GROUP BY (stage_count) ignores the model's Meta.ordering.
    ordering = ("position", "name")
    inlines = (StageInline,)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Pipeline]:
        return super().get_queryset(request).annotate(stage_count=Count("stages"))

    @admin.display(description=_("stages"), ordering="stage_count")
    def stage_count(self, pipeline: Pipeline) -> int:
        return pipeline.stage_count  # type: ignore[attr-defined]


@admin.register(Stage)
class StageAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "pipeline",
        "position",
        "kind",
        "probability",
        "rotting_days",
        "open_deal_count",
    )
    list_filter = ("pipeline", "kind")
    search_fields = ("name", "pipeline__name")
    ordering = ("pipeline__position", "pipeline__name", "position", "pk")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Stage]:
        open_deals = Count("opportunities", filter=Q(opportunities__status=OpportunityStatus.OPEN))
        # A stage is named after its pipeline: in this list and in every stage autocomplete.
        return (
            super()
            .get_queryset(request)
            .select_related("pipeline")
            .annotate(open_deal_count=open_deals)
        )

    @admin.display(description=_("open deals"), ordering="open_deal_count")
    def open_deal_count(self, stage: Stage) -> int:
        return stage.open_deal_count  # type: ignore[attr-defined]


class RecentStageChangeFormSet(BaseInlineFormSet):
    # A long-lived deal can collect hundreds of moves; the full history has its own list.
    limit = 20

    def get_queryset(self) -> QuerySet[StageChange]:
        if not hasattr(self, "_recent"):
            self._recent = super().get_queryset().order_by("-at", "-pk")[: self.limit]
        return self._recent


class StageChangeInline(admin.TabularInline):
    """The deal's latest moves, read-only: history is written by ``move_opportunity``."""

    model = StageChange
    formset = RecentStageChangeFormSet
    fields = ("at", "from_stage", "to_stage", "by")
    readonly_fields = fields
    extra = 0
    verbose_name_plural = _("latest stage changes")

    def get_queryset(self, request: HttpRequest) -> QuerySet[StageChange]:
        return (
            super()
            .get_queryset(request)
            .select_related("from_stage__pipeline", "to_stage__pipeline", "by")
        )

    def has_add_permission(self, request: HttpRequest, obj: Opportunity | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Opportunity | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Opportunity | None = None) -> bool:
        return False


@contextmanager
def _reported(opportunity_ids: Iterable[int]) -> Iterator[None]:
    """An admin's change to deals, which reports follow: locked first, so they read the
    deals as they were until the change is written."""
    ids = list(
        Opportunity.objects.select_for_update()
        .filter(pk__in=list(opportunity_ids))
        .values_list("pk", flat=True)
    )
    with deals_changing(ids):
        yield


@admin.register(Opportunity)
class OpportunityAdmin(admin.ModelAdmin):
    list_display = (
        "title",
        "company",
        "owner",
        "stage",
        "status",
        "value",
        "currency",
        "expected_close_date",
        "stale_since",
        "updated_at",
    )
    list_filter = (
        "status",
        "pipeline",
        "forecast_category",
        ("stale_since", admin.EmptyFieldListFilter),
    )
    search_fields = ("title", "company__name", "external_id")
    date_hierarchy = "created_at"
    autocomplete_fields = ("company", "contact", "lead", "owner", "stage")
    # Services and the nightly job own these; an admin edit must not rewind them.
    readonly_fields = (
        "version",
        "stage_entered_at",
        "last_touch_at",
        "stale_since",
        "created_by",
        "created_at",
        "updated_by",
        "updated_at",
    )
    inlines = (StageChangeInline,)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Opportunity]:
        # The list's columns and the change form's read-only relations, in one query. (The
        # changelist ignores list_select_related once this queryset joins anything.)
        return (
            super()
            .get_queryset(request)
            .select_related(
                "company", "owner", "stage__pipeline", "pipeline", "created_by", "updated_by"
            )
        )

    def get_readonly_fields(
        self, request: HttpRequest, obj: Opportunity | None = None
    ) -> tuple[str, ...]:
        readonly = tuple(super().get_readonly_fields(request, obj))
        if obj is None:
            # create_opportunity opens the deal and puts it on top of its column.
            return (*readonly, "status", "closed_at", "lost_reason", "position")
        # Moving a deal is the board's job: it records a StageChange, sets the status and
        # gives the card a place no other card of its column has.
        return (*readonly, "pipeline", "stage", "status", "closed_at", "lost_reason", "position")

    def get_form(
        self, request: HttpRequest, obj: Opportunity | None = None, change: bool = False, **kwargs
    ) -> type[ModelForm]:
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is not None:
            return form

        class AddOpportunityForm(form):  # type: ignore[valid-type,misc]
            """Checks the add form the way create_opportunity will, so errors show per field."""

            def clean(self) -> dict:
                cleaned = super().clean()
                try:
                    check_new_opportunity(
                        by=request.user,
                        title=cleaned.get("title") or "",
                        company=cleaned.get("company"),
                        pipeline=cleaned.get("pipeline"),
                        stage=cleaned.get("stage"),
                        contact=cleaned.get("contact"),
                    )
                except ValidationError as error:
                    for field, messages in error.message_dict.items():
                        self.add_error(field if field in self.fields else None, messages)
                return cleaned

        return AddOpportunityForm

    def save_model(
        self, request: HttpRequest, obj: Opportunity, form: ModelForm, change: bool
    ) -> None:
        if not change:
            # A new deal gets its first StageChange and its place on the board like any other.
            data = form.cleaned_data
            created = create_opportunity(
                by=request.user,
                title=data["title"],
                company=data["company"],
                pipeline=data["pipeline"],
                stage=data["stage"],
                owner=data["owner"],
                value=data["value"],
                currency=data["currency"],
                expected_close_date=data.get("expected_close_date"),
                contact=data.get("contact"),
                lead=data.get("lead"),
                external_id=data.get("external_id") or "",
            )
            Opportunity.objects.filter(pk=created.pk).update(
                forecast_category=data.get("forecast_category") or created.forecast_category,
                checklist_done=data.get("checklist_done") or [],
            )
            obj.pk = created.pk
            obj.refresh_from_db()
            obj._state.adding = False
            return
        # A board move still holding the old version must now lose its race (409).
        obj.version = F("version") + 1
        obj.updated_by = request.user
        with transaction.atomic(), _reported([obj.pk]):
            super().save_model(request, obj, form, change)
        obj.refresh_from_db(fields=["version"])

    def delete_model(self, request: HttpRequest, obj: Opportunity) -> None:
        with transaction.atomic(), _reported([obj.pk]):
            super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Opportunity]) -> None:
        with transaction.atomic(), _reported(queryset.values_list("pk", flat=True)):
            super().delete_queryset(request, queryset)


@admin.register(StageChange)
class StageChangeAdmin(admin.ModelAdmin):
    """Stage history: never added or changed here, and never deleted in bulk.

    Deleting a deal (an erasure request) deletes its history, so a single row stays deletable.
    """

    list_display = ("opportunity", "from_stage", "to_stage", "by", "at")
    list_filter = ("to_stage__pipeline",)
    search_fields = ("opportunity__title",)
    date_hierarchy = "at"

    def get_queryset(self, request: HttpRequest) -> QuerySet[StageChange]:
        return (
            super()
            .get_queryset(request)
            .select_related("opportunity", "from_stage__pipeline", "to_stage__pipeline", "by")
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: StageChange | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: StageChange | None = None) -> bool:
        # Asked per row when a deal is deleted; without an object it would offer bulk delete.
        return obj is not None and super().has_delete_permission(request, obj)

    def delete_model(self, request: HttpRequest, obj: StageChange) -> None:
        # The deal's past is rewritten: reports that keep what ended periods saw count again.
        with transaction.atomic():
            super().delete_model(request, obj)
            history_rewritten.send(
                sender=StageChange, opportunity_ids=frozenset({obj.opportunity_id})
            )


class SubjectListMixin:
    """What a touchpoint or task is about: its deal, else its contact, else its lead."""

    @admin.display(description=_("about"))
    def subject(self, row: Touchpoint | Task) -> str:
        for relation in ("opportunity", "contact", "lead"):
            related = getattr(row, relation)
            if related is not None:
                return str(related)
        return ""


class ReportedActivityMixin:
    """An admin's edit of a touchpoint or task, which activity reports follow (deleting one
    needs nothing here: reports hear of it through ``pre_delete``)."""

    def save_model(
        self, request: HttpRequest, obj: Touchpoint | Task, form: ModelForm, change: bool
    ) -> None:
        model = type(obj)
        if change:
            with activity_changing(model, [obj.pk]):
                super().save_model(request, obj, form, change)  # type: ignore[misc]
        else:
            super().save_model(request, obj, form, change)  # type: ignore[misc]
            activity_added(model, [obj.pk])


@admin.register(Touchpoint)
class TouchpointAdmin(SubjectListMixin, ReportedActivityMixin, admin.ModelAdmin):
    list_display = ("__str__", "kind", "outcome", "by", "subject", "at")
    list_filter = ("kind", "outcome")
    list_select_related = ("by", *SUBJECT_RELATIONS)
    search_fields = ("summary", "opportunity__title", "lead__last_name", "contact__last_name")
    date_hierarchy = "at"
    autocomplete_fields = ("by", *SUBJECT_RELATIONS)


@admin.register(Task)
class TaskAdmin(SubjectListMixin, ReportedActivityMixin, admin.ModelAdmin):
    list_display = ("title", "assignee", "subject", "due_at", "done_at", "overdue_since")
    list_filter = (
        ("done_at", admin.EmptyFieldListFilter),
        ("overdue_since", admin.EmptyFieldListFilter),
    )
    list_select_related = ("assignee", *SUBJECT_RELATIONS)
    search_fields = ("title", "opportunity__title", "lead__last_name", "contact__last_name")
    date_hierarchy = "due_at"
    autocomplete_fields = ("assignee", *SUBJECT_RELATIONS)
    # The nightly job sets and clears the overdue flag.
    readonly_fields = ("overdue_since", "created_by", "created_at")

    def save_model(self, request: HttpRequest, obj: Task, form: ModelForm, change: bool) -> None:
        if not change:
            obj.created_by = request.user
        if obj.done_at is not None:
            # A done task is not overdue (task_done_is_not_overdue); clear the job's flag.
            obj.overdue_since = None
        super().save_model(request, obj, form, change)


@admin.register(StageAlert)
class StageAlertAdmin(admin.ModelAdmin):
    """Red flags the nightly job raised (pipeline.jobs): read-only, it rewrites them nightly."""

    list_display = ("raised_on", "kind", "stage", "count", "baseline")
    list_filter = ("kind", "stage__pipeline")
    list_select_related = ("stage__pipeline",)
    date_hierarchy = "raised_on"
    actions = None

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: StageAlert | None = None) -> bool:
        return False


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows services write with their rules (history, a deal's value): looked at, not edited.

    A single row stays deletable (a deal's erasure deletes its rows); bulk deletion is off.
    """

    actions = None

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(DealChange)
class DealChangeAdmin(ReadOnlyAdmin):
    list_display = ("opportunity", "field", "old_display", "new_display", "by", "at")
    list_filter = ("field",)
    list_select_related = ("opportunity", "by")
    search_fields = ("opportunity__title",)
    date_hierarchy = "at"


class ProductPriceInline(admin.TabularInline):
    model = ProductPrice
    extra = 1


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "is_active", "updated_at")
    list_filter = ("is_active",)
    search_fields = ("name", "code", "external_id")
    inlines = [ProductPriceInline]


@admin.register(ProductPrice)
class ProductPriceAdmin(admin.ModelAdmin):
    list_display = ("product", "currency", "unit_price")
    list_filter = ("currency",)
    list_select_related = ("product",)
    search_fields = ("product__name", "product__code")
    autocomplete_fields = ("product",)


@admin.register(LineItem)
class LineItemAdmin(ReadOnlyAdmin):
    """A deal's value follows its line items: they change through the deal's pages and API."""

    list_display = ("opportunity", "product", "quantity", "unit_price", "discount")
    list_select_related = ("opportunity", "product")
    search_fields = ("opportunity__title", "product__name", "product__code")


@admin.register(BuyingRole)
class BuyingRoleAdmin(admin.ModelAdmin):
    list_display = ("name", "decides", "position", "is_active")
    list_editable = ("position",)
    list_filter = ("decides", "is_active")
    search_fields = ("name",)


@admin.register(DealContact)
class DealContactAdmin(ReadOnlyAdmin):
    """The primary member is the deal's contact: both change together, on the deal's pages."""

    list_display = ("opportunity", "contact", "role", "is_primary", "created_at")
    list_filter = ("role", "is_primary")
    list_select_related = ("opportunity", "contact", "role")
    search_fields = ("opportunity__title", "contact__first_name", "contact__last_name")


@admin.register(DealField)
class DealFieldAdmin(ReadOnlyAdmin):
    """Defined and changed in Settings -> Custom fields, whose rules the admin would skip."""

    list_display = ["label", "key", "kind", "required_from_stage", "position", "archived_at"]
    list_filter = ["kind"]
    list_select_related = ["required_from_stage__pipeline"]

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        # Deals keep values by key: archive a field instead.
        return False


class ColumnTallyAdmin(admin.ModelAdmin):
    """The board's column tallies, kept by the database's triggers and recounted nightly
    (``pipeline.column_tallies``): shown, never edited."""

    actions = None
    list_select_related = ("stage__pipeline", "owner")
    list_filter = ("stage__pipeline", "currency")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(OpenColumnTally)
class OpenColumnTallyAdmin(ColumnTallyAdmin):
    list_display = ("stage", "owner", "currency", "deals", "value")


@admin.register(ClosedColumnTally)
class ClosedColumnTallyAdmin(ColumnTallyAdmin):
    list_display = ("stage", "closed_on", "owner", "currency", "deals", "value")
    date_hierarchy = "closed_on"


@admin.register(BoardChange)
class BoardChangeAdmin(ColumnTallyAdmin):
    """The board's change sequence, written by the database's triggers and pruned nightly
    (``pipeline.board_changes``): shown, never edited. By id: a row outlives the deal,
    stage or pipeline it names, which a join would hide."""

    list_display = (
        "at",
        "pipeline_id",
        "opportunity_id",
        "stage_id",
        "former_stage_id",
        "owner_id",
        "former_owner_id",
    )
    list_select_related = ()
    list_filter = ()
    date_hierarchy = "at"
