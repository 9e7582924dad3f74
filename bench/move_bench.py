"""Board moves at scale: server time of POST /deals/<id>/move/ as board.js sends it.

Each move is posted by the deal's owner with htmx headers, as a drag or the "Move to"
menu does, and must answer 200 with the ``dealMoved`` event. The mix alternates:

- a stage change to the next open stage (won and lost ask for reasons and are left out),
  dropped between two of the target column's visible cards or, as the menu does, at its
  end; when the deal lacks what the stage requires, the fields are posted as the move
  dialog's retry would post them;
- a reorder within a column: one of its visible cards dropped between two others.

Then a worst case: cards dropped again and again into one gap until the column has to be
renumbered. Every StageChange written is checked against the moves made.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

from django.db.models import QuerySet
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from bench.board_bench import biggest_pipeline
from bench.common import BenchError, Row, Sample, Target, duration, say, timed
from contacts.models import Contact
from pipeline.board import CARDS_PER_COLUMN
from pipeline.models import (
    EntryField,
    Opportunity,
    OpportunityStatus,
    Pipeline,
    Stage,
    StageChange,
    StageKind,
)

RUNS = 500
WARM_UPS = 10
# Renumbering is rare by design: provoke it this many times to time it.
RENUMBERINGS = 3
# 2**16 between cards: a gap is used up after 16 halvings; give up well after that.
MAX_DROPS_INTO_ONE_GAP = 40
# What a move's SQL shows when it made room: the respacing's UPDATE of many positions at
# once (and, on older commits, the whole column's ROW_NUMBER() renumbering).
RENUMBER_SQL = ('"position" = (CASE', "ROW_NUMBER() OVER")
RANDOM_SEED = 1
# What the issue "The board at 100,000 open deals" asks of a move.
STAGE_CHANGE = Target(median_ms=10, p99_ms=30)
REORDER = Target(median_ms=6)
RENUMBERING = Target(median_ms=50)

# A form post: a repeated field (the checklist) is a list.
FormData = dict[str, str | list[str]]


@dataclass(frozen=True)
class Move:
    deal: Opportunity
    to_stage: Stage
    data: FormData

    @property
    def changes_stage(self) -> bool:
        return self.to_stage.pk != self.deal.stage_id


@dataclass
class Result:
    move: Move
    sample: Sample
    status: int
    trigger: str

    @property
    def succeeded(self) -> bool:
        return self.status == 200 and "dealMoved" in self.trigger

    @property
    def renumbered(self) -> bool:
        return any(
            marker in sql for sql, _seconds in self.sample.statements for marker in RENUMBER_SQL
        )


@dataclass
class Mover:
    """Posts moves as the deals' owners, one logged-in client per owner."""

    clients: dict[int, Client] = field(default_factory=dict)
    results: list[Result] = field(default_factory=list)

    def client_for(self, user: User) -> Client:
        if user.pk not in self.clients:
            client = Client()
            client.force_login(user)
            self.clients[user.pk] = client
        return self.clients[user.pk]

    def post(self, move: Move) -> Result:
        client = self.client_for(move.deal.owner)
        url = reverse("pipeline:move", args=[move.deal.pk])
        headers = {"HX-Request": "true", "HX-Target": f"deal-{move.deal.pk}"}
        response, sample = timed(lambda: client.post(url, move.data, headers=headers))
        result = Result(move, sample, response.status_code, response.get("HX-Trigger", ""))
        self.results.append(result)
        return result


class Planner:
    """Picks deals and drop places at random (seeded), outside the timed requests."""

    def __init__(self, pipeline: Pipeline, rng: random.Random) -> None:
        self.rng = rng
        stages = pipeline.stages.filter(kind=StageKind.OPEN, archived_at__isnull=True)
        self.stages = list(stages.order_by("position", "pk"))
        if len(self.stages) < 2:
            raise BenchError(f"The pipeline {pipeline} needs two open stages for moves.")
        self.today = timezone.localdate()

    def column(self, stage: Stage) -> QuerySet[Opportunity]:
        open_deals = Opportunity.objects.filter(stage=stage, status=OpportunityStatus.OPEN)
        return open_deals.order_by("position", "pk")

    def visible_ids(self, stage: Stage) -> list[int]:
        return list(self.column(stage).values_list("pk", flat=True)[:CARDS_PER_COLUMN])

    def deal(self, pk: int) -> Opportunity:
        return Opportunity.objects.select_related("owner", "stage").get(pk=pk)

    def random_deal(self, stage: Stage) -> Opportunity:
        count = self.column(stage).count()
        if not count:
            raise BenchError(f"The stage {stage} has no open deals to move.")
        pk = self.column(stage).values_list("pk", flat=True)[self.rng.randrange(count)]
        return self.deal(pk)

    def drop_between(self, ids: list[int], moving: int) -> tuple[int | None, int | None]:
        """Neighbours (after, before) for a drop among ``ids``, not next to ``moving``."""
        others = [pk for pk in ids if pk != moving]
        if not others:
            return None, None
        slot = self.rng.randrange(len(others))  # slot 0: above the first card
        return (others[slot - 1] if slot else None), others[slot]

    def entry_fields(self, deal: Opportunity, stage: Stage) -> FormData | None:
        """What the move dialog would post for what ``deal`` lacks; None if it cannot."""
        data: FormData = {}
        for name in stage.entry_fields:
            if name == EntryField.VALUE and not deal.value:
                data["value"] = "1000.00"
            elif name == EntryField.EXPECTED_CLOSE_DATE and deal.expected_close_date is None:
                data["expected_close_date"] = (self.today + dt.timedelta(days=30)).isoformat()
            elif name == EntryField.CONTACT and deal.contact_id is None:
                contact = Contact.objects.filter(company_id=deal.company_id).order_by("pk")
                contact_id = contact.values_list("pk", flat=True).first()
                if contact_id is None:
                    return None
                data["contact"] = str(contact_id)
            elif name == EntryField.NEXT_TASK and not deal.tasks.filter(done_at=None).exists():
                return None
        if set(stage.entry_checklist) - set(deal.checklist_done):
            items = sorted({*deal.checklist_done, *stage.entry_checklist})
            data.update(checklist=items, checklist_shown="1")
        return data

    def stage_change(self, index: int) -> Move:
        source = self.stages[index % (len(self.stages) - 1)]
        target = self.stages[self.stages.index(source) + 1]
        for _attempt in range(20):
            deal = self.random_deal(source)
            fields = self.entry_fields(deal, target)
            if fields is not None:
                break
        else:
            raise BenchError(f"No deal in {source} can be given what {target} requires.")
        after: int | None = None
        before: int | None = None
        if self.rng.random() < 2 / 3:  # dragged among the visible cards; else the menu
            after, before = self.drop_between(self.visible_ids(target), deal.pk)
        return Move(deal, target, self.form(deal, target, after, before) | fields)

    def reorder(self, index: int) -> Move:
        stage = self.stages[index % len(self.stages)]
        ids = self.visible_ids(stage)
        if len(ids) < 3:
            raise BenchError(f"The stage {stage} has too few cards to reorder.")
        deal = self.deal(self.rng.choice(ids))
        after, before = self.drop_between(ids, deal.pk)
        return Move(deal, stage, self.form(deal, stage, after, before))

    def form(
        self, deal: Opportunity, stage: Stage, after: int | None, before: int | None
    ) -> FormData:
        """The POST board.js sends: empty strings where there is no neighbour."""
        return {
            "stage": str(stage.pk),
            "version": str(deal.version),
            "after": "" if after is None else str(after),
            "before": "" if before is None else str(before),
            "from_stage": str(deal.stage_id),
        }

    def mix(self, count: int) -> Iterator[Move]:
        """Alternately a stage change and a reorder, each planned just before it is made."""
        for index in range(count):
            yield self.stage_change(index // 2) if index % 2 == 0 else self.reorder(index // 2)

    def into_one_gap(self) -> Iterator[Move]:
        """Cards from deep in the largest column, each dropped between its top card and the
        card dropped before: every drop halves the same gap until none is left."""
        stage = max(self.stages, key=lambda candidate: self.column(candidate).count())
        top, below = self.visible_ids(stage)[:2]
        while True:
            deal = self.random_deal(stage)
            if deal.pk in (top, below):
                continue
            yield Move(deal, stage, self.form(deal, stage, top, below))
            below = deal.pk


def checked(result: Result) -> Result:
    if not result.succeeded:
        move = result.move
        raise BenchError(
            f"Moving deal {move.deal.pk} to {move.to_stage} answered {result.status} "
            f"({result.trigger or 'no HX-Trigger'}); the move view or the plan is broken."
        )
    return result


def run_mix(mover: Mover, planner: Planner, runs: int) -> list[Result]:
    for move in planner.mix(WARM_UPS):
        checked(mover.post(move))
    say(f"move: {WARM_UPS} warm-ups done; {runs} timed moves")
    timed_results = []
    for index, move in enumerate(planner.mix(runs), start=1):
        timed_results.append(checked(mover.post(move)))
        if index % 100 == 0 or index == runs:
            say(f"move: {index}/{runs}")
    return timed_results


def run_renumberings(mover: Mover, planner: Planner) -> tuple[list[Result], int]:
    """Renumbering moves, and how many drops it took to use up a gap."""
    renumbering: list[Result] = []
    drops = 0
    for _round in range(RENUMBERINGS):
        for drops_this_round, move in enumerate(planner.into_one_gap(), start=1):
            result = checked(mover.post(move))
            if result.renumbered:
                renumbering.append(result)
                drops = drops_this_round
                break
            if drops_this_round >= MAX_DROPS_INTO_ONE_GAP:
                say(f"move: no renumbering after {drops_this_round} drops into one gap")
                return renumbering, drops
        say(f"move: renumbered a column after {drops} drops into one gap")
    return renumbering, drops


def verify_stage_changes(results: list[Result], since: dt.datetime) -> str:
    """Every stage-changing move wrote exactly one StageChange, and no reorder wrote one."""
    expected = Counter(
        (result.move.deal.pk, result.move.deal.stage_id, result.move.to_stage.pk)
        for result in results
        if result.move.changes_stage
    )
    written = Counter(
        StageChange.objects.filter(at__gte=since).values_list(
            "opportunity_id", "from_stage_id", "to_stage_id"
        )
    )
    if written != expected:
        missing, extra = expected - written, written - expected
        raise BenchError(f"StageChanges differ from the moves: missing {missing}, extra {extra}")
    return f"{sum(written.values()):,} StageChange rows for as many stage changes"


def rows_for(results: list[Result], label: str, target: Target | None = None) -> Row:
    renumbered = sum(result.renumbered for result in results)
    share = 100 * renumbered / len(results) if results else 0
    notes = f"renumbered a column in {renumbered} ({share:.1f}%)"
    return Row.from_samples(label, [result.sample for result in results], notes, target)


def run(runs: int = RUNS) -> list[Row]:
    pipeline = biggest_pipeline()
    planner = Planner(pipeline, random.Random(RANDOM_SEED))
    mover = Mover()
    since = timezone.now()
    stage_changes_before = StageChange.objects.count()
    say(f"move: pipeline {pipeline.name!r}; {StageChange.objects.count():,} StageChange rows")

    timed_results = run_mix(mover, planner, runs)
    renumbering, drops = run_renumberings(mover, planner)

    verified = verify_stage_changes(mover.results, since)
    added = StageChange.objects.count() - stage_changes_before
    say(f"move: verified {verified} (table grew by {added:,})")
    stage_moves = [result for result in timed_results if result.move.changes_stage]
    reorders = [result for result in timed_results if not result.move.changes_stage]
    rows = [
        rows_for(timed_results, f"move, mixed ({len(stage_moves)} stage changes)"),
        rows_for(stage_moves, "move, stage change", STAGE_CHANGE),
        rows_for(reorders, "move, reorder within a column", REORDER),
    ]
    rows[0] = replace(rows[0], notes=f"{rows[0].notes}; {verified}")
    if renumbering:
        column = Opportunity.objects.filter(
            stage=renumbering[0].move.to_stage, status=OpportunityStatus.OPEN
        ).count()
        notes = f"column of {column:,} cards, full after {drops} drops into one gap"
        samples = [result.sample for result in renumbering]
        label = "move that renumbers the largest column"
        rows.append(Row.from_samples(label, samples, notes, RENUMBERING))
        say(f"move: renumbering moves took {', '.join(duration(s.seconds) for s in samples)}")
    return rows
