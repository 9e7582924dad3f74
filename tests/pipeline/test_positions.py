"""Where a card lands in its column, and why no two open deals of a column share a place.

North: manager Maria, reps Alice and Bob. South: manager Sam, rep Charlie. A rep's board
shows their team's cards only, but a column holds everyone's: places are found among all of
them, and next to the neighbours the card was dropped between as they really are now.
"""

import threading
import time
from collections.abc import Callable

import pytest
from django.db import connection, transaction
from django.db.models import Count

from crm.imports.runner import import_csv
from pipeline.models import POSITION_GAP, Opportunity, StageKind
from pipeline.positions import COLUMN_LOCK_SPACE, lock_columns
from pipeline.services import create_opportunity, delete_stage, move_opportunity
from tests.factories import CompanyFactory, OpportunityFactory, PipelineFactory, StageFactory
from tests.imports.importing import csv_source


@pytest.fixture
def board(db):
    pipeline = PipelineFactory(name="New business")
    return {
        "qualification": StageFactory(pipeline=pipeline, name="Qualification", position=1),
        "offer": StageFactory(pipeline=pipeline, name="Offer", position=2),
        "won": StageFactory(
            pipeline=pipeline, name="Won", position=3, probability=100, kind=StageKind.WON
        ),
        "lost": StageFactory(
            pipeline=pipeline, name="Lost", position=4, probability=0, kind=StageKind.LOST
        ),
    }


def at(stage, owner, place, **kwargs):
    return OpportunityFactory(stage=stage, owner=owner, position=place * POSITION_GAP, **kwargs)


def move(deal, by, stage, **neighbours):
    return move_opportunity(
        opportunity_id=deal.pk, by=by, to_stage_id=stage.pk, version=deal.version, **neighbours
    )


def positions(stage):
    return dict(Opportunity.objects.open().filter(stage=stage).values_list("pk", "position"))


def order(stage):
    return list(
        Opportunity.objects.open()
        .filter(stage=stage)
        .order_by("position", "pk")
        .values_list("pk", flat=True)
    )


def shared_positions(stage):
    return list(
        Opportunity.objects.open()
        .filter(stage=stage)
        .values("position")
        .annotate(deals=Count("id"))
        .filter(deals__gt=1)
    )


# --- Neighbours as they really are ------------------------------------------------------------


def test_neighbours_from_another_column_count_as_none_the_card_goes_to_the_end(board, alice):
    first, last = at(board["offer"], alice, 1), at(board["offer"], alice, 2)
    elsewhere = at(board["qualification"], alice, 1)
    deal = at(board["qualification"], alice, 2)

    move(deal, alice, board["offer"], after_id=elsewhere.pk, before_id=elsewhere.pk)

    assert order(board["offer"]) == [first.pk, last.pk, deal.pk]
    assert shared_positions(board["offer"]) == []


def test_neighbours_that_never_existed_count_as_none(board, alice):
    first, last = at(board["offer"], alice, 2), at(board["offer"], alice, 3)
    deal = at(board["qualification"], alice, 1)

    move(deal, alice, board["offer"], after_id=10**9, before_id=10**9 + 1)

    assert order(board["offer"]) == [first.pk, last.pk, deal.pk]


def test_a_reorder_next_to_unknown_cards_keeps_the_card_where_it_is(board, alice):
    deal, other = at(board["qualification"], alice, 3), at(board["qualification"], alice, 4)
    elsewhere = at(board["offer"], alice, 1)

    move(deal, alice, board["qualification"], before_id=elsewhere.pk)

    assert positions(board["qualification"]) == {
        deal.pk: 3 * POSITION_GAP,
        other.pk: 4 * POSITION_GAP,
    }


def test_a_drop_at_the_top_of_a_team_board_lands_just_above_the_card_it_was_dropped_on(
    board, alice, charlie
):
    # Given Offer holds South's card first and North's below it; Alice sees only North's
    hidden = at(board["offer"], charlie, 1)
    first_seen = at(board["offer"], alice, 2)
    deal = at(board["qualification"], alice, 1)

    # When she drops her deal at the top of the column she sees
    move(deal, alice, board["offer"], before_id=first_seen.pk)

    # Then it sits just above that card, below the one she cannot see, sharing no place
    assert order(board["offer"]) == [hidden.pk, deal.pk, first_seen.pk]
    assert shared_positions(board["offer"]) == []


def test_a_drop_at_the_bottom_of_a_team_board_stays_above_hidden_cards_below(board, alice, charlie):
    last_seen = at(board["offer"], alice, 1)
    hidden = at(board["offer"], charlie, 2)
    deal = at(board["qualification"], alice, 1)

    move(deal, alice, board["offer"], after_id=last_seen.pk)

    assert order(board["offer"]) == [last_seen.pk, deal.pk, hidden.pk]


def test_a_stale_pair_of_neighbours_puts_the_card_just_below_the_upper_one(board, alice, bob):
    # Alice's board shows A above C; meanwhile Bob put B between them
    above, between, below = (at(board["offer"], alice, n) for n in (1, 2, 3))
    deal = at(board["qualification"], alice, 1)

    move(deal, alice, board["offer"], after_id=above.pk, before_id=below.pk)

    assert order(board["offer"]) == [above.pk, deal.pk, between.pk, below.pk]


def test_a_lower_neighbour_alone_places_the_card_just_above_it(board, alice):
    top, middle = at(board["offer"], alice, 1), at(board["offer"], alice, 2)
    deal = at(board["qualification"], alice, 1)
    gone = at(board["won"], alice, 1)

    move(deal, alice, board["offer"], after_id=gone.pk, before_id=middle.pk)

    assert order(board["offer"]) == [top.pk, deal.pk, middle.pk]
    assert shared_positions(board["offer"]) == []


def test_a_full_gap_in_a_long_column_respaces_only_the_cards_around_it(board, alice):
    # Given 200 cards a full gap apart but for 21 crowded one unit apart in the middle
    offer = board["offer"]
    places = [(index + 1) * POSITION_GAP for index in range(200)]
    places[90:111] = [91 * POSITION_GAP + step for step in range(21)]
    company = CompanyFactory(owner=alice)
    column = Opportunity.objects.bulk_create(
        OpportunityFactory.build(
            stage=offer, pipeline=offer.pipeline, owner=alice, company=company, position=place
        )
        for place in places
    )
    before = positions(offer)
    deal = at(board["qualification"], alice, 1)

    # When a card is dropped between two of the crowded ones
    outcome = move(deal, alice, offer, after_id=column[100].pk, before_id=column[101].pk)

    # Then the cards 32 either side are spread evenly between the cards beyond them: the
    # crowded ones get a full gap again, the rest keep their places; nothing else moved
    after = positions(offer)
    assert outcome.renumbered
    assert {pk for pk in before if after[pk] != before[pk]} == {card.pk for card in column[91:111]}
    assert [after[card.pk] for card in column] == [
        (index + 1) * POSITION_GAP for index in range(200)
    ]
    expected = [card.pk for card in column]
    expected.insert(101, deal.pk)
    assert order(offer) == expected


def test_a_card_sharing_its_upper_neighbours_place_renumbers_the_column(board, alice):
    # Two cards on one place, as columns could end up before places were serialised
    upper, twin = at(board["offer"], alice, 1), at(board["offer"], alice, 1)
    lower = at(board["offer"], alice, 3)
    deal = at(board["qualification"], alice, 1)

    outcome = move(deal, alice, board["offer"], after_id=upper.pk, before_id=lower.pk)

    assert (outcome.renumbered, outcome.placed_elsewhere) == (True, False)
    assert order(board["offer"]) == [upper.pk, deal.pk, twin.pk, lower.pk]
    assert shared_positions(board["offer"]) == []


def run(user, content):
    source = csv_source(content)
    header = source.read()[0]
    return import_csv(
        by=user,
        kind="deals",
        source=source,
        mapping={name: name for name in header},
        on_rejections=lambda rejections: None,
    )


# --- Writers take turns on a column -----------------------------------------------------------

needs_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL: writers on their own connections"
)


def waiting_for_the_lock(stage) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
            " AND classid = %s AND objid = %s",
            [COLUMN_LOCK_SPACE, stage.pk],
        )
        return cursor.fetchone()[0] > 0


def waits_for_the_column(stage, write: Callable[[], object], taken: Callable[[], object]) -> bool:
    """Whether ``write`` waited for the column while another writer held it.

    The other writer locks the column and places ``taken()`` there without committing yet;
    ``write`` runs meanwhile on a connection of its own. Once it is seen queuing for the
    column's lock (or has finished without), the other writer commits and ``write`` goes on.
    """
    holding, release, finished = threading.Event(), threading.Event(), threading.Event()
    problems: list[BaseException] = []

    def hold() -> None:
        try:
            with transaction.atomic():
                lock_columns([stage.pk])
                taken()
                holding.set()
                release.wait(timeout=60)
        except BaseException as error:
            problems.append(error)
        finally:
            holding.set()
            connection.close()

    def run_write() -> None:
        try:
            write()
        except BaseException as error:
            problems.append(error)
        finally:
            finished.set()
            connection.close()

    holder, writer = threading.Thread(target=hold), threading.Thread(target=run_write)
    holder.start()
    assert holding.wait(timeout=60)
    writer.start()
    deadline = time.monotonic() + 30
    while not finished.is_set() and not waiting_for_the_lock(stage):
        assert time.monotonic() < deadline, "the writer neither queued for the column nor finished"
        time.sleep(0.02)
    waited = not finished.is_set()
    release.set()
    holder.join(timeout=60)
    writer.join(timeout=60)
    assert problems == []
    return waited


@needs_postgresql
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("writer", ["move", "create", "import", "stage removal"])
def test_every_writer_of_places_waits_for_the_column_and_takes_a_free_place(board, alice, writer):
    # Given a column with a card, and a deal about to be placed in it
    offer = board["offer"]
    at(offer, alice, 1)
    company = CompanyFactory(name="Acme", owner=alice)
    deal = at(board["qualification"], alice, 1)
    extra = StageFactory(pipeline=offer.pipeline, name="Extra", position=5)
    at(extra, alice, 1)
    writes = {
        "move": lambda: move(deal, alice, offer),
        "create": lambda: create_opportunity(
            by=alice,
            title="New",
            company=company,
            pipeline=offer.pipeline,
            stage=offer,
            value=1,
            currency="EUR",
        ),
        "import": lambda: run(alice, "title,company,stage\nImported,Acme,Offer\n"),
        "stage removal": lambda: delete_stage(stage=extra, move_deals_to=offer, by=alice),
    }
    # When another writer holds the column, having just taken its first and last places
    waited = waits_for_the_column(
        offer, writes[writer], taken=lambda: (at(offer, alice, 0), at(offer, alice, 2))
    )

    # Then the writer waited for it, and found a place nobody else has
    assert waited, f"the {writer} did not wait for the column"
    assert shared_positions(offer) == []


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_full_gap_in_a_column_being_written_puts_the_card_at_its_end_without_waiting(
    board, alice, bob
):
    # Given two cards with no room between them, and Bob's card below being written now
    offer = board["offer"]
    upper, lower = at(offer, alice, 1), OpportunityFactory(stage=offer, owner=alice)
    Opportunity.objects.filter(pk=lower.pk).update(position=POSITION_GAP + 1)
    written = at(offer, bob, 5)
    deal = at(board["qualification"], alice, 1)
    holding, release = threading.Event(), threading.Event()

    def write() -> None:
        with transaction.atomic():
            Opportunity.objects.select_for_update().filter(pk=written.pk).get()
            holding.set()
            release.wait(timeout=30)
        connection.close()

    writer = threading.Thread(target=write)
    writer.start()
    assert holding.wait(timeout=30)

    # When Alice drops her deal between the two, renumbering the column would wait for Bob
    outcome = move(deal, alice, offer, after_id=upper.pk, before_id=lower.pk)
    done_while_written = not release.is_set() and writer.is_alive()
    release.set()
    writer.join(timeout=30)

    # Then it did not wait: the card went to the end of the column, and the board is told
    assert done_while_written
    assert (outcome.renumbered, outcome.placed_elsewhere) == (False, True)
    assert order(offer) == [upper.pk, lower.pk, written.pk, deal.pk]
