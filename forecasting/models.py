from django.conf import settings
from django.db import models
from django.db.models import F, Q
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
