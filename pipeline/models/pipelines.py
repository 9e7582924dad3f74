"""Pipelines and their stages: the board's columns, in order, with their rules."""

from collections.abc import Iterable

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pipeline.querysets import (
    PipelineQuerySet,
    StageQuerySet,
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
    # Someone on the buying team whose role decides (BuyingRole.decides).
    DECISION_MAKER = "decision_maker", _("A decision maker on the buying team")


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


def board_rank(stage: Stage) -> tuple[int, int]:
    """Where ``stage`` stands on its pipeline's board: open stages by position, won, lost."""
    return (_KIND_ORDER.get(stage.kind, 0), stage.position)


def board_order(stages: Iterable[Stage]) -> list[Stage]:
    """Open stages by position, then won, then lost: the board's columns and settings' rows."""
    return sorted(stages, key=lambda stage: (*board_rank(stage), stage.pk))
