from collections.abc import Iterable
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.currencies import validate_currency
from pipeline.querysets import (
    OpportunityQuerySet,
    PipelineQuerySet,
    StageChangeQuerySet,
    StageQuerySet,
    TaskQuerySet,
    TouchpointQuerySet,
)


class Pipeline(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    objects = PipelineQuerySet.as_manager()

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("pipeline")
        verbose_name_plural = _("pipelines")

    def __str__(self) -> str:
        return self.name


class StageKind(models.TextChoices):
    OPEN = "open", _("Open")
    WON = "won", _("Won")
    LOST = "lost", _("Lost")


class EntryField(models.TextChoices):
    """Deal fields a stage can require before a deal may enter it."""

    VALUE = "value", _("Value")
    EXPECTED_CLOSE_DATE = "expected_close_date", _("Expected close date")
    CONTACT = "contact", _("Contact")
    NEXT_TASK = "next_task", _("An open task")


class Stage(models.Model):
    pipeline = models.ForeignKey(
        Pipeline, verbose_name=_("pipeline"), on_delete=models.CASCADE, related_name="stages"
    )
    name = models.CharField(_("name"), max_length=100)
    position = models.PositiveSmallIntegerField(_("position"))
    probability = models.PositiveSmallIntegerField(
        _("win probability (%)"), validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    rotting_days = models.PositiveSmallIntegerField(
        _("days before stale"),
        null=True,
        blank=True,
        help_text=_(
            "A deal is stale after this many days in the stage or without a touchpoint. "
            "Empty: never."
        ),
    )
    kind = models.CharField(_("kind"), max_length=10, choices=StageKind, default=StageKind.OPEN)
    # Field names from EntryField; checked by the move service before a deal may enter.
    entry_fields = models.JSONField(_("required fields"), default=list, blank=True)
    # Free-text items the rep must tick on the deal before it may enter.
    entry_checklist = models.JSONField(_("entry checklist"), default=list, blank=True)
    # A stage with history is archived rather than deleted: its StageChange rows stay true.
    archived_at = models.DateTimeField(_("archived at"), null=True, blank=True)

    objects = StageQuerySet.as_manager()

    class Meta:
        ordering = ["pipeline", "position", "pk"]
        verbose_name = _("stage")
        verbose_name_plural = _("stages")
        constraints = [
            # Archived stages keep their name in history but free it for a new stage.
            models.UniqueConstraint(
                fields=["pipeline", "name"],
                condition=Q(archived_at__isnull=True),
                name="stage_name_unique",
            ),
            models.CheckConstraint(
                condition=Q(probability__gte=0, probability__lte=100),
                name="stage_probability_range",
                violation_error_message=_("Win probability must be between 0 and 100."),
            ),
            models.CheckConstraint(condition=Q(kind__in=StageKind.values), name="stage_kind_valid"),
            # Closed stages are certainties; only open stages carry a real estimate.
            models.CheckConstraint(
                condition=Q(kind=StageKind.OPEN)
                | Q(kind=StageKind.WON, probability=100)
                | Q(kind=StageKind.LOST, probability=0),
                name="stage_closed_probability",
                violation_error_message=_("A won stage is 100% and a lost stage 0%."),
            ),
            models.CheckConstraint(
                condition=Q(rotting_days__isnull=True) | Q(rotting_days__gte=1),
                name="stage_rotting_days_positive",
            ),
        ]
        indexes = [models.Index(fields=["pipeline", "position"], name="stage_order_idx")]

    def __str__(self) -> str:
        return f"{self.pipeline.name}: {self.name}" if self.pipeline_id else self.name

    @property
    def is_open(self) -> bool:
        return self.kind == StageKind.OPEN


_KIND_ORDER: dict[str, int] = {StageKind.OPEN: 0, StageKind.WON: 1, StageKind.LOST: 2}


def board_order(stages: Iterable[Stage]) -> list[Stage]:
    """Open stages by position, then won, then lost: the board's columns and settings' rows."""
    return sorted(
        stages, key=lambda stage: (_KIND_ORDER.get(stage.kind, 0), stage.position, stage.pk)
    )


class OpportunityStatus(models.TextChoices):
    OPEN = "open", _("Open")
    WON = "won", _("Won")
    LOST = "lost", _("Lost")


class ForecastCategory(models.TextChoices):
    PIPELINE = "pipeline", _("Pipeline")
    BEST_CASE = "best_case", _("Best case")
    COMMIT = "commit", _("Commit")
    CLOSED = "closed", _("Closed")
    OMITTED = "omitted", _("Omitted")


# Board positions are sparse so that a drop between two cards writes one row; a column is
# renumbered only when two neighbours end up with no integer between them.
POSITION_GAP = 1 << 16


class Opportunity(models.Model):
    title = models.CharField(_("title"), max_length=200)
    company = models.ForeignKey(
        "contacts.Company",
        verbose_name=_("company"),
        on_delete=models.PROTECT,
        related_name="opportunities",
    )
    contact = models.ForeignKey(
        "contacts.Contact",
        verbose_name=_("contact"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="opportunities",
    )
    lead = models.ForeignKey(
        "contacts.Lead",
        verbose_name=_("converted from lead"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="opportunities",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        # Deactivate users instead: owners are the history behind quotas and win rates.
        on_delete=models.PROTECT,
        related_name="opportunities",
        # Covered by a composite index that starts with this column.
        db_index=False,
    )
    pipeline = models.ForeignKey(
        Pipeline,
        verbose_name=_("pipeline"),
        on_delete=models.PROTECT,
        related_name="+",
        # Covered by a composite index that starts with this column.
        db_index=False,
    )
    stage = models.ForeignKey(
        Stage,
        verbose_name=_("stage"),
        # A stage holding deals is deleted only after its deals are moved elsewhere.
        on_delete=models.PROTECT,
        related_name="opportunities",
    )
    value = models.DecimalField(
        _("value"), max_digits=14, decimal_places=2, default=Decimal("0.00")
    )
    currency = models.CharField(
        _("currency"), max_length=3, default="EUR", validators=[validate_currency]
    )
    expected_close_date = models.DateField(_("expected close date"), null=True, blank=True)
    forecast_category = models.CharField(
        _("forecast category"),
        max_length=20,
        choices=ForecastCategory,
        default=ForecastCategory.PIPELINE,
    )
    position = models.BigIntegerField(_("position in column"), default=0)
    stage_entered_at = models.DateTimeField(_("entered stage at"), default=timezone.now)
    last_touch_at = models.DateTimeField(_("last touch"), null=True, blank=True)
    stale_since = models.DateField(_("stale since"), null=True, blank=True)
    checklist_done = models.JSONField(_("checklist items done"), default=list, blank=True)
    # Bumped by every write; a move or edit naming an older version lost a race (409).
    version = models.PositiveIntegerField(_("version"), default=1)
    status = models.CharField(
        _("status"), max_length=10, choices=OpportunityStatus, default=OpportunityStatus.OPEN
    )
    lost_reason = models.CharField(_("lost reason"), max_length=200, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Who wrote the current version: a user who loses a race is told who won it.
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("last changed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    external_id = models.CharField(_("external id"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = OpportunityQuerySet.as_manager()

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("opportunity")
        verbose_name_plural = _("opportunities")
        constraints = [
            models.CheckConstraint(
                condition=Q(value__gte=0),
                name="opportunity_value_not_negative",
                violation_error_message=_("Value cannot be negative."),
            ),
            models.CheckConstraint(
                condition=Q(currency__regex=r"^[A-Z]{3}$"),
                name="opportunity_currency_iso",
                violation_error_message=_("Currency must be a three-letter ISO code."),
            ),
            models.CheckConstraint(
                condition=Q(status__in=OpportunityStatus.values), name="opportunity_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(forecast_category__in=ForecastCategory.values),
                name="opportunity_forecast_category_valid",
            ),
            # Closed deals carry their closing time; open ones do not.
            models.CheckConstraint(
                condition=Q(status=OpportunityStatus.OPEN, closed_at__isnull=True)
                | (~Q(status=OpportunityStatus.OPEN) & Q(closed_at__isnull=False)),
                name="opportunity_closed_at_matches_status",
            ),
            models.CheckConstraint(
                condition=~Q(status=OpportunityStatus.LOST) | ~Q(lost_reason=""),
                name="opportunity_lost_has_reason",
                violation_error_message=_("A lost deal needs a lost reason."),
            ),
            models.CheckConstraint(
                condition=Q(version__gte=1), name="opportunity_version_positive"
            ),
            models.UniqueConstraint(
                fields=["external_id"],
                condition=~Q(external_id=""),
                name="opportunity_external_id_unique",
            ),
        ]
        indexes = [
            # The board: open deals of one stage in card order.
            models.Index(
                fields=["stage", "position", "id"],
                condition=Q(status="open"),
                name="opportunity_board_idx",
            ),
            models.Index(
                fields=["pipeline", "status", "expected_close_date"],
                name="opportunity_pipeline_close_idx",
            ),
            models.Index(fields=["owner", "status"], name="opportunity_owner_status_idx"),
            # Nightly stale-deal job and the stale badge.
            models.Index(
                fields=["stage_entered_at"],
                condition=Q(status="open"),
                name="opportunity_open_entered_idx",
            ),
            models.Index(fields=["closed_at"], name="opportunity_closed_idx"),
            # Board polling asks "anything newer than X in this pipeline?": an index-only probe.
            models.Index(fields=["pipeline", "updated_at"], name="opportunity_pipeline_upd_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def weighted_value(self) -> Decimal:
        return self.value * self.stage.probability / 100


class StageChange(models.Model):
    opportunity = models.ForeignKey(
        Opportunity,
        verbose_name=_("opportunity"),
        on_delete=models.CASCADE,
        related_name="stage_changes",
        # Covered by a composite index that starts with this column.
        db_index=False,
    )
    from_stage = models.ForeignKey(
        Stage,
        verbose_name=_("from stage"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty when the deal was created in the stage."),
        # Covered by a composite index that starts with this column.
        db_index=False,
    )
    to_stage = models.ForeignKey(
        Stage,
        verbose_name=_("to stage"),
        on_delete=models.PROTECT,
        related_name="+",
        # Covered by a composite index that starts with this column.
        db_index=False,
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    at = models.DateTimeField(_("at"), default=timezone.now)

    objects = StageChangeQuerySet.as_manager()

    class Meta:
        ordering = ["at", "pk"]
        get_latest_by = "at"
        verbose_name = _("stage change")
        verbose_name_plural = _("stage changes")
        constraints = [
            models.CheckConstraint(
                condition=Q(from_stage__isnull=True) | ~Q(from_stage=F("to_stage")),
                name="stage_change_moves",
            ),
        ]
        indexes = [
            models.Index(fields=["opportunity", "at"], name="stage_change_deal_idx"),
            # Conversion and time-in-stage reports: entries into a stage over a period.
            models.Index(fields=["to_stage", "at"], name="stage_change_to_idx"),
            models.Index(fields=["from_stage", "at"], name="stage_change_from_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.opportunity_id}: {self.from_stage_id} -> {self.to_stage_id}"


class TouchpointKind(models.TextChoices):
    CALL = "call", _("Call")
    EMAIL = "email", _("Email")
    MEETING = "meeting", _("Meeting")
    NOTE = "note", _("Note")


class TouchpointOutcome(models.TextChoices):
    NONE = "", _("—")
    CONNECTED = "connected", _("Connected")
    NO_ANSWER = "no_answer", _("No answer")
    VOICEMAIL = "voicemail", _("Left voicemail")
    REPLIED = "replied", _("Replied")
    MEETING_BOOKED = "meeting_booked", _("Meeting booked")
    NOT_INTERESTED = "not_interested", _("Not interested")


# A touchpoint and a task are about exactly the things these fields name; at least one.
SUBJECT_FIELDS = ("lead", "contact", "opportunity")
_has_subject = Q(lead__isnull=False) | Q(contact__isnull=False) | Q(opportunity__isnull=False)


class Touchpoint(models.Model):
    kind = models.CharField(_("kind"), max_length=10, choices=TouchpointKind)
    at = models.DateTimeField(_("at"), default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="touchpoints",
        # Covered by a composite index that starts with this column.
        db_index=False,
    )
    outcome = models.CharField(
        _("outcome"), max_length=20, choices=TouchpointOutcome, blank=True, default=""
    )
    summary = models.TextField(_("summary"), blank=True)
    lead = models.ForeignKey(
        "contacts.Lead",
        verbose_name=_("lead"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="touchpoints",
        # Covered by a composite index that starts with this column.
        db_index=False,
    )
    contact = models.ForeignKey(
        "contacts.Contact",
        verbose_name=_("contact"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="touchpoints",
        # Covered by a composite index that starts with this column.
        db_index=False,
    )
    opportunity = models.ForeignKey(
        Opportunity,
        verbose_name=_("opportunity"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="touchpoints",
        # Covered by a composite index that starts with this column.
        db_index=False,
    )

    objects = TouchpointQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("touchpoint")
        verbose_name_plural = _("touchpoints")
        constraints = [
            models.CheckConstraint(condition=_has_subject, name="touchpoint_has_subject"),
            models.CheckConstraint(
                condition=Q(kind__in=TouchpointKind.values), name="touchpoint_kind_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["opportunity", "-at"], name="touchpoint_deal_idx"),
            models.Index(fields=["lead", "-at"], name="touchpoint_lead_idx"),
            models.Index(fields=["contact", "-at"], name="touchpoint_contact_idx"),
            models.Index(fields=["by", "-at"], name="touchpoint_by_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.at:%Y-%m-%d}"


class Task(models.Model):
    title = models.CharField(_("title"), max_length=200)
    notes = models.TextField(_("notes"), blank=True)
    due_at = models.DateTimeField(_("due"))
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    # Set and cleared by the nightly job; the overdue badge and "My day" read it.
    overdue_since = models.DateField(_("overdue since"), null=True, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        on_delete=models.PROTECT,
        related_name="tasks",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    lead = models.ForeignKey(
        "contacts.Lead",
        verbose_name=_("lead"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="tasks",
        # Covered by a composite index that starts with this column.
        db_index=False,
    )
    contact = models.ForeignKey(
        "contacts.Contact",
        verbose_name=_("contact"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="tasks",
        # Covered by a composite index that starts with this column.
        db_index=False,
    )
    opportunity = models.ForeignKey(
        Opportunity,
        verbose_name=_("opportunity"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="tasks",
    )

    objects = TaskQuerySet.as_manager()

    class Meta:
        ordering = ["due_at", "pk"]
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        constraints = [
            models.CheckConstraint(condition=_has_subject, name="task_has_subject"),
            models.CheckConstraint(
                condition=Q(done_at__isnull=True) | Q(overdue_since__isnull=True),
                name="task_done_is_not_overdue",
            ),
        ]
        indexes = [
            # "My day" and the overdue job: a user's open tasks by due date.
            models.Index(
                fields=["assignee", "due_at"],
                condition=Q(done_at__isnull=True),
                name="task_open_assignee_idx",
            ),
            models.Index(
                fields=["due_at"], condition=Q(done_at__isnull=True), name="task_open_due_idx"
            ),
            # The card's "next task due": open tasks of one deal by due date.
            models.Index(
                fields=["opportunity", "due_at"],
                condition=Q(done_at__isnull=True),
                name="task_open_deal_idx",
            ),
            models.Index(fields=["lead", "due_at"], name="task_lead_idx"),
            models.Index(fields=["contact", "due_at"], name="task_contact_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_done(self) -> bool:
        return self.done_at is not None


class AlertKind(models.TextChoices):
    CONGESTED = "congested", _("Congested stage")
    CLOSING_CROWD = "closing_crowd", _("Crowded closing stage")
    THIN_FRONT = "thin_front", _("Thin front of the pipeline")


class StageAlert(models.Model):
    """A red flag the nightly job raised about one stage on one day (see pipeline.jobs).

    Every alert names a stage: a thin front names the pipeline's first open stage and a
    closing crowd its final one, so one unique constraint covers every kind.
    """

    stage = models.ForeignKey(
        Stage, verbose_name=_("stage"), on_delete=models.CASCADE, related_name="alerts"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=AlertKind)
    raised_on = models.DateField(_("raised on"))
    count = models.PositiveIntegerField(_("deals"))
    # The trailing median the count was compared with (a median of counts can end in .5).
    baseline = models.DecimalField(_("usual"), max_digits=12, decimal_places=1)

    class Meta:
        ordering = ["-raised_on", "stage", "kind"]
        verbose_name = _("stage alert")
        verbose_name_plural = _("stage alerts")
        constraints = [
            # The nightly job re-raises the day's alerts with ON CONFLICT DO NOTHING.
            models.UniqueConstraint(
                fields=["raised_on", "stage", "kind"], name="stage_alert_unique_per_day"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=AlertKind.values), name="stage_alert_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.stage_id} on {self.raised_on}"
