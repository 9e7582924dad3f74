"""What happened (``Touchpoint``) and what is due (``Task``), about a lead, contact, deal or
company."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pipeline.models.deals import Opportunity
from pipeline.querysets import (
    TaskQuerySet,
    TouchpointQuerySet,
)


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
SUBJECT_FIELDS = ("lead", "contact", "opportunity", "company")
_has_subject = (
    Q(lead__isnull=False)
    | Q(contact__isnull=False)
    | Q(opportunity__isnull=False)
    | Q(company__isnull=False)
)


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
    # The id the row had in the CRM it was imported from: a re-import updates, never duplicates.
    external_id = models.CharField(_("external id"), max_length=100, blank=True, default="")
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
    company = models.ForeignKey(
        "contacts.Company",
        verbose_name=_("company"),
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
            models.UniqueConstraint(
                fields=["external_id"],
                condition=~Q(external_id=""),
                name="touchpoint_external_id_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["opportunity", "-at"], name="touchpoint_deal_idx"),
            models.Index(fields=["lead", "-at"], name="touchpoint_lead_idx"),
            models.Index(fields=["contact", "-at"], name="touchpoint_contact_idx"),
            models.Index(fields=["company", "-at"], name="touchpoint_company_idx"),
            models.Index(fields=["by", "-at"], name="touchpoint_by_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.at:%Y-%m-%d}"


class Task(models.Model):
    title = models.CharField(_("title"), max_length=200)
    notes = models.TextField(_("notes"), blank=True)
    # The id the row had in the CRM it was imported from: a re-import updates, never duplicates.
    external_id = models.CharField(_("external id"), max_length=100, blank=True, default="")
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
    company = models.ForeignKey(
        "contacts.Company",
        verbose_name=_("company"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="tasks",
        # Covered by a composite index that starts with this column.
        db_index=False,
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
            models.UniqueConstraint(
                fields=["external_id"],
                condition=~Q(external_id=""),
                name="task_external_id_unique",
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
            # Activity reports: each person's overdue tasks, read from the index alone.
            models.Index(
                fields=["assignee"],
                condition=Q(done_at__isnull=True, overdue_since__isnull=False),
                name="task_overdue_assignee_idx",
            ),
            # Activity reports: tasks done within a period (only done tasks are indexed).
            models.Index(
                fields=["done_at"], condition=Q(done_at__isnull=False), name="task_done_idx"
            ),
            models.Index(fields=["lead", "due_at"], name="task_lead_idx"),
            models.Index(fields=["contact", "due_at"], name="task_contact_idx"),
            models.Index(fields=["company", "due_at"], name="task_company_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_done(self) -> bool:
        return self.done_at is not None
