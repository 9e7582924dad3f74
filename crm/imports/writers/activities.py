"""Tasks and touchpoints from other CRMs' activity exports.

Which rows become what (a touchpoint is something that happened, a task something due):

- A **tasks** import makes every row a task: the to-do list with its history. A row that
  says it is done (``done`` yes, Salesforce's Status "Completed" through the value mapping)
  or gives a done time is a done task; ``done`` no reopens one on a re-import.
- A **touchpoints** import makes every row a touchpoint: what happened. A row marked not
  done, or dated in the future, is a planned activity and is rejected, saying to import it
  as a task; Pipedrive's activities export, which holds both, is imported as touchpoints
  for its history, and its open rows as tasks (filtered "To do" in Pipedrive, or the file
  again as tasks).
  Salesforce Events are meetings; Salesforce Tasks with TaskSubtype Call or Email, and
  HubSpot calls, meetings, emails and notes, are touchpoints of their kind.

The vendor's words for a kind, an outcome or "done" go through the import's value mapping
(``ImportOptions.values``, the preset's "values"), then our own codes and labels are
accepted whatever their case; anything else is a row error naming the choices.

Each row is about the deal, contact, lead or company its cells name
(``crm.imports.subjects``), at least one, all visible to the importer. The owner (a task's
assignee, a touchpoint's author) is looked up as every kind's owner is.

Imported touchpoints move their deal's ``last_touch_at`` and their lead's first and last
touch forward to the latest (earliest) touch, never backwards, as logging one by hand does:
staleness and speed-to-lead read them. New calls and emails count as contact attempts of
their lead, and move a new lead to contacted. One UPDATE per batch for each.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any, ClassVar

from django.db.models import (
    Case,
    Choices,
    F,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest, Least
from django.utils.translation import gettext as _

from contacts.models import Lead, LeadStatus
from crm.imports.kinds import ACTIVITY_SUBJECTS, CleanRow, yes_no
from crm.imports.models import ImportKind
from crm.imports.parsing import CellError
from crm.imports.subjects import TARGETS, SubjectLookup
from crm.imports.words import choice_words
from crm.imports.writers.base import BatchPlan, Planned, RowProblem, Writer
from pipeline.models import Opportunity, Task, Touchpoint, TouchpointKind, TouchpointOutcome
from pipeline.services.activity import ATTEMPT_KINDS, CONTACT_KINDS, FUTURE_TOLERANCE
from pipeline.services.reporting import activity_added, activity_changing

SUBJECT_COLUMNS = tuple(TARGETS.values())
# In a value mapping, the word for every value not listed, and for an empty cell: an export
# of calls alone gives each row the kind {"*": "call"}.
ANY_VALUE = "*"


def _mapped(value: str, mapping: Mapping[str, str]) -> str:
    """The value mapping's word for ``value``, whatever its case, else ``value`` itself.

    The mapping may already have been applied to the cell; ours are not the file's words,
    so applying it again changes nothing."""
    return {key.casefold(): ours for key, ours in mapping.items()}.get(value.casefold(), value)


def _choice(value: str, choices: type[Choices], field: str, mapping: Mapping[str, str]) -> str:
    """Our code for a cell: through the value mapping first, then by our code or label,
    then the mapping's word for any other value (``ANY_VALUE``)."""
    mapped = _mapped(value, mapping)
    if mapped == "" and "" in choices.values:
        # The mapping says the file's value means none of ours (a canceled meeting's outcome).
        return ""
    words = choice_words(choices)
    for word in (mapped, mapping.get(ANY_VALUE)):
        if word and word.casefold() in words:
            return words[word.casefold()]
    raise RowProblem(
        field,
        _("“%(value)s” is not one of: %(choices)s. Map the file's value to one of them.")
        % {"value": value, "choices": ", ".join(code for code in choices.values if code)},
    )


class ActivityWriter(Writer):
    """What tasks and touchpoints share: the owner's column, the subjects, the mapping."""

    # The records' owner is this model field (not "owner"): base's owner handling is off.
    owner_field: ClassVar[str]
    has_owner = False

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.subjects = SubjectLookup(self.by)
        self._owner_names: dict[int, str] = {}

    def plan(self, rows: list[CleanRow]) -> BatchPlan:
        # The owner cell names the assignee or author; keep it from base, which would set
        # an ``owner`` these models do not have.
        self._owner_names = {
            row.line: row.values.pop("owner") for row in rows if "owner" in row.values
        }
        return super().plan(rows)

    def load(self, rows: list[CleanRow]) -> None:
        self.owners.load(
            self._owner_names[row.line] for row in rows if row.line in self._owner_names
        )
        self.subjects.load(rows)

    def apply(self, planned: Planned, values: dict[str, Any]) -> None:
        record = planned.record
        name = self._owner_names.get(planned.line)
        if name is not None:
            owner_id = self._resolve("owner", self.owners.owner_id, name)
            if owner_id is not None:
                setattr(record, f"{self.owner_field}_id", owner_id)
        elif planned.is_new:
            setattr(record, f"{self.owner_field}_id", self.by.pk)
        found, errors = self.subjects.subjects(values)
        for error in errors:
            self.report(error.field, error.message)
        for target, pk in found.items():
            setattr(record, f"{target}_id", pk)
        if not errors and not any(getattr(record, f"{t}_id") for t in SUBJECT_COLUMNS):
            self.report(
                "related",
                _("Say which deal, contact, lead or company this is about: the row names none."),
            )
        self.apply_own(planned, values)

    def write(self, plan: BatchPlan) -> tuple[int, int]:
        """As every writer's, with activity reports following the rows it changes and adds."""
        changed = [planned.record.pk for planned in plan.accepted if not planned.is_new]
        with activity_changing(self.model, changed):
            written = super().write(plan)
        activity_added(
            self.model, [planned.record.pk for planned in plan.accepted if planned.is_new]
        )
        return written

    def choice(self, values: Mapping[str, Any], field: str, choices: type[Choices]) -> str | None:
        """The field's cell as our code; None (the problem reported) when it is none."""
        try:
            return _choice(values[field], choices, field, self.options.values.get(field, {}))
        except RowProblem as problem:
            self.report(problem.field, problem.message)
            return None

    def apply_own(self, planned: Planned, values: dict[str, Any]) -> None:
        """Hook: the kind's own fields."""

    def done(self, values: Mapping[str, Any]) -> bool | None:
        if "done" not in values:
            return None
        mapping = self.options.values.get("done", {})
        try:
            return yes_no(_mapped(values["done"], mapping))
        except CellError as error:
            if ANY_VALUE in mapping:
                return yes_no(mapping[ANY_VALUE])
            self.report("done", str(error))
            return None

    def update_fields(self) -> list[str]:
        names = [name for name in self.plain_fields if name in self.mapped]
        if "owner" in self.mapped:
            names.append(self.owner_field)
        if self.mapped & set(ACTIVITY_SUBJECTS):
            # A polymorphic id may land on any subject: all of them are written.
            names += SUBJECT_COLUMNS
        return names


class TaskWriter(ActivityWriter):
    model = Task
    kind = ImportKind.TASKS
    plain_fields = ("external_id", "title", "notes")
    owner_field = "assignee"

    def new_record(self) -> Task:
        # RecordMaker (core.new_records): Task(...) cost more than writing its row.
        return self.make_record(created_at=self.now, created_by=self.by)

    def apply_own(self, planned: Planned, values: dict[str, Any]) -> None:
        task: Task = planned.record
        if "created_at" in values:
            task.created_at = values["created_at"]
        done, done_at = self.done(values), values.get("done_at")
        if done_at is not None and done_at > self.now + FUTURE_TOLERANCE:
            self.report("done_at", _("A task cannot have been done in the future."))
        if done is False and done_at is not None:
            self.report("done", _("The row says not done, yet gives a done time."))
        if "due_at" in values:
            task.due_at = values["due_at"]
        if done is False:
            task.done_at = None
        elif done_at is not None:
            task.done_at = done_at
        elif done and task.done_at is None:
            # Done, no time given: it was done when due, if that has passed; else now.
            task.done_at = self.now if task.due_at is None else min(task.due_at, self.now)
        if task.due_at is None:
            # Other CRMs allow a task without a due date; ours is due when it was done, or
            # when it was created.
            task.due_at = task.done_at or task.created_at
        # The nightly job flags overdue tasks (and only notifies recent ones).
        task.overdue_since = None

    def update_fields(self) -> list[str]:
        names = super().update_fields()
        if "created_at" in self.mapped:
            names.append("created_at")
        if self.mapped & {"due_at", "done", "done_at"}:
            names += ["due_at", "done_at", "overdue_since"]
        return names


class TouchpointWriter(ActivityWriter):
    model = Touchpoint
    kind = ImportKind.TOUCHPOINTS
    plain_fields = ("external_id",)
    owner_field = "by"

    def new_record(self) -> Touchpoint:
        return self.make_record()

    def apply_own(self, planned: Planned, values: dict[str, Any]) -> None:
        touchpoint: Touchpoint = planned.record
        kinds = self.options.values.get("kind", {})
        if "kind" in values:
            touchpoint.kind = self.choice(values, "kind", TouchpointKind) or ""
        elif planned.is_new:
            if ANY_VALUE in kinds:
                touchpoint.kind = _choice(kinds[ANY_VALUE], TouchpointKind, "kind", kinds)
            else:
                self.report("kind", _("Kind is required: call, email, meeting or note."))
        if "outcome" in values:
            touchpoint.outcome = self.choice(values, "outcome", TouchpointOutcome) or ""
        if self.done(values) is False:
            # What follows from it (no time it happened) is not the row's problem.
            raise RowProblem(
                "done", _("Not done yet: a planned activity is a task; import it as a task.")
            )
        if "at" not in values and planned.is_new:
            self.report("at", _("Say when it happened: At is required."))
        if "at" in values:
            if values["at"] > self.now + FUTURE_TOLERANCE:
                self.report(
                    "at",
                    _("%(at)s is in the future: a planned activity is a task; import it as a task.")
                    % {"at": values["at"].isoformat()},
                )
            touchpoint.at = values["at"]
        if "subject" in values or "summary" in values:
            parts = [values.get("subject", ""), values.get("summary", "")]
            touchpoint.summary = "\n\n".join(part for part in parts if part)

    def update_fields(self) -> list[str]:
        names = super().update_fields()
        names += [name for name in ("kind", "at", "outcome") if name in self.mapped]
        if self.mapped & {"subject", "summary"}:
            names.append("summary")
        return names

    def after_write(self, plan: BatchPlan) -> None:
        """Move the deals' and leads' touch times to what the batch's touchpoints say."""
        touchpoints = [planned.record for planned in plan.accepted]
        deal_ids = {t.opportunity_id for t in touchpoints if t.opportunity_id is not None}
        if deal_ids:
            latest = Subquery(
                Touchpoint.objects.filter(opportunity_id=OuterRef("pk"))
                .order_by()
                .values("opportunity_id")
                .annotate(latest=Max("at"))
                .values("latest")
            )
            # Only deals whose last touch moves: a vendor's deals export already carries it
            # ("Last activity date"), and rewriting a deal whose value stays is a row with
            # fifteen index entries written again, and a card refreshed on every board.
            # updated_at, not version: boards refresh the card, and no move loses a race.
            Opportunity.objects.filter(pk__any_of=deal_ids).filter(
                Q(last_touch_at__isnull=True) | Q(last_touch_at__lt=latest)
            ).update(last_touch_at=latest, updated_at=self.now)
        self._touch_leads(plan)

    def _touch_leads(self, plan: BatchPlan) -> None:
        reaching = [
            planned
            for planned in plan.accepted
            if planned.record.lead_id is not None and planned.record.kind in CONTACT_KINDS
        ]
        if not reaching:
            return
        attempts = Counter(
            planned.record.lead_id
            for planned in reaching
            if planned.is_new and planned.record.kind in ATTEMPT_KINDS
        )
        touches = (
            Touchpoint.objects.filter(lead_id=OuterRef("pk"), kind__in=list(CONTACT_KINDS))
            .order_by()
            .values("lead_id")
        )
        first = Subquery(touches.annotate(first=Min("at")).values("first"))
        last = Subquery(touches.annotate(last=Max("at")).values("last"))
        added = Case(
            *(When(pk=lead_id, then=Value(count)) for lead_id, count in attempts.items()),
            default=Value(0),
            output_field=IntegerField(),
        )
        Lead.objects.filter(pk__any_of={planned.record.lead_id for planned in reaching}).update(
            last_touch_at=Greatest(Coalesce("last_touch_at", last), last),
            # A lead cannot be touched before it existed (a database constraint).
            first_touch_at=Greatest(
                Least(Coalesce("first_touch_at", first), first), F("created_at")
            ),
            contact_attempts=F("contact_attempts") + added,
            status=Case(
                When(status=LeadStatus.NEW, then=Value(LeadStatus.CONTACTED)),
                default=F("status"),
            ),
            updated_at=self.now,
        )
