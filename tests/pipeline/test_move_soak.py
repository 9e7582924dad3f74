"""Twenty people moving cards on one board at once: no two open deals share a place.

The acceptance soak for board positions. Each client is a thread with its own database
connection, as each gunicorn worker has, and works from its own copy of the board that is
refreshed only every few seconds, as a browser's is between polls: it reorders cards within
a column, moves them to other columns (closing and reopening some), drops them next to
cards that have left meanwhile, and sometimes names a neighbour that was never in the column,
as an API client may. Reps see only their team's cards, so their drops land among cards of
other teams that they cannot see. Every move must either be applied or be refused as a
conflict; when the time is up, no two open deals of a stage may share a position.

``MOVE_SOAK_SECONDS`` overrides the duration (default 30).
"""

import os
import random
import threading
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field

import pytest
from django.db import connection
from django.db.models import Count

from accounts.models import Role, User
from pipeline.models import Opportunity, Stage, StageKind
from pipeline.services import DealFields, MoveConflict, move_opportunity
from tests.factories import (
    CompanyFactory,
    OpportunityFactory,
    PipelineFactory,
    StageFactory,
    TeamFactory,
    UserFactory,
)

pytestmark = [
    pytest.mark.services,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: concurrent writers on their own connections (SQLite has one)",
    ),
    pytest.mark.django_db(transaction=True),
]

CLIENTS = 20
SOAK_SECONDS = float(os.environ.get("MOVE_SOAK_SECONDS", "30"))
# How old a client's copy of the board may get before it reads the board again.
STALE_SECONDS = 3.0
DEALS_PER_REP = 8


@dataclass
class Tally:
    applied: int = 0
    conflicts: int = 0
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, *, applied: int = 0, conflicts: int = 0, error: str = "") -> None:
        with self.lock:
            self.applied += applied
            self.conflicts += conflicts
            if error:
                self.errors.append(error)


@dataclass
class Card:
    pk: int
    version: int
    owner_id: int
    team_id: int | None


class Client:
    """One person's board: a stale copy of the columns, and the moves made from it."""

    def __init__(self, user: User, stages: list[Stage], rng: random.Random) -> None:
        self.user = user
        self.stages = stages
        self.rng = rng
        self.columns: dict[int, list[Card]] = {}
        self.read_at = 0.0

    def read_board(self) -> None:
        self.columns = {stage.pk: [] for stage in self.stages}
        rows = (
            Opportunity.objects.visible_to(self.user)
            .filter(stage__in=self.stages)
            .order_by("position", "pk")
            .values_list("pk", "version", "stage_id", "owner_id", "owner__team_id")
        )
        for pk, version, stage_id, owner_id, team_id in rows:
            self.columns[stage_id].append(Card(pk, version, owner_id, team_id))
        self.read_at = time.monotonic()

    def may_move(self, card: Card) -> bool:
        if self.user.role == Role.ADMIN:
            return True
        if self.user.role == Role.MANAGER:
            return card.team_id == self.user.team_id
        return card.owner_id == self.user.pk

    def pick_move(self) -> tuple[Card, Stage, int | None, int | None] | None:
        movable = [
            (stage_id, card)
            for stage_id, cards in self.columns.items()
            for card in cards
            if self.may_move(card)
        ]
        if not movable:
            return None
        from_stage_id, card = self.rng.choice(movable)
        open_stages = [stage for stage in self.stages if stage.kind == StageKind.OPEN]
        roll = self.rng.random()
        if roll < 0.45:
            target = next(stage for stage in self.stages if stage.pk == from_stage_id)
        elif roll < 0.93:
            target = self.rng.choice(open_stages)
        else:
            target = self.rng.choice([stage for stage in self.stages if not stage.is_open])
        others = [other for other in self.columns[target.pk] if other.pk != card.pk]
        index = self.rng.randint(0, len(others))
        after = others[index - 1].pk if index > 0 else None
        before = others[index].pk if index < len(others) else None
        if self.rng.random() < 0.1:
            # An API client naming cards of another column, or ones it made up.
            stranger = self.rng.choice(self.columns[self.rng.choice(open_stages).pk] or [card])
            after, before = self.rng.choice([(stranger.pk, None), (None, stranger.pk)])
        return card, target, after, before

    def run(self, until: float, tally: Tally) -> None:
        try:
            while time.monotonic() < until:
                if time.monotonic() - self.read_at > STALE_SECONDS:
                    self.read_board()
                picked = self.pick_move()
                if picked is None:
                    self.read_at = 0.0
                    continue
                card, target, after, before = picked
                try:
                    outcome = move_opportunity(
                        opportunity_id=card.pk,
                        by=self.user,
                        to_stage_id=target.pk,
                        version=card.version,
                        after_id=after,
                        before_id=before,
                        fields=DealFields(lost_reason="Chose a competitor"),
                    )
                except MoveConflict as conflict:
                    # The board shows the winner's version once it has heard of it.
                    card.version = conflict.current.version
                    tally.add(conflicts=1)
                else:
                    card.version = outcome.opportunity.version
                    tally.add(applied=1)
        except Exception:
            tally.add(error=f"{self.user.username}: {traceback.format_exc()}")
        finally:
            connection.close()


@pytest.fixture
def crowded_board():
    """Three teams (a manager and five reps each) and two admins: 20 people, 120 deals."""
    pipeline = PipelineFactory(name="New business")
    stages = [
        StageFactory(pipeline=pipeline, name=name, position=index, probability=10 * index)
        for index, name in enumerate(["Contact", "Qualification", "Offer", "Negotiation"], 1)
    ]
    stages.append(
        StageFactory(pipeline=pipeline, name="Won", position=5, probability=100, kind="won")
    )
    stages.append(
        StageFactory(pipeline=pipeline, name="Lost", position=6, probability=0, kind="lost")
    )
    people: list[User] = []
    for team_name in ["North", "South", "East"]:
        team = TeamFactory(name=team_name)
        manager = UserFactory(username=f"{team_name.lower()}-manager", role=Role.MANAGER, team=team)
        team.manager = manager
        team.save(update_fields=["manager"])
        people.append(manager)
        for number in range(5):
            rep = UserFactory(username=f"{team_name.lower()}-rep-{number}", team=team)
            people.append(rep)
            company = CompanyFactory(owner=rep)
            for index in range(DEALS_PER_REP):
                OpportunityFactory(
                    owner=rep,
                    company=company,
                    stage=stages[index % 4],
                    title=f"{rep.username} deal {index}",
                )
    people += [UserFactory(username=f"admin-{n}", role=Role.ADMIN) for n in range(2)]
    assert len(people) == CLIENTS
    return {"stages": stages, "people": people}


def shared_positions(stages: list[Stage]) -> dict[tuple[int, int], int]:
    rows = (
        Opportunity.objects.open()
        .filter(stage__in=stages)
        .values("stage_id", "position")
        .annotate(deals=Count("id"))
        .filter(deals__gt=1)
    )
    return {(row["stage_id"], row["position"]): row["deals"] for row in rows}


def test_twenty_clients_moving_and_reordering_never_share_a_position(crowded_board):
    # Given twenty people with the same board open, each from a slightly stale copy
    stages = crowded_board["stages"]
    assert shared_positions(stages) == {}
    tally = Tally()
    until = time.monotonic() + SOAK_SECONDS
    clients = [
        Client(person, stages, random.Random(seed))
        for seed, person in enumerate(crowded_board["people"])
    ]

    # When all of them move and reorder cards for the length of the soak
    threads = [threading.Thread(target=client.run, args=(until, tally)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=SOAK_SECONDS + 120)

    # Then every move was applied or refused as a conflict, and no place is taken twice
    assert not any(thread.is_alive() for thread in threads), "a client never finished"
    assert tally.errors == []
    assert tally.applied > 10 * CLIENTS, f"only {tally.applied} moves applied"
    assert tally.conflicts > 0, "the clients never raced each other"
    assert shared_positions(stages) == {}
    per_stage = Counter(
        Opportunity.objects.filter(stage__in=stages).values_list("stage_id", flat=True)
    )
    assert sum(per_stage.values()) == 3 * 5 * DEALS_PER_REP
