"""Touchpoints and tasks: the texts they carry, and builders shared by deals, leads, contacts.

Builders return plain tuples in the order of TOUCHPOINT_COLUMNS and TASK_COLUMNS, for
core.bulk_insert.RowWriter: these rows grow with --deals.
"""

from __future__ import annotations

import random

from django.utils.translation import gettext_lazy as _

from core.bulk_insert import RowWriter
from crm.demo.clock import DAY, Clock, moment_between
from pipeline.models import Task, Touchpoint, TouchpointKind, TouchpointOutcome

KIND_WEIGHTS = {
    TouchpointKind.CALL: 35,
    TouchpointKind.EMAIL: 35,
    TouchpointKind.MEETING: 15,
    TouchpointKind.NOTE: 15,
}
OUTCOMES: dict[str, tuple[str, ...]] = {
    TouchpointKind.CALL: (
        TouchpointOutcome.CONNECTED,
        TouchpointOutcome.CONNECTED,
        TouchpointOutcome.NO_ANSWER,
        TouchpointOutcome.VOICEMAIL,
        TouchpointOutcome.MEETING_BOOKED,
    ),
    TouchpointKind.EMAIL: (TouchpointOutcome.NONE, TouchpointOutcome.REPLIED),
    TouchpointKind.MEETING: (TouchpointOutcome.CONNECTED, TouchpointOutcome.MEETING_BOOKED),
    TouchpointKind.NOTE: (TouchpointOutcome.NONE,),
}
SUMMARIES = {
    TouchpointKind.CALL: (
        _("Discussed requirements and timeline."),
        _("Walked through pricing options."),
        _("Checked in on the internal decision."),
        _("Clarified questions about the integration."),
    ),
    TouchpointKind.EMAIL: (
        _("Sent the product overview."),
        _("Followed up on the proposal."),
        _("Shared a customer case study."),
        _("Sent the meeting summary and next steps."),
    ),
    TouchpointKind.MEETING: (
        _("Product demo with the team."),
        _("Workshop on current sales process."),
        _("Contract review with procurement."),
    ),
    TouchpointKind.NOTE: (
        _("Budget approval expected next month."),
        _("Competitor also in the evaluation."),
        _("Decision maker is the head of sales."),
    ),
}
TASK_TITLES = (
    _("Follow up on proposal"),
    _("Schedule product demo"),
    _("Send revised offer"),
    _("Call to confirm budget"),
    _("Prepare contract draft"),
    _("Book workshop with stakeholders"),
    _("Send reference customer contacts"),
)

TOUCHPOINT_COLUMNS = (
    "kind",
    "at",
    "by_id",
    "outcome",
    "summary",
    # Demo activity was never imported: no id from another CRM.
    "external_id",
    "lead_id",
    "contact_id",
    "opportunity_id",
    "company_id",
)
TASK_COLUMNS = (
    "title",
    "notes",
    "external_id",
    "due_at",
    "done_at",
    "overdue_since",
    "assignee_id",
    "created_by_id",
    "created_at",
    "lead_id",
    "contact_id",
    "opportunity_id",
    "company_id",
)
# What a touchpoint or task is about: (lead_id, contact_id, opportunity_id, company_id).
Subject = tuple[int | None, int | None, int | None, int | None]


def about_lead(pk: int) -> Subject:
    return (pk, None, None, None)


def about_contact(pk: int) -> Subject:
    return (None, pk, None, None)


def about_deal(pk: int) -> Subject:
    return (None, None, pk, None)


def touchpoint_writer() -> RowWriter:
    return RowWriter(Touchpoint, TOUCHPOINT_COLUMNS)


def task_writer() -> RowWriter:
    return RowWriter(Task, TASK_COLUMNS)


class Activity:
    """Builds touchpoint and task rows; texts are translated once, not once per row."""

    def __init__(self, rng: random.Random, clock: Clock) -> None:
        self.rng, self.clock = rng, clock
        # Each kind repeated by its weight: rng.choice is several times cheaper than choices.
        self.kind_pool = [kind for kind, weight in KIND_WEIGHTS.items() for _ in range(weight)]
        self.summaries = {kind: [str(text) for text in texts] for kind, texts in SUMMARIES.items()}
        self.task_titles = [str(title) for title in TASK_TITLES]

    def pick_kind(self) -> str:
        return self.rng.choice(self.kind_pool)

    def touchpoint(
        self, *, at: int, by_id: int | None, subject: Subject, kind: str | None = None
    ) -> tuple:
        rng = self.rng
        kind = kind or self.pick_kind()
        return (
            kind,
            self.clock.moment(at),
            by_id,
            rng.choice(OUTCOMES[kind]),
            rng.choice(self.summaries[kind]),
            "",
            *subject,
        )

    def done_task(
        self,
        *,
        earliest: int,
        latest: int,
        assignee_id: int,
        subject: Subject,
        title: str | None = None,
    ) -> tuple:
        """A task created, due and done within [earliest, latest] (both in the past)."""
        rng, moment = self.rng, self.clock.moment
        created = moment_between(rng, earliest, latest)
        due = moment_between(rng, created, min(latest, created + 7 * DAY))
        done = moment_between(rng, created, latest)
        title = title or rng.choice(self.task_titles)
        return (
            title,
            "",
            "",
            moment(due),
            moment(done),
            None,
            assignee_id,
            assignee_id,
            moment(created),
            *subject,
        )

    def open_task(
        self,
        *,
        earliest: int,
        due: int,
        assignee_id: int,
        subject: Subject,
        title: str | None = None,
    ) -> tuple:
        """A task not done yet, created after ``earliest`` and due at ``due``.

        A task due before the anchor is overdue since its due date: what the nightly job
        would have recorded had it been running all along.
        """
        rng, clock = self.rng, self.clock
        latest = min(due, -1)
        created = moment_between(rng, min(earliest, latest), latest)
        overdue_since = clock.day_of(due) if due < 0 else None
        title = title or rng.choice(self.task_titles)
        return (
            title,
            "",
            "",
            clock.moment(due),
            None,
            overdue_since,
            assignee_id,
            assignee_id,
            clock.moment(created),
            *subject,
        )
