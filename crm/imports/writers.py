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
- Owners must be users the importer may assign work to (``assignable_users``); empty
  means the importer for a new record and no change for an existing one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Max, OuterRef, Q, Subquery
from django.db.models.functions import Lower
from django.utils.translation import gettext as _

from accounts.models import User
from contacts.models import Company, Contact, Lead, LeadSource
from contacts.services import lead_owners
from contacts.services.companies import TEXT_FIELDS as COMPANY_TEXT_FIELDS
from contacts.services.duplicates import FREE_MAIL_DOMAINS, duplicate_keys
from contacts.services.leads import LEAD_DETAILS
from contacts.services.people import TEXT_FIELDS as CONTACT_TEXT_FIELDS
from core.custom_fields.values import merged_values
from crm.imports.bulk import update_records
from crm.imports.kinds import CUSTOM_FIELD_PREFIX, CleanRow, custom_values, missing_required
from crm.imports.lookups import CompanyLookup, ContactLookup, OwnerLookup, StageLookup
from crm.imports.models import ImportKind
from crm.imports.parsing import CellError
from pipeline.models import (
    POSITION_GAP,
    Opportunity,
    OpportunityStatus,
    Product,
    ProductPrice,
    Stage,
    StageChange,
)
from pipeline.positions import lock_columns
from pipeline.stage_entry import stage_entry_fields

# Where a deal the import puts into a stage waits until ``DealWriter.finish`` places it: far
# below any real position (each new deal goes POSITION_GAP above a column's first card; it
# takes 2**46 of them to get down here), so it is never taken for the end of its column.
UNPLACED = -(2**62)
PLACING_BATCH_SIZE = 1000


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


@dataclass
class BatchPlan:
    accepted: list[Planned] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)

    @property
    def rejected_lines(self) -> set[int]:
        return {rejection.line for rejection in self.rejections}

    def reject(self, line: int, field_name: str, message: str) -> None:
        self.rejections.append(Rejection(line, field_name, message))


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
        self, *, by: User, mapped: Iterable[str], now: dt.datetime, lock: bool = True
    ) -> None:
        """``lock``: lock the records rows update (needs a transaction); off for a preview."""
        self.by = by
        self.mapped = frozenset(mapped)
        self.now = now
        self.lock = lock
        self.owners = OwnerLookup(by)
        self._external_id_lines: dict[str, int] = {}

    # Planning

    def plan(self, rows: list[CleanRow]) -> BatchPlan:
        plan = BatchPlan()
        candidates: list[CleanRow] = []
        for row in rows:
            if row.problems:
                for problem in row.problems:
                    plan.reject(row.line, problem.field, problem.message)
            else:
                candidates.append(row)
        existing = self._existing(candidates, plan)
        self.owners.load(row.values["owner"] for row in candidates if "owner" in row.values)
        self.load(candidates)
        for row in candidates:
            external_id = row.values.get("external_id", "")
            record = existing.get(external_id) if external_id else None
            try:
                planned = self._plan_row(row, record)
            except RowProblem as problem:
                plan.reject(row.line, problem.field, problem.message)
                continue
            if external_id:
                self._external_id_lines[external_id] = row.line
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
        # The explicit external_id <> '' lets PostgreSQL use the partial unique index: with
        # more than 100 values in IN (…) it cannot prove the index's condition by itself.
        records = (
            self.model.objects.editable_by(self.by)
            .filter(external_id__in=wanted)
            .exclude(external_id="")
        )
        if self.lock:
            # In primary-key order, so two imports touching the same records cannot deadlock.
            records = records.order_by("pk").select_for_update(of=("self",))
        editable = {record.external_id: record for record in records}
        others = set(wanted) - set(editable)
        if others:
            taken = set(
                self.model.objects.filter(external_id__in=others)
                .exclude(external_id="")
                .values_list("external_id", flat=True)
            )
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

    def _plan_row(self, row: CleanRow, record: Any) -> Planned:
        values = row.values
        is_new = record is None
        if is_new:
            problems = missing_required(self.kind, values)
            if problems:
                raise RowProblem(problems[0].field, problems[0].message)
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
        self.apply(planned, values)
        return planned

    @staticmethod
    def _resolve(field_name: str, lookup: Any, value: str) -> Any:
        try:
            return lookup(value)
        except CellError as error:
            raise RowProblem(field_name, str(error)) from None

    def new_record(self) -> Any:
        return self.model(created_at=self.now)

    def load(self, rows: list[CleanRow]) -> None:
        """Hook: look up what this batch's rows refer to."""

    def apply(self, planned: Planned, values: dict[str, Any]) -> None:
        """Hook: set the kind's own fields; raise RowProblem to reject the row."""

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
        new = [planned.record for planned in plan.accepted if planned.is_new]
        changed = [planned.record for planned in plan.accepted if not planned.is_new]
        if new:
            self.model.objects.bulk_create(new)
        for record in changed:
            record.updated_at = self.now
        update_records(self.model, changed, self.update_fields(), increment=self.incremented)
        self.after_write(plan)
        return len(new), len(changed)

    def after_write(self, plan: BatchPlan) -> None:
        """Hook: rows that follow from the written ones."""

    def finish(self) -> None:
        """Hook: work once every batch is written, before the import commits."""


class CompanyWriter(Writer):
    model = Company
    kind = ImportKind.COMPANIES
    plain_fields = COMPANY_TEXT_FIELDS


class ContactWriter(Writer):
    model = Contact
    kind = ImportKind.CONTACTS
    plain_fields = CONTACT_TEXT_FIELDS

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.companies = CompanyLookup(self.by)

    def load(self, rows: list[CleanRow]) -> None:
        self.companies.load(row.values["company"] for row in rows if "company" in row.values)

    def apply(self, planned: Planned, values: dict[str, Any]) -> None:
        if "company" in values:
            planned.record.company_id = self._resolve(
                "company", self.companies.company_id, values["company"]
            )

    def update_fields(self) -> list[str]:
        names = super().update_fields()
        return [*names, "company"] if "company" in self.mapped else names

    def check_batch(self, plan: BatchPlan) -> None:
        # The database's unique (lower(email), company) constraint, as row rejections.
        with_email = [planned for planned in plan.accepted if planned.record.email]
        if not with_email:
            return
        taken = {
            (company_id, email_key): pk
            for pk, company_id, email_key in Contact.objects.annotate(email_key=Lower("email"))
            .filter(
                company_id__in={planned.record.company_id for planned in with_email},
                email_key__in={planned.record.email.lower() for planned in with_email},
            )
            .values_list("pk", "company_id", "email_key")
        }
        in_batch: set[tuple[int, str]] = set()
        for planned in with_email:
            key = (planned.record.company_id, planned.record.email.lower())
            holder = taken.get(key)
            if key in in_batch or (holder is not None and holder != planned.record.pk):
                plan.reject(
                    planned.line,
                    "email",
                    _("This company already has a contact with the email %(email)s.")
                    % {"email": planned.record.email},
                )
                plan.accepted.remove(planned)
            in_batch.add(key)


class LeadWriter(Writer):
    model = Lead
    kind = ImportKind.LEADS
    # The owner is looked up by username, like every kind's.
    plain_fields = tuple(name for name in LEAD_DETAILS if name != "owner")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # The lead pages' rule: a rep may also give leads to their teammates.
        self.owners = OwnerLookup(self.by, candidates=lead_owners)

    def new_record(self) -> Lead:
        return Lead(created_at=self.now, source=LeadSource.IMPORT)

    def apply(self, planned: Planned, values: dict[str, Any]) -> None:
        lead: Lead = planned.record
        if planned.is_new and not lead.company_domain:
            # As the lead pages do: a business address says which company the lead is with.
            lead.company_domain = duplicate_keys(email=lead.email, company_domain="")[1]

    def after_write(self, plan: BatchPlan) -> None:
        """Flag each new lead matching an earlier one, by the lead pages' rule.

        The rule (contacts.services.duplicates): the same email, case-insensitive, or the
        same company domain, free-mail domains aside. The lead is created all the same,
        pointing at the oldest match through ``duplicate_of``, for a person to merge or
        clear; rows earlier in the file count as earlier leads. One UPDATE per batch.
        """
        new_ids = [
            planned.record.pk
            for planned in plan.accepted
            if planned.is_new and (planned.record.email or planned.record.company_domain)
        ]
        if not new_ids:
            return
        same_email = Q(email_key=Lower(OuterRef("email"))) & ~Q(email="")
        same_domain = (
            Q(company_domain=OuterRef("company_domain"))
            & ~Q(company_domain="")
            & ~Q(company_domain__in=FREE_MAIL_DOMAINS)
        )
        earlier = Q(created_at__lt=OuterRef("created_at")) | Q(
            created_at=OuterRef("created_at"), pk__lt=OuterRef("pk")
        )
        oldest = (
            Lead.objects.annotate(email_key=Lower("email"))
            .filter(same_email | same_domain)
            .filter(earlier)
            .order_by("created_at", "pk")
            .values("pk")[:1]
        )
        Lead.objects.filter(pk__in=new_ids).update(duplicate_of=Subquery(oldest))


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
        # The deals written into a column, by stage, in the file's order: ``finish`` gives
        # them their places at the end of their columns.
        self._placed: dict[int, list[int]] = {}

    def new_record(self) -> Opportunity:
        return Opportunity(
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

    def after_write(self, plan: BatchPlan) -> None:
        moved = [planned for planned in plan.accepted if planned.is_moved]
        # Every stage a deal enters is history the forecasts read: one StageChange each.
        StageChange.objects.bulk_create(
            StageChange(
                opportunity_id=planned.record.pk,
                from_stage_id=planned.moved_from,
                to_stage_id=planned.record.stage_id,
                by=self.by,
                at=self.now,
            )
            for planned in moved
        )
        for planned in moved:
            self._placed.setdefault(planned.record.stage_id, []).append(planned.record.pk)

    def finish(self) -> None:
        """Give the deals the import moved their places at the end of their columns.

        Under the columns' locks, so that no board move or new deal takes the same places,
        and only now: taken with the first batch, the locks would keep everyone from moving
        cards into those columns until the whole import commits. Set-based: one UPDATE per
        column and thousand deals.
        """
        lock_columns(self._placed)
        for stage_id, deal_ids in self._placed.items():
            last = (
                Opportunity.objects.open()
                .filter(stage_id=stage_id, position__gt=UNPLACED)
                .aggregate(last=Max("position"))["last"]
            )
            start = 0 if last is None else last
            for offset in range(0, len(deal_ids), PLACING_BATCH_SIZE):
                chunk = deal_ids[offset : offset + PLACING_BATCH_SIZE]
                placed = [
                    Opportunity(pk=pk, position=start + (offset + index + 1) * POSITION_GAP)
                    for index, pk in enumerate(chunk)
                ]
                update_records(Opportunity, placed, ["position"])


class ProductWriter(Writer):
    """Products of the catalogue, with their prices; only an admin's import writes any."""

    model = Product
    kind = ImportKind.PRODUCTS
    plain_fields = ("external_id", "name", "code", "description", "is_active")
    has_owner = False

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # The prices of the rows planned, by record, until they are written.
        self._prices: dict[int, dict[str, Any]] = {}

    def plan(self, rows: list[CleanRow]) -> BatchPlan:
        if self.by.is_admin:
            return super().plan(rows)
        plan = BatchPlan()
        for row in rows:
            plan.reject(row.line, "name", _("Only admins import products."))
        return plan

    def _plan_row(self, row: CleanRow, record: Any) -> Planned:
        planned = super()._plan_row(row, record)
        if "prices" in row.values:
            self._prices[id(planned.record)] = row.values["prices"]
        return planned

    def check_batch(self, plan: BatchPlan) -> None:
        # The unique lower(code) constraint, as row rejections.
        with_code = [planned for planned in plan.accepted if planned.record.code]
        if not with_code:
            return
        taken = dict(
            Product.objects.annotate(code_key=Lower("code"))
            .filter(code_key__in={planned.record.code.lower() for planned in with_code})
            .values_list("code_key", "pk")
        )
        in_batch: set[str] = set()
        for planned in with_code:
            key = planned.record.code.lower()
            holder = taken.get(key)
            if key in in_batch or (holder is not None and holder != planned.record.pk):
                plan.reject(
                    planned.line,
                    "code",
                    _("Another product already has the code “%(code)s”.")
                    % {"code": planned.record.code},
                )
                plan.accepted.remove(planned)
                self._prices.pop(id(planned.record), None)
            in_batch.add(key)

    def after_write(self, plan: BatchPlan) -> None:
        priced = {
            planned.record.pk: self._prices.pop(id(planned.record))
            for planned in plan.accepted
            if id(planned.record) in self._prices
        }
        ProductPrice.objects.filter(product_id__in=priced).delete()
        ProductPrice.objects.bulk_create(
            ProductPrice(product_id=pk, currency=code, unit_price=unit_price)
            for pk, by_currency in priced.items()
            for code, unit_price in by_currency.items()
        )


WRITERS: dict[str, type[Writer]] = {
    ImportKind.COMPANIES: CompanyWriter,
    ImportKind.CONTACTS: ContactWriter,
    ImportKind.LEADS: LeadWriter,
    ImportKind.DEALS: DealWriter,
    ImportKind.PRODUCTS: ProductWriter,
}
