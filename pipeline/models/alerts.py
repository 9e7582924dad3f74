"""Red flags the nightly jobs raise about stages."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from pipeline.models.pipelines import Stage


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
