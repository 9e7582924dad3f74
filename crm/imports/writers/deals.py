"""Deals: their company or contact, pipeline and stage, and their place on the board."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import F, Max
from django.utils.translation import gettext as _

from core.bulk_insert import RowWriter
from crm.imports.kinds import CleanRow
from crm.imports.lookups import CompanyLookup, ContactLookup, StageLookup
from crm.imports.models import ImportKind
from crm.imports.parsing import CellError
from crm.imports.writers.base import BatchPlan, Planned, RowProblem, Writer
from pipeline.models import (
    POSITION_GAP,
    Opportunity,
    OpportunityStatus,
    Stage,
    StageChange,
)
from pipeline.positions import lock_columns
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

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.companies = CompanyLookup(self.by)
        self.contacts = ContactLookup(self.by)
        self.stages = StageLookup()
        # The columns the import puts deals into, by stage id; see ``before_write``.
        self._columns: dict[int, _Column] = {}
        self._stage_changes = RowWriter(StageChange, STAGE_CHANGE_COLUMNS)

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
        deal: Opportunity = planned.record
        if "company" in values:
            deal.company_id = self._resolve("company", self.companies.company_id, values["company"])
        self._apply_contact(deal, values)
        deal.updated_by = self.by
        try:
            stage = self.stages.stage(
                pipeline_name=values.get("pipeline", ""),
                stage_name=values.get("stage", ""),
                current_pipeline_id=None if planned.is_new else deal.pipeline_id,
            )
        except CellError as error:
            field_name = "stage" if "stage" in values else "pipeline"
            raise RowProblem(field_name, str(error)) from None
        if stage is not None and (planned.is_new or stage.pk != deal.stage_id):
            planned.moved_from = None if planned.is_new else deal.stage_id
            planned.is_moved = True
            self._place(deal, stage, values.get("lost_reason", ""))
        elif "lost_reason" in values and deal.status == OpportunityStatus.LOST:
            deal.lost_reason = values["lost_reason"]

    def _apply_contact(self, deal: Opportunity, values: dict[str, Any]) -> None:
        """The row's contact, of the deal's company; a deal without a company takes the
        contact's, as ``create_opportunity`` does."""
        if "contact" in values:
            deal.contact_id, company_id = self._resolve(
                "contact", self.contacts.contact, values["contact"]
            )
            if deal.company_id is None:
                deal.company_id = company_id
            elif deal.company_id != company_id:
                raise RowProblem("contact", _("Choose a contact of this deal's company."))
        if deal.company_id is None and deal.contact_id is None:
            raise RowProblem(
                "company", _("A deal needs a company or a contact; give at least one.")
            )

    def _place(self, deal: Opportunity, stage: Stage, lost_reason: str) -> None:
        """Put the deal into the stage, with what entering it means; its place comes last."""
        deal.pipeline_id = stage.pipeline_id
        try:
            entered = stage_entry_fields(
                deal, stage, at=self.now, lost_reason=lost_reason or deal.lost_reason
            )
        except ValidationError as error:
            raise RowProblem("lost_reason", error.messages[0]) from None
        for name, value in entered.items():
            setattr(deal, name, value)
        deal.position = UNPLACED

    def update_fields(self) -> list[str]:
        names = super().update_fields()
        if self.mapped & {"company", "contact"}:
            # A contact can bring its company along, so both are written.
            names += ["company", "contact"]
        if self.mapped & {"pipeline", "stage", "lost_reason"}:
            names += self.stage_fields
        return [*names, "updated_by"]

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
        # Every stage a deal enters is history the forecasts read: one StageChange each.
        # Tuples by COPY: a StageChange instance per row cost more than its insert.
        moved = [planned.record for planned in plan.accepted if planned.is_moved]
        self._stage_changes.write(
            (planned.record.pk, planned.moved_from, planned.record.stage_id, self.by.pk, self.now)
            for planned in plan.accepted
            if planned.is_moved
        )
        for deal in moved:
            self._columns[deal.stage_id].deal_ids.append(deal.pk)

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
