import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from pipeline.models import POSITION_GAP, EntryField, Opportunity, StageChange, StageKind
from pipeline.services import DealFields, EntryCriteriaNotMet, MoveConflict, move_opportunity
from tests.factories import (
    ContactFactory,
    OpportunityFactory,
    PipelineFactory,
    StageFactory,
    TaskFactory,
)


@pytest.fixture
def board(db):
    """A pipeline with Qualification, Offer (needs value and close date), Won and Lost."""
    pipeline = PipelineFactory(name="New business")
    return {
        "qualification": StageFactory(pipeline=pipeline, name="Qualification", position=1),
        "offer": StageFactory(
            pipeline=pipeline,
            name="Offer",
            position=2,
            probability=60,
            entry_fields=[EntryField.VALUE, EntryField.EXPECTED_CLOSE_DATE],
        ),
        "won": StageFactory(
            pipeline=pipeline, name="Won", position=3, probability=100, kind=StageKind.WON
        ),
        "lost": StageFactory(
            pipeline=pipeline, name="Lost", position=4, probability=0, kind=StageKind.LOST
        ),
    }


def deal_in(stage, owner, **kwargs):
    return OpportunityFactory(stage=stage, owner=owner, **kwargs)


def test_move_to_next_stage_records_one_stage_change(board, alice):
    deal = deal_in(board["qualification"], alice, expected_close_date=dt.date(2027, 1, 31))

    outcome = move_opportunity(
        opportunity_id=deal.pk, by=alice, to_stage_id=board["offer"].pk, version=deal.version
    )

    deal.refresh_from_db()
    assert deal.stage == board["offer"]
    assert deal.version == 2
    assert deal.updated_by == alice
    assert deal.stage_entered_at == outcome.stage_change.at
    change = StageChange.objects.get(opportunity=deal)
    assert (change.from_stage, change.to_stage, change.by) == (
        board["qualification"],
        board["offer"],
        alice,
    )


def test_reorder_within_column_keeps_stage_clock_and_writes_no_history(board, alice):
    first = deal_in(board["qualification"], alice, position=POSITION_GAP)
    second = deal_in(board["qualification"], alice, position=2 * POSITION_GAP)
    entered = second.stage_entered_at

    move_opportunity(
        opportunity_id=second.pk,
        by=alice,
        to_stage_id=board["qualification"].pk,
        version=second.version,
        before_id=first.pk,
    )

    second.refresh_from_db()
    assert second.position < first.position
    assert second.stage_entered_at == entered
    assert not StageChange.objects.exists()


def test_drop_between_neighbours_writes_only_the_moved_card(board, alice):
    above = deal_in(board["offer"], alice, position=10 * POSITION_GAP, expected_close_date=None)
    below = deal_in(board["offer"], alice, position=11 * POSITION_GAP)
    moved = deal_in(board["qualification"], alice, expected_close_date=dt.date(2027, 3, 1))

    move_opportunity(
        opportunity_id=moved.pk,
        by=alice,
        to_stage_id=board["offer"].pk,
        version=moved.version,
        after_id=above.pk,
        before_id=below.pk,
    )

    moved.refresh_from_db()
    assert above.position < moved.position < below.position
    assert Opportunity.objects.get(pk=above.pk).version == above.version
    assert Opportunity.objects.get(pk=below.pk).version == below.version


def test_full_gap_renumbers_the_column_once_and_keeps_order(board, alice):
    above = deal_in(board["qualification"], alice, position=100)
    below = deal_in(board["qualification"], alice, position=101)
    moved = deal_in(board["qualification"], alice, position=500)

    outcome = move_opportunity(
        opportunity_id=moved.pk,
        by=alice,
        to_stage_id=board["qualification"].pk,
        version=moved.version,
        after_id=above.pk,
        before_id=below.pk,
    )

    assert outcome.renumbered
    order = list(
        Opportunity.objects.filter(stage=board["qualification"])
        .order_by("position")
        .values_list("pk", flat=True)
    )
    assert order == [above.pk, moved.pk, below.pk]


def test_stale_version_is_a_conflict_naming_who_moved_it(board, alice, bob):
    deal = deal_in(board["qualification"], alice, expected_close_date=dt.date(2027, 1, 31))
    move_opportunity(opportunity_id=deal.pk, by=alice, to_stage_id=board["offer"].pk, version=1)

    with pytest.raises(MoveConflict) as conflict:
        move_opportunity(opportunity_id=deal.pk, by=alice, to_stage_id=board["won"].pk, version=1)

    assert conflict.value.current.stage == board["offer"]
    assert str(alice) in str(conflict.value)
    assert StageChange.objects.filter(opportunity=deal).count() == 1


def test_a_conflict_with_an_unknown_writer_reads_as_a_sentence(board, alice):
    # A nightly job or an import bumped the version without recording who did it.
    deal = deal_in(board["qualification"], alice, expected_close_date=dt.date(2027, 1, 31))
    Opportunity.objects.filter(pk=deal.pk).update(version=2, updated_by=None)

    with pytest.raises(MoveConflict) as conflict:
        move_opportunity(opportunity_id=deal.pk, by=alice, to_stage_id=board["offer"].pk, version=1)

    assert (
        str(conflict.value) == "Someone else changed this deal first; it is now in Qualification."
    )


def test_unmet_entry_criteria_are_named_and_nothing_changes(board, alice):
    deal = deal_in(board["qualification"], alice, value=Decimal("0"), expected_close_date=None)

    with pytest.raises(EntryCriteriaNotMet) as refused:
        move_opportunity(opportunity_id=deal.pk, by=alice, to_stage_id=board["offer"].pk, version=1)

    assert refused.value.missing == ["Value", "Expected close date"]
    deal.refresh_from_db()
    assert (deal.stage, deal.version) == (board["qualification"], 1)


def test_filling_missing_fields_with_the_move_meets_the_criteria(board, alice):
    deal = deal_in(board["qualification"], alice, value=Decimal("0"), expected_close_date=None)

    move_opportunity(
        opportunity_id=deal.pk,
        by=alice,
        to_stage_id=board["offer"].pk,
        version=1,
        fields=DealFields(value=Decimal("2500.00"), expected_close_date=dt.date(2027, 2, 1)),
    )

    deal.refresh_from_db()
    assert (deal.stage, deal.value, deal.expected_close_date) == (
        board["offer"],
        Decimal("2500.00"),
        dt.date(2027, 2, 1),
    )


def test_checklist_and_open_task_criteria(board, alice):
    stage = board["offer"]
    stage.entry_fields = [EntryField.NEXT_TASK]
    stage.entry_checklist = ["Budget confirmed"]
    stage.save()
    deal = deal_in(board["qualification"], alice)

    with pytest.raises(EntryCriteriaNotMet) as refused:
        move_opportunity(opportunity_id=deal.pk, by=alice, to_stage_id=stage.pk, version=1)
    assert refused.value.missing == ["An open task", "Checklist: Budget confirmed"]

    TaskFactory(opportunity=deal)
    move_opportunity(
        opportunity_id=deal.pk,
        by=alice,
        to_stage_id=stage.pk,
        version=1,
        fields=DealFields(checklist_done=["Budget confirmed"]),
    )
    assert Opportunity.objects.get(pk=deal.pk).stage == stage


def test_contact_must_belong_to_the_deals_company(board, alice):
    deal = deal_in(board["qualification"], alice)
    stranger = ContactFactory(owner=alice)

    with pytest.raises(ValidationError) as refused:
        move_opportunity(
            opportunity_id=deal.pk,
            by=alice,
            to_stage_id=board["qualification"].pk,
            version=1,
            fields=DealFields(contact_id=stranger.pk),
        )
    assert "contact" in refused.value.message_dict


def test_moving_to_lost_needs_a_reason_and_closes_the_deal(board, alice):
    deal = deal_in(board["qualification"], alice)

    with pytest.raises(ValidationError) as refused:
        move_opportunity(opportunity_id=deal.pk, by=alice, to_stage_id=board["lost"].pk, version=1)
    assert "lost_reason" in refused.value.message_dict

    move_opportunity(
        opportunity_id=deal.pk,
        by=alice,
        to_stage_id=board["lost"].pk,
        version=1,
        fields=DealFields(lost_reason="Chose a competitor"),
    )
    deal.refresh_from_db()
    assert (deal.status, deal.lost_reason) == ("lost", "Chose a competitor")
    assert deal.closed_at is not None


def test_reopening_a_won_deal_clears_its_close(board, alice):
    deal = deal_in(board["qualification"], alice)
    move_opportunity(opportunity_id=deal.pk, by=alice, to_stage_id=board["won"].pk, version=1)
    move_opportunity(
        opportunity_id=deal.pk, by=alice, to_stage_id=board["qualification"].pk, version=2
    )
    deal.refresh_from_db()
    assert (deal.status, deal.closed_at) == ("open", None)


def test_stage_of_another_pipeline_is_refused(board, alice):
    deal = deal_in(board["qualification"], alice)
    elsewhere = StageFactory(name="Renewal")

    with pytest.raises(ValidationError):
        move_opportunity(opportunity_id=deal.pk, by=alice, to_stage_id=elsewhere.pk, version=1)


def test_rep_cannot_move_teammates_deal(board, alice, bob):
    deal = deal_in(board["qualification"], bob)

    with pytest.raises(PermissionDenied):
        move_opportunity(opportunity_id=deal.pk, by=alice, to_stage_id=board["won"].pk, version=1)
    assert Opportunity.objects.get(pk=deal.pk).version == 1


def test_rep_cannot_see_other_team_deal_to_move_it(board, alice, charlie):
    deal = deal_in(board["qualification"], charlie)

    with pytest.raises(Opportunity.DoesNotExist):
        move_opportunity(opportunity_id=deal.pk, by=alice, to_stage_id=board["won"].pk, version=1)
    assert Opportunity.objects.get(pk=deal.pk).version == 1


def test_manager_moves_a_deal_of_their_team(board, bob, maria):
    deal = deal_in(board["qualification"], bob)

    move_opportunity(opportunity_id=deal.pk, by=maria, to_stage_id=board["won"].pk, version=1)

    assert StageChange.objects.get(opportunity=deal).by == maria


# savepoint, select deal, select stage, custom fields the stage requires, lock the deal's
# row, [PostgreSQL: lock the column,] neighbours, UPDATE, INSERT history, release savepoint
# (the deal is not read again: what the UPDATE wrote is set on it); for the rollups, which
# follow every change of stage, the deal and its stage history before and after, and the
# zones they are kept in [PostgreSQL: the owner's lock]
MOVE_QUERIES = 14 + 2 * (connection.vendor == "postgresql")


def test_move_query_count_does_not_grow_with_the_column(board, alice, django_assert_num_queries):
    column = [deal_in(board["offer"], alice) for _ in range(3)]
    deal = deal_in(board["qualification"], alice, expected_close_date=dt.date(2027, 1, 1))

    with django_assert_num_queries(MOVE_QUERIES):
        move_opportunity(
            opportunity_id=deal.pk,
            by=alice,
            to_stage_id=board["offer"].pk,
            version=1,
            after_id=column[0].pk,
            before_id=column[1].pk,
        )
    for _ in range(40):
        deal_in(board["offer"], alice)
    other = deal_in(board["qualification"], alice, expected_close_date=dt.date(2027, 1, 1))
    with django_assert_num_queries(MOVE_QUERIES):
        move_opportunity(
            opportunity_id=other.pk,
            by=alice,
            to_stage_id=board["offer"].pk,
            version=1,
            after_id=column[1].pk,
            before_id=column[2].pk,
        )


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locking")
@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_moves_of_one_version_let_exactly_one_win(board, alice):
    # Given one deal at version 1 and 20 users' boards all showing version 1
    deal = deal_in(board["qualification"], alice)
    targets = [board["offer"], board["won"], board["qualification"]]
    deal.expected_close_date = dt.date(2027, 1, 1)
    deal.save()
    start = threading.Barrier(20)
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt(index: int) -> None:
        start.wait()
        try:
            move_opportunity(
                opportunity_id=deal.pk,
                by=alice,
                to_stage_id=targets[index % 3].pk,
                version=1,
                fields=DealFields(lost_reason="x"),
            )
            result = "moved"
        except MoveConflict:
            result = "conflict"
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    # When all 20 move at once
    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    # Then exactly one wins, the rest are told of the conflict, history matches the state
    assert sorted(outcomes) == ["conflict"] * 19 + ["moved"]
    deal.refresh_from_db()
    assert deal.version == 2
    history = list(StageChange.objects.filter(opportunity=deal))
    if deal.stage == board["qualification"]:
        assert history == []
    else:
        assert [(change.from_stage, change.to_stage) for change in history] == [
            (board["qualification"], deal.stage)
        ]


def test_archived_stage_takes_no_deals(board, alice):
    deal = deal_in(board["qualification"], alice)
    board["won"].archived_at = deal.created_at
    board["won"].save()

    with pytest.raises(ValidationError):
        move_opportunity(opportunity_id=deal.pk, by=alice, to_stage_id=board["won"].pk, version=1)


def test_moving_a_stale_deal_to_another_stage_clears_its_stale_flag(board, alice):
    deal = deal_in(board["qualification"], alice, stale_since=dt.date(2026, 3, 1))

    move_opportunity(
        opportunity_id=deal.pk, by=alice, to_stage_id=board["won"].pk, version=deal.version
    )

    deal.refresh_from_db()
    assert deal.stale_since is None


def test_reordering_a_stale_deal_within_its_column_keeps_the_flag(board, alice):
    deal = deal_in(board["qualification"], alice, stale_since=dt.date(2026, 3, 1))
    other = deal_in(board["qualification"], alice)

    move_opportunity(
        opportunity_id=deal.pk,
        by=alice,
        to_stage_id=board["qualification"].pk,
        version=deal.version,
        after_id=other.pk,
    )

    deal.refresh_from_db()
    assert deal.stale_since == dt.date(2026, 3, 1)
