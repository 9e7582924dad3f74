"""What the nightly run leaves behind: a record of each run and of each digest sent."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class RunStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    OK = "ok", _("Succeeded")
    FAILED = "failed", _("Failed")


class JobRun(models.Model):
    """One nightly run: which day it was for, when it ran and how it ended."""

    day = models.DateField(_("night of"))
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=RunStatus, default=RunStatus.RUNNING
    )

    class Meta:
        ordering = ["-started_at", "-pk"]
        verbose_name = _("nightly run")
        verbose_name_plural = _("nightly runs")
        constraints = [
            # The lock that works on every database: a second run cannot insert its row
            # while one is running (crm.locks also takes an advisory lock on PostgreSQL).
            models.UniqueConstraint(
                fields=["status"],
                condition=Q(status="running"),
                name="job_run_one_running",
            ),
            models.CheckConstraint(
                condition=Q(status__in=RunStatus.values), name="job_run_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day} ({self.get_status_display()})"

    @property
    def duration(self) -> float | None:
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


class JobRunStep(models.Model):
    """One job within a run: how long it took and how many rows it changed, or why it failed."""

    run = models.ForeignKey(
        JobRun, verbose_name=_("run"), on_delete=models.CASCADE, related_name="steps"
    )
    job = models.CharField(_("job"), max_length=50)
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    seconds = models.FloatField(_("seconds"), default=0)
    rows = models.PositiveIntegerField(_("rows touched"), default=0)
    status = models.CharField(
        _("status"), max_length=10, choices=RunStatus, default=RunStatus.RUNNING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=1)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        ordering = ["run", "started_at", "pk"]
        verbose_name = _("nightly job")
        verbose_name_plural = _("nightly jobs")
        constraints = [
            models.UniqueConstraint(fields=["run", "job"], name="job_run_step_unique"),
            models.CheckConstraint(
                condition=Q(status__in=RunStatus.values), name="job_run_step_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.job} ({self.get_status_display()})"


class DigestDelivery(models.Model):
    """A daily digest claimed for one user and day: written before the email goes out.

    The unique constraint is what makes "one email per user per day at most" hold when the
    nightly run is repeated: a second run finds the row and sends nothing.
    """

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    day = models.DateField(_("day"))
    created_at = models.DateTimeField(_("sent at"), default=timezone.now)

    class Meta:
        ordering = ["-day", "recipient"]
        verbose_name = _("digest delivery")
        verbose_name_plural = _("digest deliveries")
        constraints = [
            models.UniqueConstraint(fields=["recipient", "day"], name="digest_once_per_day"),
        ]

    def __str__(self) -> str:
        return f"{self.recipient_id} on {self.day}"
