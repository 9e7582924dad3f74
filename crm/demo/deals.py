"""Deals, written in batches, each with its stage history, touchpoints and tasks.

A batch is generated, inserted and dropped before the next one starts, so memory stays flat
however many deals are asked for. Rows are plain tuples written by core.bulk_insert.RowWriter,
with the deals' ids reserved before the batch is built so that its history rows can name them.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import reset_queries
from django.utils.translation import gettext_lazy as _

from core.bulk_insert import RowWriter, reserve_ids, settle_deferred_checks
from crm.demo import activity
from crm.demo.clock import DAY, HISTORY_DAYS, Clock, office_moment
from crm.demo.companies import CompanyRef
from crm.demo.deal_extras import ExtrasDrafter
from crm.demo.deal_terms import RENEWAL, expected_close, forecast_category, title_and_value
from crm.demo.leads import ConvertedLead
from crm.demo.pipelines import Layout
from crm.demo.timeline import Timeline, is_stale, simulate
from pipeline.models import (
    POSITION_GAP,
    DealContact,
    LineItem,
    Opportunity,
    OpportunityStatus,
    StageChange,
    StageKind,
)

LOST_REASONS = (
    _("Price too high"),
    _("Chose a competitor"),
    _("No budget"),
    _("No decision: went quiet"),
    _("Timing: project postponed"),
    _("Missing feature"),
)
TOUCHPOINTS_PER_DEAL = (1, 2, 2, 3, 3, 3, 4, 4, 5)
LINE_ITEM_COLUMNS = (
    "opportunity_id",
    "product_id",
    "quantity",
    "unit_price",
    "discount",
    "position",
    "created_at",
)
BUYING_TEAM_COLUMNS = ("opportunity_id", "contact_id", "role_id", "is_primary", "created_at")
DEAL_COLUMNS = (
    "id",
    "title",
    "company_id",
    "contact_id",
    "lead_id",
    "owner_id",
    "pipeline_id",
    "stage_id",
    "value",
    "currency",
    "expected_close_date",
    "forecast_category",
    "position",
    "stage_entered_at",
    "first_engaged_at",
    "last_touch_at",
    "stale_since",
    "checklist_done",
    "custom_fields",
    "version",
    "status",
    "lost_reason",
    "closed_at",
    "created_by_id",
    "updated_by_id",
    "external_id",
    "created_at",
    "updated_at",
)
STAGE_CHANGE_COLUMNS = ("opportunity_id", "from_stage_id", "to_stage_id", "by_id", "at")
STATUS_OF_KIND = {
    StageKind.OPEN: OpportunityStatus.OPEN,
    StageKind.WON: OpportunityStatus.WON,
    StageKind.LOST: OpportunityStatus.LOST,
}


# Deals are opened from a week after the import until yesterday.
OPENING_DAYS = HISTORY_DAYS - 15
# A growing business: this share of deals is drawn densest near today, the rest evenly, so
# that the number of new deals a month triples over the history.
GROWING_SHARE = 0.6


def _opening_day(rng: random.Random) -> int:
    share = rng.random()
    if rng.random() < GROWING_SHARE:
        share = 1 - math.sqrt(share)
    return -1 - int(OPENING_DAYS * share)


def opening_density(days_ago: float) -> float:
    """How many deals are opened ``days_ago`` relative to the average day (mean 1)."""
    return 1 - GROWING_SHARE + GROWING_SHARE * 2 * (1 - days_ago / OPENING_DAYS)


@dataclass
class Draft:
    """One deal and its history rows, not saved yet."""

    deal: dict[str, Any]
    changes: list[tuple] = field(default_factory=list)
    touchpoints: list[tuple] = field(default_factory=list)
    tasks: list[tuple] = field(default_factory=list)
    line_items: list[tuple] = field(default_factory=list)
    team: list[tuple] = field(default_factory=list)


class DealDrafter:
    """Drafts deals one after another from a single random stream: the order matters."""

    def __init__(
        self,
        rng: random.Random,
        clock: Clock,
        layouts: list[Layout],
        companies: list[CompanyRef],
        converted: list[ConvertedLead],
        utc_offsets: dict[int, int],
        extras: ExtrasDrafter,
    ) -> None:
        self.rng, self.clock, self.layouts = rng, clock, layouts
        self.extras = extras
        self.companies, self.converted, self.utc_offsets = companies, converted, utc_offsets
        self.log = activity.Activity(rng, clock)
        self.layout_pool = [
            layout for layout in layouts for _ in range(round(100 * layout.spec.share))
        ]
        self.lost_reasons = [str(reason) for reason in LOST_REASONS]
        self.renewal_label = str(RENEWAL)
        self.positions: Counter[int] = Counter()

    def draft(self, index: int, pk: int) -> Draft:
        """The ``index``-th deal; the first ones are those the converted leads opened."""
        rng = self.rng
        conversion = self.converted[index] if index < len(self.converted) else None
        if conversion is not None:
            layout, company = self.layouts[0], conversion.company
            # A converted lead is qualified already.
            first_stage, start_day = 1, conversion.deal_day
        else:
            layout = rng.choice(self.layout_pool)
            company = rng.choice(self.companies)
            first_stage = rng.choice(layout.entry_pool)
            start_day = _opening_day(rng)
        offset = self.utc_offsets[company.owner_id]
        timeline = simulate(
            rng, layout, first_stage=first_stage, start_day=start_day, utc_offset=offset
        )
        deal = self._deal(pk, layout, company, timeline)
        if conversion is not None:
            deal["lead_id"] = conversion.lead.pk
            deal["contact_id"] = conversion.contact.pk
        draft = Draft(deal)
        self._furnish(draft, layout, company, timeline)
        stage_ids, moment, owner_id = layout.stage_ids, self.clock.moment, company.owner_id
        previous = None
        for stage_index, at in zip(timeline.stages, timeline.moments, strict=True):
            stage_id = stage_ids[stage_index]
            draft.changes.append((pk, previous, stage_id, owner_id, moment(at)))
            previous = stage_id
        self._touch(draft, timeline, offset)
        self._plan_tasks(draft, timeline, offset)
        return draft

    def _deal(
        self, pk: int, layout: Layout, company: CompanyRef, timeline: Timeline
    ) -> dict[str, Any]:
        rng, clock, owner_id = self.rng, self.clock, company.owner_id
        stage_id = layout.stage_ids[timeline.stage]
        spec = layout.spec.stages[timeline.stage]
        created, entered = timeline.moments[0], timeline.entered_at
        closed = None if spec.kind == StageKind.OPEN else entered
        title, value = title_and_value(
            rng, company, renewal=layout is not self.layouts[0], renewal_label=self.renewal_label
        )
        self.positions[stage_id] += 1
        visited = set(timeline.stages)
        needs_contact = any(layout.contact_required[index] for index in visited)
        has_contact = company.contacts and (needs_contact or rng.random() < 0.85)
        stale = spec.kind == StageKind.OPEN and is_stale(timeline, spec.rotting_days)
        return {
            "id": pk,
            "title": title,
            "company_id": company.pk,
            "contact_id": rng.choice(company.contacts).pk if has_contact else None,
            "lead_id": None,
            "owner_id": owner_id,
            "pipeline_id": layout.pipeline.pk,
            "stage_id": stage_id,
            "value": value,
            "currency": company.country.currency,
            "expected_close_date": expected_close(
                rng, clock, created=created, closed=closed, probability=spec.probability
            ),
            "forecast_category": forecast_category(rng, spec.kind, spec.probability),
            "position": self.positions[stage_id] * POSITION_GAP,
            "stage_entered_at": clock.moment(entered),
            # Demo deals are recorded when the buyer engages: the cycle starts at creation.
            "first_engaged_at": None,
            "last_touch_at": None,
            "stale_since": (
                clock.day_of(entered + (spec.rotting_days or 0) * DAY) if stale else None
            ),
            "checklist_done": sorted({item for i in visited for item in layout.checklists[i]}),
            "custom_fields": {},
            # Every move bumps the version; creation is version 1.
            "version": len(timeline.stages),
            "status": STATUS_OF_KIND[spec.kind],
            "lost_reason": rng.choice(self.lost_reasons) if spec.kind == StageKind.LOST else "",
            "closed_at": None if closed is None else clock.moment(closed),
            "created_by_id": owner_id,
            "updated_by_id": owner_id,
            "external_id": "",
            "created_at": clock.moment(created),
            # The demo's last write to a deal was its last move.
            "updated_at": clock.moment(entered),
        }

    def _furnish(
        self, draft: Draft, layout: Layout, company: CompanyRef, timeline: Timeline
    ) -> None:
        """Line items (the deal is then worth their total), buying team, custom values."""
        deal = draft.deal
        extras = self.extras.draft(
            layout=layout,
            company=company,
            timeline=timeline,
            value=deal["value"],
            currency=deal["currency"],
            contact_id=deal["contact_id"],
        )
        pk, created = deal["id"], deal["created_at"]
        if extras.value is not None:
            deal["value"] = extras.value
        deal["custom_fields"] = extras.custom_fields
        draft.line_items = [(pk, *item, created) for item in extras.line_items]
        # The deal's contact is the primary member, as the buying-team services keep it.
        draft.team = [(pk, *member, created) for member in extras.team]

    def _touch(self, draft: Draft, timeline: Timeline, offset: int) -> None:
        """Touchpoints over the deal's life; an open deal's last one is in its current stage.

        A stale deal was last touched when it entered its stage, so "stale" means the same
        whether the nightly job counts days in the stage or days without a touchpoint.
        """
        rng, deal = self.rng, draft.deal
        created, entered = timeline.moments[0], timeline.entered_at
        moments = []
        count = rng.choice(TOUCHPOINTS_PER_DEAL)
        if deal["status"] == OpportunityStatus.OPEN:
            count -= 1
            if deal["stale_since"] is not None:
                moments.append(entered)
            else:
                day = rng.randint(entered // DAY, -1)
                moments.append(max(entered, office_moment(rng, day, offset)))
        for _index in range(count):
            day = rng.randint(created // DAY, entered // DAY)
            moments.append(min(entered, max(created, office_moment(rng, day, offset))))
        subject = activity.about_deal(deal["id"])
        draft.touchpoints = [
            self.log.touchpoint(at=at, by_id=deal["owner_id"], subject=subject) for at in moments
        ]
        deal["last_touch_at"] = self.clock.moment(max(moments)) if moments else None

    def _plan_tasks(self, draft: Draft, timeline: Timeline, offset: int) -> None:
        rng, deal = self.rng, draft.deal
        created, entered = timeline.moments[0], timeline.entered_at
        owner_id, subject = deal["owner_id"], activity.about_deal(deal["id"])
        is_open = deal["status"] == OpportunityStatus.OPEN
        if not is_open or rng.random() < 0.45:
            for _index in range(1 if rng.random() < 0.7 else 2):
                draft.tasks.append(
                    self.log.done_task(
                        earliest=created, latest=entered, assignee_id=owner_id, subject=subject
                    )
                )
        # One open deal in ten has no next step planned: a red flag for the manager.
        if not is_open or rng.random() < 0.1:
            return
        first_overdue_day = max(entered // DAY + 1, -30)
        overdue_chance = 0.6 if deal["stale_since"] is not None else 0.15
        if first_overdue_day <= -1 and rng.random() < overdue_chance:
            due = office_moment(rng, rng.randint(first_overdue_day, -1), offset)
        else:
            due = office_moment(rng, rng.randint(0, 21), offset)
        draft.tasks.append(
            self.log.open_task(earliest=entered, due=due, assignee_id=owner_id, subject=subject)
        )


def create_deals(
    drafter: DealDrafter,
    *,
    total: int,
    batch_size: int,
    report: Callable[[int, int], None],
) -> None:
    deals = RowWriter(Opportunity, DEAL_COLUMNS)
    changes = RowWriter(StageChange, STAGE_CHANGE_COLUMNS)
    line_items = RowWriter(LineItem, LINE_ITEM_COLUMNS)
    members = RowWriter(DealContact, BUYING_TEAM_COLUMNS)
    touchpoints, tasks = activity.touchpoint_writer(), activity.task_writer()
    for start in range(0, total, batch_size):
        stop = min(total, start + batch_size)
        ids = reserve_ids(Opportunity, stop - start)
        drafts = [
            drafter.draft(index, pk) for index, pk in zip(range(start, stop), ids, strict=True)
        ]
        deals.write([tuple(draft.deal[column] for column in DEAL_COLUMNS) for draft in drafts])
        changes.write([row for draft in drafts for row in draft.changes])
        line_items.write([row for draft in drafts for row in draft.line_items])
        members.write([row for draft in drafts for row in draft.team])
        touchpoints.write([row for draft in drafts for row in draft.touchpoints])
        tasks.write([row for draft in drafts for row in draft.tasks])
        settle_deferred_checks()
        # With DEBUG on, Django keeps the SQL of the last 9,000 queries: megabytes here.
        reset_queries()
        report(stop, total)
