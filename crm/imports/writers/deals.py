"""Deals: their company or contact, pipeline and stage, their history, and their place on the
board. What the row's times and status mean for the stages a deal entered is in
``deal_history``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import F, Max
from django.utils.translation import gettext as _

from core.bulk_insert import RowWriter
from crm.imports.kinds import CleanRow
from crm.imports.lookups import CompanyLookup, ContactLookup, StageLookup
from crm.imports.models import ImportKind
from crm.imports.parsing import CellError
from crm.imports.writers.base import BatchPlan, Planned, RowProblem, Writer
from crm.imports.writers.deal_history import (
    LOST_REASON_NOT_RECORDED,
    STAGE_FIELDS,
    Entry,
    HistoryPlanner,
)
from crm.imports.writers.deal_products import DealProducts
from crm.imports.writers.moments import as_moment
from forecasting.history import snapshots_from_history
from pipeline.models import (
    POSITION_GAP,
    Opportunity,
    OpportunityStatus,
    Stage,
    StageChange,
)
from pipeline.positions import lock_columns
from pipeline.services.reporting import deals_added, deals_changing
from pipeline.signals import history_rewritten
from pipeline.stage_entry import stage_entry_fields

# A deal the import puts into a stage is planned at UNPLACED, far below any real position
# (each new deal goes POSITION_GAP above a column's first card; it takes 2**46 of them to
# get down here); ``DealWriter.before_write`` gives it its place before it is written.
UNPLACED = -(2**62)
STAGE_CHANGE_COLUMNS = ("opportunity", "from_stage", "to_stage", "by", "at")


@dataclass
class _Column:
    """A column the import puts deals into: its last card's place before the import's."""

    last: int
    # The deals placed after it (the n-th at last + n * POSITION_GAP), and their ids once
    # written; ids only, so that memory does not grow with the deals' records.
    placed: int = 0
    open_count: int = 0
    deal_ids: list[int] = field(default_factory=list)


class DealWriter(Writer):
    model = Opportunity
    kind = ImportKind.DEALS
    plain_fields = ("external_id", "title", "value", "currency", "expected_close_date")
    # An import is a write like any other: a board move naming the old version loses.
    incremented = ("version",)
    stage_fields = (
        "pipeline",
        "stage",
        "stage_entered_at",
        "stale_since",
        "status",
        "closed_at",
        "lost_reason",
        "forecast_category",
        "position",
    )

    # Moments copied onto the deal; the stage times are set by its entries.
    moment_fields = ("created_at", "first_engaged_at", "last_touch_at")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.companies = CompanyLookup(self.by)
        self.contacts = ContactLookup(self.by)
        self.stages = StageLookup(self.options.stages)
        self.history = HistoryPlanner(self.stages, self.now)
        # The stages each accepted row's deal enters, by line, until its batch is written.
        self._entries: dict[int, list[Entry]] = {}
        # The columns the import puts deals into, by stage id; see ``before_write``.
        self._columns: dict[int, _Column] = {}
        self._stage_changes = RowWriter(StageChange, STAGE_CHANGE_COLUMNS)
        # The deals whose history the import wrote before this month began, and the earliest
        # of those entries: ``finish`` snapshots their past months.
        self._this_month = self.now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        self._with_history: list[int] = []
        self._history_since = self._this_month
        # The product column: a line item per row (writers/deal_products.py).
        self.products = DealProducts(self)
        # Translated once: str() of the lazy text per deal was a gettext per row.
        self._not_recorded = str(LOST_REASON_NOT_RECORDED)

    def new_record(self) -> Opportunity:
        return self.make_record(
            created_at=self.now,
            created_by=self.by,
            currency=settings.DEFAULT_CURRENCY,
        )

    def load(self, rows: list[CleanRow]) -> None:
        self.companies.load(row.values["company"] for row in rows if "company" in row.values)
        self.contacts.load(row.values["contact"] for row in rows if "contact" in row.values)

    def apply(self, planned: Planned, values: dict[str, Any]) -> None:
        self.products.apply(planned, values)
        deal: Opportunity = planned.record
        if "company" in values:
            deal.company_id = self._resolve("company", self.companies.company_id, values["company"])
        self._apply_contact(deal, values)
        deal.updated_by = self.by
        recorded_creation = None if planned.is_new else deal.created_at
        for name in self.moment_fields:
            if name in values:
                setattr(deal, name, as_moment(values[name]))
        if recorded_creation is not None and deal.created_at > recorded_creation:
            # The stage entries recorded start no earlier than the deal's creation: an update
            # may move the creation earlier (after a first import without times), never later.
            deal.created_at = recorded_creation
        try:
            named = self.stages.stage(
                pipeline_name=values.get("pipeline", ""),
                stage_name=values.get("stage", ""),
                current_pipeline_id=None if planned.is_new else deal.pipeline_id,
            )
        except CellError as error:
            field_name = "stage" if "stage" in values else "pipeline"
            raise RowProblem(field_name, str(error)) from None
        current = None if planned.is_new else self._current_stage(deal)
        entries = self.history.entries(deal, values, named=named, current=current)
        if entries:
            planned.moved_from = entries[0].from_stage_id
            planned.is_moved = True
            self._entries[planned.line] = entries
            reason = values.get("lost_reason") or deal.lost_reason or self._not_recorded
            for entry in entries:
                self._enter(deal, entry, reason)
        elif "lost_reason" in values and deal.status == OpportunityStatus.LOST:
            deal.lost_reason = values["lost_reason"]

    def _current_stage(self, deal: Opportunity) -> Stage:
        """The stage an existing deal is in (a query only for a pipeline no longer active)."""
        stage = self.stages.stages.get(deal.stage_id)
        if stage is None:
            stage = Stage.objects.select_related("pipeline").get(pk=deal.stage_id)
        return stage

    def _apply_contact(self, deal: Opportunity, values: dict[str, Any]) -> None:
        """The row's contact, of the deal's company; a deal without a company takes the
        contact's, as ``create_opportunity`` does."""
        if "contact" in values:
            deal.contact_id, company_id = self._resolve(
                "contact", self.contacts.contact, values["contact"], default=(None, None)
            )
            if deal.company_id is None:
                deal.company_id = company_id
            elif deal.company_id != company_id:
                raise RowProblem("contact", _("Choose a contact of this deal's company."))
        # A company or contact that was given but not found is reported already.
        if (
            deal.company_id is None
            and deal.contact_id is None
            and not self.has_problem("company", "contact")
        ):
            raise RowProblem(
                "company", _("A deal needs a company or a contact; give at least one.")
            )

    @staticmethod
    def _enter(deal: Opportunity, entry: Entry, lost_reason: str) -> None:
        """Put the deal into the entry's stage, as entering it then means; its place on the
        board comes last (``finish``)."""
        deal.pipeline_id = entry.stage.pipeline_id
        fields = stage_entry_fields(deal, entry.stage, at=entry.at, lost_reason=lost_reason)
        for name, value in fields.items():
            setattr(deal, name, value)
        deal.position = UNPLACED

    def update_fields(self) -> list[str]:
        names = super().update_fields()
        if self.mapped & {"company", "contact"}:
            # A contact can bring its company along, so both are written.
            names += ["company", "contact"]
        if self.mapped & STAGE_FIELDS:
            names += self.stage_fields
        names += [name for name in self.moment_fields if name in self.mapped]
        return [*names, "updated_by"]

    def write(self, plan: BatchPlan) -> tuple[int, int]:
        """As every writer's, with reports following the deals it changes and adds."""
        changed = [planned.record.pk for planned in plan.accepted if not planned.is_new]
        with deals_changing(changed):
            written = super().write(plan)
        deals_added([planned.record.pk for planned in plan.accepted if planned.is_new])
        return written

    def before_write(self, plan: BatchPlan) -> None:
        """Place the deals entering a stage after the column's last card, in the file's order.

        The last card is read without the column's lock (taken at the first batch, it would
        keep everyone from moving cards into the column until the import commits), so
        ``finish`` checks under the lock that no card has been placed after it since.
        """
        for planned in plan.accepted:
            if not planned.is_moved:
                continue
            deal: Opportunity = planned.record
            column = self._columns.get(deal.stage_id)
            if column is None:
                last = (
                    Opportunity.objects.open()
                    .filter(stage_id=deal.stage_id)
                    .aggregate(last=Max("position"))["last"]
                )
                column = self._columns[deal.stage_id] = _Column(last=last or 0)
            column.placed += 1
            column.open_count += deal.status == OpportunityStatus.OPEN
            deal.position = column.last + column.placed * POSITION_GAP

    def after_write(self, plan: BatchPlan) -> None:
        self.products.write(plan)
        moved = [planned for planned in plan.accepted if planned.is_moved]
        # Every stage a deal enters is history the forecasts read: one StageChange each, at
        # the time the deal entered it. Tuples by COPY: an instance per row cost more than
        # its insert.
        self._stage_changes.write(
            (planned.record.pk, entry.from_stage_id, entry.stage.pk, self.by.pk, entry.at)
            for planned in moved
            for entry in self._entries[planned.line]
        )
        for planned in moved:
            self._columns[planned.record.stage_id].deal_ids.append(planned.record.pk)
            earliest = self._entries[planned.line][0].at
            if earliest < self._this_month:
                self._with_history.append(planned.record.pk)
                self._history_since = min(self._history_since, earliest)
        self._entries.clear()
        # The entries may lie in periods that have ended, whose counts reports keep (even
        # those stamped when the import began, should it commit after their end): the
        # reports count these deals' owners again.
        if moved:
            history_rewritten.send(
                sender=StageChange,
                opportunity_ids=frozenset(planned.record.pk for planned in moved),
            )

    def finish(self) -> None:
        """Make sure the deals the import placed are still last in their columns.

        Under the columns' locks, so that no board move or new deal takes the same places
        meanwhile, and only now (see ``before_write``). A card another writer placed after
        the column's last card while the import ran is the only one the count finds beyond
        the import's own; then, and only then, one UPDATE moves the import's deals after it.
        """
        lock_columns(self._columns)
        for stage_id, column in sorted(self._columns.items()):
            beyond = Opportunity.objects.open().filter(stage_id=stage_id, position__gt=column.last)
            if beyond.count() == column.open_count:
                continue
            others = beyond.exclude(pk__in=column.deal_ids)
            last = others.aggregate(last=Max("position"))["last"]
            if last is not None:
                Opportunity.objects.filter(pk__in=column.deal_ids).update(
                    position=F("position") - column.last + last
                )
        # The past the deals' history tells, for the forecasts of past months.
        snapshots_from_history(self._with_history, since=self._history_since, today=self.now.date())
