"""Turning a batch of cleaned rows into records: plan (look up, check) and write (bulk).

``plan`` decides for each row of a batch whether it creates a record, updates the one with
its external id, or is rejected with a reason; it reads, and writes nothing, so the preview
page uses it too. ``write`` then stores the accepted rows with a few bulk statements, and
``finish``, once the last batch is written, does what needs the whole file (deals that enter
a stage go to the end of its column, in the file's order).

Rules every kind shares:

- A row with an external id updates the record holding that id, but only if the importer
  may edit it; a record they may not edit (another team's, or one they cannot even see)
  rejects the row instead. Updated records are locked until the import commits, so a
  board move in the meantime waits rather than being overwritten.
- An external id appears once per file; a second row with it is rejected, so the file
  says one thing about each record.
- Owners must be users the importer may assign work to (``assignable_users``), named by
  user name, e-mail, full name or external id (``crm.imports.owners``); empty means the
  importer for a new record and no change for an existing one. An unknown name rejects the
  row unless the importer chose to create such users or give their records to one user.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from accounts.assignment import assignable_users
from accounts.models import User
from core.bulk_insert import insert_records
from core.custom_fields.values import merged_values
from core.new_records import RecordMaker
from crm.imports.bulk import update_records
from crm.imports.kinds import (
    CUSTOM_FIELD_PREFIX,
    CellProblem,
    CleanRow,
    custom_values,
    missing_required,
)
from crm.imports.options import ImportOptions
from crm.imports.owners import OwnerLookup
from crm.imports.parsing import CellError


@dataclass(frozen=True)
class Rejection:
    line: int
    field: str
    message: str


class RowProblem(Exception):
    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(message)


@dataclass
class Planned:
    line: int
    record: Any
    is_new: bool
    # Deals only: the stage the deal leaves (None for a new deal), when the row moves it.
    moved_from: int | None = None
    is_moved: bool = False


# What makes a record unique: a code, or a (company, e-mail) pair.
Key = TypeVar("Key", bound=Hashable)


@dataclass
class BatchPlan:
    accepted: list[Planned] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)

    @property
    def rejected_lines(self) -> set[int]:
        return {rejection.line for rejection in self.rejections}

    def reject(self, line: int, field_name: str, message: str) -> None:
        self.rejections.append(Rejection(line, field_name, message))

    def reject_taken(
        self,
        planned: list[Planned],
        *,
        key: Callable[[Planned], Key],
        holders: Mapping[Key, int],
        field_name: str,
        message: Callable[[Planned], str],
    ) -> list[Planned]:
        """A unique constraint as row rejections: each of ``planned`` whose ``key`` another
        record holds (``holders``: key -> that record's pk) or an earlier row of the batch
        has is rejected with ``message``. Returns the rows rejected."""
        rejected = []
        in_batch: set[Key] = set()
        for row in planned:
            value = key(row)
            holder = holders.get(value)
            if value in in_batch or (holder is not None and holder != row.record.pk):
                self.reject(row.line, field_name, message(row))
                self.accepted.remove(row)
                rejected.append(row)
            in_batch.add(value)
        return rejected


class Writer:
    """One kind's plan and write; subclasses name the model and their own fields."""

    # Any: the models' querysets add visible_to and editable_by, which Model does not know.
    model: ClassVar[type[Any]]
    kind: ClassVar[str]
    # Import fields copied as they are onto the model field of the same name.
    plain_fields: ClassVar[tuple[str, ...]] = ()
    # Columns an update adds one to.
    incremented: ClassVar[tuple[str, ...]] = ()
    # Whether the records have an owner: a new one without an owner cell is the importer's.
    has_owner: ClassVar[bool] = True

    def __init__(
        self,
        *,
        by: User,
        mapped: Iterable[str],
        now: dt.datetime,
        lock: bool = True,
        options: ImportOptions | None = None,
    ) -> None:
        """``lock``: lock the records rows update (needs a transaction); off for a preview."""
        self.by = by
        self.mapped = frozenset(mapped)
        self.now = now
        self.lock = lock
        self.options = options or ImportOptions()
        self.owners = OwnerLookup(by, self.owner_candidates, options=self.options, creates=lock)
        self._external_id_lines: dict[str, int] = {}
        # Whether the last batch updated records: see ``_existing``.
        self._expect_updates = False
        # Model(**values) was the largest cost of planning a row; see core.new_records.
        self.make_record = RecordMaker(self.model)
        # The problems of the row being planned, by field (``report``).
        self._problems: dict[str, str] = {}
        # Field -> the values that named nothing, by how they are compared, in the file's
        # order: the preview and the command list them.
        self.not_found: dict[str, dict[str, str]] = {}

    @classmethod
    def owner_candidates(cls, by: User) -> QuerySet[User]:
        """Who may own the kind's records: the pages' rule for its owner field."""
        return assignable_users(by)

    # Planning

    def plan(self, rows: list[CleanRow]) -> BatchPlan:
        plan = BatchPlan()
        # Rows with bad cells are planned too, so that their report names every problem
        # at once (cells, required fields, lookups, the kind's checks), not one per retry.
        candidates = list(rows)
        existing = self._existing(candidates, plan)
        self.owners.load(row.values["owner"] for row in candidates if "owner" in row.values)
        self.load(candidates)
        for row in candidates:
            external_id = row.values.get("external_id", "")
            record = existing.get(external_id) if external_id else None
            planned, problems = self._plan_row(row, record)
            if external_id:
                self._external_id_lines[external_id] = row.line
            if problems:
                for problem in problems:
                    plan.reject(row.line, problem.field, problem.message)
            else:
                plan.accepted.append(planned)
        self.check_batch(plan)
        return plan

    def _existing(self, rows: list[CleanRow], plan: BatchPlan) -> dict[str, Any]:
        """Records the rows' external ids name, locked; rejects rows naming one not theirs."""
        wanted: dict[str, CleanRow] = {}
        for row in list(rows):
            external_id = row.values.get("external_id")
            if not external_id:
                continue
            first_line = self._external_id_lines.get(external_id) or (
                wanted[external_id].line if external_id in wanted else None
            )
            if first_line is not None:
                plan.reject(
                    row.line,
                    "external_id",
                    _("The external id “%(id)s” is also on line %(line)s; give each record once.")
                    % {"id": external_id, "line": first_line},
                )
                rows.remove(row)
                continue
            wanted[external_id] = row
        if not wanted:
            return {}
        # Which ids exist at all is a cheap index probe; the editable records are a longer
        # query. A batch of new records (a first import) needs only the probe; a batch that
        # updates (a re-import) would need both, so there the editable records come first
        # and the probe only for the ids they did not cover. The last batch tells which.
        if self._expect_updates:
            editable = self._editable(wanted)
            taken = self._taken(set(wanted) - set(editable))
        else:
            found = self._taken(set(wanted))
            editable = self._editable(found) if found else {}
            taken = found - set(editable)
        self._expect_updates = bool(editable)
        if taken:
            for external_id in sorted(taken, key=lambda value: wanted[value].line):
                row = wanted[external_id]
                plan.reject(
                    row.line,
                    "external_id",
                    _("The external id “%(id)s” belongs to a record you may not change.")
                    % {"id": external_id},
                )
                rows.remove(row)
        return editable

    def _editable(self, external_ids: Iterable[str]) -> dict[str, Any]:
        """The records with these external ids the importer may edit, locked for the import."""
        # The explicit external_id <> '' lets PostgreSQL use the partial unique index: with
        # more than 100 values in IN (…) or = ANY it cannot prove the index's condition itself.
        records = (
            self.model.objects.editable_by(self.by)
            .filter(external_id__any_of=external_ids)
            .exclude(external_id="")
        )
        if self.lock:
            # In primary-key order, so two imports touching the same records cannot deadlock.
            records = records.order_by("pk").select_for_update(of=("self",))
        return {record.external_id: record for record in records}

    def _taken(self, external_ids: set[str]) -> set[str]:
        """Which of these external ids a record of the model holds, whoever may see it."""
        if not external_ids:
            return set()
        return set(
            self.model.objects.filter(external_id__any_of=external_ids)
            .exclude(external_id="")
            .values_list("external_id", flat=True)
        )

    def _plan_row(self, row: CleanRow, record: Any) -> tuple[Planned, list[CellProblem]]:
        """The row's record with its values set, and every problem found on the way.

        A row with problems is planned all the same (its record is then dropped), so that
        a missing field, a bad cell and an unknown name are reported together.
        """
        values = row.values
        is_new = record is None
        self._problems = {}
        for problem in row.problems:
            self.report(problem.field, problem.message)
        if is_new:
            for problem in missing_required(self.kind, values):
                self.report(problem.field, problem.message)
            record = self.new_record()
        for name in self.plain_fields:
            if name in values:
                setattr(record, name, values[name])
        custom = custom_values(values)
        if custom:
            # Cells were read by each field's kind (kinds.custom_field); an empty cell, as
            # for every field, leaves the record's value as it is.
            record.custom_fields = merged_values(record.custom_fields, custom)
        if "owner" in values:
            record.owner_id = self._resolve("owner", self.owners.owner_id, values["owner"])
        elif is_new and self.has_owner:
            record.owner_id = self.by.pk
        planned = Planned(row.line, record, is_new)
        try:
            self.apply(planned, values)
        except RowProblem as problem:
            self.report(problem.field, problem.message)
        problems = [CellProblem(name, message) for name, message in self._problems.items()]
        return planned, problems

    def report(self, field_name: str, message: str) -> None:
        """Note a problem of the row being planned and go on checking the rest of it.

        One problem per field: the first is the cause, and what a hook finds later about
        the same field (a deal without a company, after its company was not found) follows
        from it.
        """
        self._problems.setdefault(field_name, message)

    def note_not_found(self, field_name: str, value: str, key: str | None = None) -> None:
        """Remember a value that named no record, once per ``key`` (how values compare)."""
        self.not_found.setdefault(field_name, {}).setdefault(value if key is None else key, value)

    def has_problem(self, *field_names: str) -> bool:
        """Whether the row being planned has a problem with any of ``field_names``."""
        return any(name in self._problems for name in field_names)

    def _resolve(self, field_name: str, lookup: Any, value: str, default: Any = None) -> Any:
        """``lookup(value)``; when that fails, the problem is reported and ``default`` given."""
        try:
            return lookup(value)
        except CellError as error:
            self.report(field_name, str(error))
            return default

    def new_record(self) -> Any:
        return self.make_record(created_at=self.now)

    def load(self, rows: list[CleanRow]) -> None:
        """Hook: look up what this batch's rows refer to."""

    def apply(self, planned: Planned, values: dict[str, Any]) -> None:
        """Hook: set the kind's own fields; ``report`` a problem and go on, or raise
        RowProblem when nothing more of the row can be checked."""

    def check_batch(self, plan: BatchPlan) -> None:
        """Hook: checks across the batch's accepted rows."""

    # Writing

    def update_fields(self) -> list[str]:
        names = [name for name in self.plain_fields if name in self.mapped]
        if "owner" in self.mapped:
            names.append("owner")
        if any(name.startswith(CUSTOM_FIELD_PREFIX) for name in self.mapped):
            names.append("custom_fields")
        return [*names, "updated_at"]

    def write(self, plan: BatchPlan) -> tuple[int, int]:
        """Store the plan's accepted rows; (created, updated)."""
        self.before_write(plan)
        new = [planned.record for planned in plan.accepted if planned.is_new]
        changed = [planned.record for planned in plan.accepted if not planned.is_new]
        # COPY on PostgreSQL: bulk_create spent more time preparing fields and compiling a
        # thousand-row INSERT than PostgreSQL spent storing it.
        insert_records(self.model, new)
        for record in changed:
            record.updated_at = self.now
        update_records(self.model, changed, self.update_fields(), increment=self.incremented)
        self.after_write(plan)
        return len(new), len(changed)

    def before_write(self, plan: BatchPlan) -> None:
        """Hook: last changes to the accepted records, once the batch is known to be written."""

    def after_write(self, plan: BatchPlan) -> None:
        """Hook: rows that follow from the written ones."""

    def finish(self) -> None:
        """Hook: work once every batch is written, before the import commits."""
