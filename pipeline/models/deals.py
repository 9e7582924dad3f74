"""Deals (``Opportunity``) and the history of their moves between stages."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.currencies import validate_currency
from pipeline.models.pipelines import Pipeline, Stage
from pipeline.querysets import (
    OpportunityQuerySet,
    StageChangeQuerySet,
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
    # A deal is with a company, a person, or both (a consumer deal has no company).
    company = models.ForeignKey(
        "contacts.Company",
        verbose_name=_("company"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
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
    # When the buyer first engaged, where it differs from when the deal was recorded (a
    # deal entered after the first meeting, or imported): the sales cycle starts here.
    first_engaged_at = models.DateTimeField(_("first engaged at"), null=True, blank=True)
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
    # Values of admin-defined custom fields (pipeline.DealField), by the field's key.
    custom_fields = models.JSONField(_("custom fields"), default=dict, blank=True)
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
                condition=Q(company__isnull=False) | Q(contact__isnull=False),
                name="opportunity_has_company_or_contact",
                violation_error_message=_("A deal needs a company or a contact."),
            ),
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
            # The reports' one read of open deals has a covering partial index on
            # PostgreSQL, made by migration 0017 (SQLite has no INCLUDE).
            # Nightly stale-deal job and the stale badge.
            models.Index(
                fields=["stage_entered_at"],
                condition=Q(status="open"),
                name="opportunity_open_entered_idx",
            ),
            models.Index(fields=["closed_at"], name="opportunity_closed_idx"),
            # A board searched by company name: each column's first cards among the
            # matching companies' deals, without reading their whole history (a closed
            # column otherwise ANDs the company's deals with every recent outcome).
            models.Index(
                fields=["company", "stage", "position"],
                condition=Q(status="open"),
                name="opportunity_company_open_idx",
            ),
            models.Index(
                fields=["company", "stage", "closed_at"],
                condition=Q(closed_at__isnull=False),
                name="opportunity_company_closed_idx",
            ),
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
