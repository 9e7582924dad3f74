from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.visibility import VisibleQuerySet, managed_team_ids, owner_visible_q
from core.currencies import validate_currency


class QuotaQuerySet(VisibleQuerySet):
    def visibility_q(self, user):
        by_user = owner_visible_q(user, "user")
        if by_user is None:
            return None
        teams = Q(team_id=user.team_id) if user.team_id else Q(pk__in=[])
        if user.is_manager:
            teams |= Q(team__manager=user)
        return by_user | teams

    def editability_q(self, user):
        # The rule's home is forecasting.quotas.may_set_quota: admins any quota; a manager
        # their teams' and those teams' members' except their own (nobody sets their own
        # target); reps only read.
        if user.is_admin:
            return None
        if not user.is_manager:
            return Q(pk__in=[])
        managed = managed_team_ids(user)
        return Q(team_id__in=managed) | (Q(user__team_id__in=managed) & ~Q(user=user))


class Quota(models.Model):
    """A sales target for one user or one team over a period (usually a quarter)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="quotas",
    )
    team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("team"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="quotas",
    )
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"), help_text=_("Inclusive."))
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    currency = models.CharField(
        _("currency"), max_length=3, default="EUR", validators=[validate_currency]
    )

    objects = QuotaQuerySet.as_manager()

    class Meta:
        ordering = ["period_start", "pk"]
        verbose_name = _("quota")
        verbose_name_plural = _("quotas")
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=False, team__isnull=True)
                | Q(user__isnull=True, team__isnull=False),
                name="quota_for_user_or_team",
                violation_error_message=_("A quota is for a user or a team, not both."),
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start")), name="quota_period_ordered"
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="quota_amount_not_negative"),
            models.UniqueConstraint(
                fields=["user", "period_start"],
                condition=Q(user__isnull=False),
                name="quota_unique_user_period",
            ),
            models.UniqueConstraint(
                fields=["team", "period_start"],
                condition=Q(team__isnull=False),
                name="quota_unique_team_period",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user or self.team} {self.period_start:%Y-%m-%d}: {self.amount}"


class PipelineSnapshotQuerySet(VisibleQuerySet):
    pass


class PipelineSnapshot(models.Model):
    """One open deal as it stood on one night: the history behind forecast accuracy."""

    taken_on = models.DateField(_("taken on"))
    # Snapshots are derived rows: only the nightly job and the history import write them,
    # each by one INSERT ... SELECT joining the deal and its stage, so every key is copied
    # from a row the same statement read, and the database does not check the keys again.
    # An import rebuilding 15 months writes about six snapshots a deal, and the deferred
    # checks, one per key and row, cost the 100,000-deal import seconds at commit (2.1 s
    # for the deal key alone over 615,000 rows). Deletes still cascade through Django's
    # collector (deleting a deal, say for an erasure request, removes its history: tested),
    # and a stage with history is archived, not deleted. Owner and pipeline need no index of
    # their own: snapshot_owner_idx leads with the owner, and pipelines are deactivated.
    opportunity = models.ForeignKey(
        "pipeline.Opportunity",
        verbose_name=_("opportunity"),
        on_delete=models.CASCADE,
        related_name="snapshots",
        db_constraint=False,
    )
    pipeline = models.ForeignKey(
        "pipeline.Pipeline",
        verbose_name=_("pipeline"),
        on_delete=models.CASCADE,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    stage = models.ForeignKey(
        "pipeline.Stage",
        verbose_name=_("stage"),
        on_delete=models.CASCADE,
        related_name="+",
        db_constraint=False,
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.CASCADE,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    value = models.DecimalField(_("value"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    probability = models.PositiveSmallIntegerField(_("win probability (%)"))
    forecast_category = models.CharField(_("forecast category"), max_length=20)
    expected_close_date = models.DateField(_("expected close date"), null=True, blank=True)

    objects = PipelineSnapshotQuerySet.as_manager()

    class Meta:
        ordering = ["-taken_on", "pk"]
        verbose_name = _("pipeline snapshot")
        verbose_name_plural = _("pipeline snapshots")
        constraints = [
            # The nightly INSERT ... SELECT relies on this to be safe to re-run.
            models.UniqueConstraint(
                fields=["taken_on", "opportunity"], name="snapshot_unique_per_night"
            ),
            models.CheckConstraint(
                condition=Q(probability__gte=0, probability__lte=100),
                name="snapshot_probability_range",
            ),
        ]
        indexes = [
            models.Index(fields=["taken_on", "pipeline", "stage"], name="snapshot_night_idx"),
            models.Index(fields=["owner", "taken_on"], name="snapshot_owner_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.opportunity_id} on {self.taken_on}"


class AdjustableCategory(models.TextChoices):
    """The forecast categories a manager can adjust a call for."""

    COMMIT = "commit", _("Commit")
    BEST_CASE = "best_case", _("Best case")
    PIPELINE = "pipeline", _("Pipeline")


class ForecastAdjustmentQuerySet(VisibleQuerySet):
    def visibility_q(self, user):
        # Seen by whoever sees the rep's records, and for a team by its members and manager.
        by_rep = owner_visible_q(user, "rep")
        if by_rep is None:
            return None
        teams = Q(team_id=user.team_id) if user.team_id else Q(pk__in=[])
        if user.is_manager:
            teams |= Q(team__manager=user)
        return by_rep | teams


class ForecastAdjustment(models.Model):
    """A manager's change to a rep's or a team's call for one category of one period.

    ``previous_amount`` is the call as it stood (the submitted figure, or the previous
    adjustment's), ``amount`` the call after; rows are never changed, so they are the
    history of who moved the call when.
    """

    adjusted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("adjusted by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    adjusted_at = models.DateTimeField(_("adjusted at"), default=timezone.now)
    rep = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("rep"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="forecast_adjustments",
    )
    team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("team"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="forecast_adjustments",
    )
    period = models.CharField(_("period"), max_length=7, help_text=_("Such as 2026-Q3 or 2026-07."))
    category = models.CharField(_("forecast category"), max_length=20, choices=AdjustableCategory)
    currency = models.CharField(_("currency"), max_length=3, validators=[validate_currency])
    previous_amount = models.DecimalField(_("from"), max_digits=14, decimal_places=2)
    amount = models.DecimalField(_("to"), max_digits=14, decimal_places=2)
    note = models.TextField(_("note"), blank=True)

    objects = ForecastAdjustmentQuerySet.as_manager()

    class Meta:
        ordering = ["-adjusted_at", "-pk"]
        verbose_name = _("forecast adjustment")
        verbose_name_plural = _("forecast adjustments")
        constraints = [
            models.CheckConstraint(
                condition=Q(rep__isnull=False, team__isnull=True)
                | Q(rep__isnull=True, team__isnull=False),
                name="forecast_adjustment_rep_or_team",
                violation_error_message=_("An adjustment is for a rep or a team, not both."),
            ),
            models.CheckConstraint(
                condition=Q(amount__gte=0) & Q(previous_amount__gte=0),
                name="forecast_adjustment_amounts_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(category__in=AdjustableCategory.values),
                name="forecast_adjustment_category_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["period", "rep", "team"], name="forecast_adjustment_call_idx")
        ]

    def __str__(self) -> str:
        return f"{self.rep or self.team} {self.period} {self.category}: {self.amount}"


class RollupQuerySet(VisibleQuerySet):
    """Rollup rows are seen as the deals they sum are: by the deals' owner."""


class ReportZone(models.Model):
    """A time zone the rollups are kept in: the site's and every active user's.

    Reports read rollups only in a zone listed here (a day's bounds depend on the zone);
    in any other zone they count from the deals themselves.
    """

    name = models.CharField(_("time zone"), max_length=64, unique=True)
    # False until every owner's rows have been counted in this zone.
    ready = models.BooleanField(_("ready"), default=False)
    # False from a reorder of a pipeline's stages to the next full recount: the funnel rows
    # compare stage positions, the other rollups do not.
    funnel_ready = models.BooleanField(_("funnel ready"), default=True)

    class Meta:
        verbose_name = _("report time zone")
        verbose_name_plural = _("report time zones")

    def __str__(self) -> str:
        return self.name


class RollupRow(models.Model):
    """What every rollup row is keyed by besides its time: the zone its days are counted in,
    and the deals' owner and pipeline. The keys are not checked by the database: every row
    is derived from deals whose own keys are, and is rewritten when they change."""

    zone = models.CharField(_("time zone"), max_length=64)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.CASCADE,
        related_name="+",
        db_constraint=False,
    )
    pipeline = models.ForeignKey(
        "pipeline.Pipeline",
        verbose_name=_("pipeline"),
        on_delete=models.CASCADE,
        related_name="+",
        db_constraint=False,
    )

    objects = RollupQuerySet.as_manager()

    class Meta:
        abstract = True


class DealDay(RollupRow):
    """What one owner's deals of one pipeline and currency did on one day in one zone:
    created, won and lost, by the deals' current owner, pipeline, currency and value.

    Kept exact by ``forecasting.rollup_upkeep``; ``forecasting.rollup_rows`` defines what a
    deal adds here."""

    day = models.DateField(_("day"))
    currency = models.CharField(_("currency"), max_length=3)
    created_count = models.IntegerField(_("deals created"), default=0)
    created_value = models.DecimalField(
        _("value created"), max_digits=20, decimal_places=2, default=0
    )
    won_count = models.IntegerField(_("deals won"), default=0)
    won_value = models.DecimalField(_("value won"), max_digits=20, decimal_places=2, default=0)
    lost_count = models.IntegerField(_("deals lost"), default=0)

    class Meta:
        verbose_name = _("deals of a day")
        verbose_name_plural = _("deals of each day")
        constraints = [
            models.UniqueConstraint(
                fields=["zone", "owner", "day", "pipeline", "currency"], name="deal_day_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.zone} {self.owner_id} {self.pipeline_id} {self.currency}"


class WonCycleMonth(RollupRow):
    """How many of one owner's deals of one pipeline won in one month (in one zone) took
    each whole number of days: the histogram the sales cycle's median and 80th percentile
    are read from, exactly."""

    month = models.DateField(_("month"))
    days = models.IntegerField(_("days"))
    count = models.IntegerField(_("deals"), default=0)

    class Meta:
        verbose_name = _("won deals' cycle of a month")
        verbose_name_plural = _("won deals' cycles of each month")
        constraints = [
            models.UniqueConstraint(
                fields=["zone", "owner", "month", "pipeline", "days"], name="won_cycle_month_key"
            )
        ]
        # A report of every owner (an admin's) reads a zone's months: the key leads with
        # the owner.
        indexes = [models.Index(fields=["zone", "month"], name="won_cycle_month_zone_idx")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.zone} {self.owner_id} {self.pipeline_id} {self.days}"


class StageRollupRow(RollupRow):
    """A rollup row of one stage of the owner's pipeline, besides the zone and owner."""

    stage = models.ForeignKey(
        "pipeline.Stage",
        verbose_name=_("stage"),
        on_delete=models.CASCADE,
        related_name="+",
        db_constraint=False,
    )

    class Meta:
        abstract = True


class PeriodKind(models.TextChoices):
    MONTH = "month", _("month")
    QUARTER = "quarter", _("quarter")


class FunnelStage(StageRollupRow):
    """How many of one owner's deals of one pipeline entered one open stage in one month or
    quarter (in one zone), and how many of those advanced from it and were won from it, as
    ``forecasting.funnel`` defines them: each deal once per stage and period.

    Kept exact by ``forecasting.rollup_upkeep``; ``forecasting.rollup_rows`` defines what a
    deal adds here."""

    period = models.CharField(_("period"), max_length=8, choices=PeriodKind.choices)
    start = models.DateField(_("period start"))
    entered = models.IntegerField(_("deals entered"), default=0)
    advanced = models.IntegerField(_("deals advanced"), default=0)
    won = models.IntegerField(_("deals won from"), default=0)

    class Meta:
        verbose_name = _("stage funnel of a period")
        verbose_name_plural = _("stage funnels of each period")
        constraints = [
            models.UniqueConstraint(
                fields=["zone", "owner", "period", "start", "pipeline", "stage"],
                name="funnel_stage_key",
            ),
            models.CheckConstraint(
                condition=Q(period__in=PeriodKind.values), name="funnel_stage_period"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.period} {self.start} {self.zone} {self.owner_id} {self.stage_id}"


class StayMonth(StageRollupRow):
    """How many finished stays of one owner's deals of one pipeline in one open stage took
    each whole number of days, per month (in one zone): ``finished``, the stays that ended
    within the month, counted to their end; ``straddling``, the stays that began before the
    month's end and ended at or after it, counted to the month's end. A stay still going
    is not here: reports read it from the open deals.

    Kept exact by ``forecasting.rollup_upkeep``; ``forecasting.rollup_rows`` defines what a
    deal adds here."""

    month = models.DateField(_("month"))
    days = models.IntegerField(_("days"))
    finished = models.IntegerField(_("stays ended in the month"), default=0)
    straddling = models.IntegerField(_("stays going at the month's end"), default=0)

    class Meta:
        verbose_name = _("stays in a stage of a month")
        verbose_name_plural = _("stays in stages of each month")
        constraints = [
            models.UniqueConstraint(
                fields=["zone", "owner", "month", "pipeline", "stage", "days"],
                name="stay_month_key",
            )
        ]
        # As WonCycleMonth's: 17,000 of 490,000 rows at 963,000 deals, 43 ms scanned, 4 ms so.
        indexes = [models.Index(fields=["zone", "month"], name="stay_month_zone_idx")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.zone} {self.owner_id} {self.stage_id} {self.days}"


class ObservedPeriod(StageRollupRow):
    """One owner's deals of one pipeline observed at an ended period's start (midnight in
    the zone) in an open stage and age bucket, and how many of them reached Won within the
    period: ``forecasting.observed`` defines both counts, and counts them.

    An ended period's counts change only when history is rewritten; ``forecasting.
    observed_upkeep`` then drops the owner's rows and fill marks, and the next read
    recounts them."""

    kind = models.CharField(_("period kind"), max_length=7, choices=PeriodKind.choices)
    start = models.DateField(_("period start"))
    # The index in forecasting.observed.AGE_BUCKETS.
    bucket = models.PositiveSmallIntegerField(_("age bucket"))
    observed = models.IntegerField(_("deals observed"), default=0)
    reached_won = models.IntegerField(_("deals that reached won"), default=0)

    class Meta:
        verbose_name = _("observed deals of a period")
        verbose_name_plural = _("observed deals of each period")
        constraints = [
            models.UniqueConstraint(
                fields=["zone", "kind", "start", "owner", "pipeline", "stage", "bucket"],
                name="observed_period_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.start} {self.zone} {self.owner_id} {self.stage_id} {self.bucket}"


class ObservedFill(models.Model):
    """That one owner's ``ObservedPeriod`` rows of an ended period are counted in a zone:
    an owner with a mark and no rows observed nothing then; one without a mark is unknown
    and is counted on the next read."""

    zone = models.CharField(_("time zone"), max_length=64)
    kind = models.CharField(_("period kind"), max_length=7, choices=PeriodKind.choices)
    start = models.DateField(_("period start"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.CASCADE,
        related_name="+",
        db_constraint=False,
    )

    objects = RollupQuerySet.as_manager()

    class Meta:
        verbose_name = _("counted period of an owner")
        verbose_name_plural = _("counted periods of owners")
        constraints = [
            models.UniqueConstraint(
                fields=["zone", "kind", "start", "owner"], name="observed_fill_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.start} {self.zone} {self.owner_id}"


class PersonRollupQuerySet(VisibleQuerySet):
    """Activity rollup rows are seen as the person they count is: by ``person``."""

    owner_path = "person"


class PersonRollupRow(models.Model):
    """What every activity rollup row is keyed by besides its time: the zone its days are
    counted in, and the person whose activity it counts (a touchpoint's ``by``, a task's
    ``assignee``). Not checked by the database, as ``RollupRow``'s keys are not."""

    zone = models.CharField(_("time zone"), max_length=64)
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.CASCADE,
        related_name="+",
        db_constraint=False,
    )

    objects = PersonRollupQuerySet.as_manager()

    class Meta:
        abstract = True


class TouchpointDay(PersonRollupRow):
    """How many touchpoints of one kind one person logged (``by``) on one day in one zone.

    Kept exact by ``forecasting.activity_upkeep``; ``forecasting.activity_rows`` defines
    what a touchpoint adds here."""

    day = models.DateField(_("day"))
    kind = models.CharField(_("kind"), max_length=10)
    count = models.IntegerField(_("touchpoints"), default=0)

    class Meta:
        verbose_name = _("touchpoints of a day")
        verbose_name_plural = _("touchpoints of each day")
        constraints = [
            models.UniqueConstraint(
                fields=["zone", "person", "day", "kind"], name="touchpoint_day_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.zone} {self.person_id} {self.kind}"


class TaskDoneDay(PersonRollupRow):
    """How many tasks assigned to one person were done (``done_at``) on one day in one zone,
    by the tasks' current assignee. Kept as ``TouchpointDay`` is."""

    day = models.DateField(_("day"))
    done = models.IntegerField(_("tasks done"), default=0)

    class Meta:
        verbose_name = _("tasks done on a day")
        verbose_name_plural = _("tasks done on each day")
        constraints = [
            models.UniqueConstraint(fields=["zone", "person", "day"], name="task_done_day_key")
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.zone} {self.person_id}"


class SnapshotReadingKind(models.TextChoices):
    MOVEMENT = "movement", _("Movement between two nights")
    OPENING = "opening", _("Pipeline at a period's start")


class SnapshotReading(models.Model):
    """That the snapshots of past nights were read once into stored rows, for every owner:
    the movement between ``first_night`` and ``second_night`` with the slip bounds
    ``period_start``..``period_end`` (``MovementTally``), or the pipeline on the night
    ``first_night`` expected to close in ``period_start``..``period_end`` (``OpeningTally``).

    Snapshots of a night are written once and never updated, so a reading stays exact until
    ``forecasting.snapshot_upkeep`` drops it: when a night it read is written again, a deal
    it read is deleted, a closing in its window changes or stage positions change."""

    kind = models.CharField(_("kind"), max_length=8, choices=SnapshotReadingKind.choices)
    first_night = models.DateField(_("first night"))
    second_night = models.DateField(_("second night"))
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    read_at = models.DateTimeField(_("read at"), auto_now_add=True)

    class Meta:
        verbose_name = _("snapshot reading")
        verbose_name_plural = _("snapshot readings")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "first_night", "second_night", "period_start", "period_end"],
                name="snapshot_reading_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.first_night}..{self.second_night}"


class SnapshotTallyRow(models.Model):
    """A stored row of a ``SnapshotReading``: seen as the deals it sums are, by owner."""

    # Dropped with their reading by forecasting.snapshot_upkeep, rows first, in one DELETE
    # each: a cascade would fetch every row to delete it.
    reading = models.ForeignKey(
        SnapshotReading, verbose_name=_("reading"), on_delete=models.DO_NOTHING, related_name="+"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.CASCADE,
        related_name="+",
        db_constraint=False,
    )
    pipeline = models.ForeignKey(
        "pipeline.Pipeline",
        verbose_name=_("pipeline"),
        on_delete=models.CASCADE,
        related_name="+",
        db_constraint=False,
    )
    currency = models.CharField(_("currency"), max_length=3)

    objects = RollupQuerySet.as_manager()

    class Meta:
        abstract = True


class MovementTally(SnapshotTallyRow):
    """The movement figures (``forecasting.movement``) of one owner's deals of one pipeline
    and currency. An open row (``closing`` false) counts the deals open on the second night
    by that night's owner and pipeline, split by their owner and pipeline on the first night
    (``earlier_owner_id`` empty: not open then), so that a report can tell whether the first
    night's row was in its scope too. A closing row counts the deals open on the first night,
    by that night's owner and pipeline, that were won or lost before the second began."""

    closing = models.BooleanField(_("closing"), default=False)
    # Plain ids: what the first night said, not a key the database keeps.
    earlier_owner_id = models.IntegerField(_("owner on the first night"), null=True)
    earlier_pipeline_id = models.IntegerField(_("pipeline on the first night"), null=True)
    deals = models.IntegerField(_("deals"), default=0)
    value = models.DecimalField(_("value"), max_digits=20, decimal_places=2, default=0)
    advanced = models.IntegerField(_("advanced"), default=0)
    moved_back = models.IntegerField(_("moved back"), default=0)
    slipped = models.IntegerField(_("slipped"), default=0)
    slipped_value = models.DecimalField(
        _("value slipped"), max_digits=20, decimal_places=2, default=0
    )
    value_changed = models.IntegerField(_("value changed"), default=0)
    value_change = models.DecimalField(
        _("net value change"), max_digits=20, decimal_places=2, default=0
    )
    won = models.IntegerField(_("won"), default=0)
    won_value = models.DecimalField(_("value won"), max_digits=20, decimal_places=2, default=0)
    lost = models.IntegerField(_("lost"), default=0)
    lost_value = models.DecimalField(_("value lost"), max_digits=20, decimal_places=2, default=0)

    class Meta:
        verbose_name = _("stored movement")
        verbose_name_plural = _("stored movements")

    def __str__(self) -> str:
        return f"{self.reading_id} {self.owner_id} {self.pipeline_id} {self.currency}"


class OpeningTally(SnapshotTallyRow):
    """One owner's deals of one pipeline, stage, recorded probability and currency open on a
    period's first night and expected to close within the period: their value, and the value
    of those in the commit category (``forecasting.backtest``)."""

    stage = models.ForeignKey(
        "pipeline.Stage",
        verbose_name=_("stage"),
        on_delete=models.CASCADE,
        related_name="+",
        db_constraint=False,
    )
    probability = models.PositiveSmallIntegerField(_("win probability (%)"))
    total = models.DecimalField(_("value"), max_digits=20, decimal_places=2, default=0)
    commit_value = models.DecimalField(
        _("value in commit"), max_digits=20, decimal_places=2, default=0
    )

    class Meta:
        verbose_name = _("stored period opening")
        verbose_name_plural = _("stored period openings")

    def __str__(self) -> str:
        return f"{self.reading_id} {self.owner_id} {self.stage_id} {self.currency}"
