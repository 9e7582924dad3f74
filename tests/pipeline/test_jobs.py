"""The pipeline's nightly jobs on fixed days: stale deals, overdue tasks and stage alerts.

Every job for day D sees the data as of midnight UTC at the start of D (the cut-off).
"""

import datetime as dt
from decimal import Decimal

import pytest

from accounts.models import Notification, NotificationKind
from pipeline.jobs import (
    HISTORY_DAYS,
    cutoff_of,
    flag_overdue_tasks,
    flag_stale_deals,
    raise_stage_alerts,
)
from pipeline.models import AlertKind, OpportunityStatus, StageAlert, StageChange, StageKind
from tests.factories import (
    OpportunityFactory,
    PipelineFactory,
    StageFactory,
    TaskFactory,
    UserFactory,
)

DAY = dt.date(2026, 11, 23)
CUTOFF = cutoff_of(DAY)
MICROSECOND = dt.timedelta(microseconds=1)


def days_before(days: int, hour: int = 10) -> dt.datetime:
    """``hour`` o'clock UTC on the day ``days`` before DAY."""
    return CUTOFF - dt.timedelta(days=days) + dt.timedelta(hours=hour)


def deal_in(stage, *, entered: dt.datetime, touched: dt.datetime | None = None, **fields):
    return OpportunityFactory(
        stage=stage,
        stage_entered_at=entered,
        created_at=fields.pop("created_at", entered),
        last_touch_at=touched,
        **fields,
    )


def refreshed(row):
    row.refresh_from_db()
    return row


# --- Stale deals ---------------------------------------------------------------------------


def test_deal_in_its_stage_exactly_rotting_days_is_not_stale(alice, stage):
    # Entered 14 days before DAY with a 14-day limit: the limit runs out during DAY - 0.
    deal = deal_in(stage, entered=days_before(14), touched=days_before(14), owner=alice)

    flag_stale_deals(DAY)

    assert refreshed(deal).stale_since is None


def test_deal_one_day_past_rotting_days_is_stale_since_the_day_the_limit_ran_out(alice, stage):
    deal = deal_in(stage, entered=days_before(15), touched=days_before(15), owner=alice)

    flag_stale_deals(DAY)

    assert refreshed(deal).stale_since == DAY - dt.timedelta(days=1)


def test_deal_long_in_its_stage_is_stale_even_if_touched_today(alice, stage):
    deal = deal_in(stage, entered=days_before(30), touched=CUTOFF, owner=alice)

    flag_stale_deals(DAY)

    assert refreshed(deal).stale_since == DAY - dt.timedelta(days=16)


def test_deal_untouched_for_longer_than_the_limit_is_stale_though_new_in_its_stage(alice, stage):
    deal = deal_in(stage, entered=days_before(2), touched=days_before(20), owner=alice)

    flag_stale_deals(DAY)

    assert refreshed(deal).stale_since == DAY - dt.timedelta(days=6)


def test_deal_never_touched_counts_from_its_creation(alice, stage):
    deal = deal_in(stage, entered=days_before(3), created_at=days_before(16), owner=alice)

    flag_stale_deals(DAY)

    assert refreshed(deal).stale_since == DAY - dt.timedelta(days=2)


def test_a_touch_clears_the_flag_of_a_deal_stale_only_for_want_of_touches(alice, stage):
    deal = deal_in(stage, entered=days_before(2), touched=days_before(20), owner=alice)
    flag_stale_deals(DAY)
    deal.last_touch_at = CUTOFF + dt.timedelta(hours=8)
    deal.save(update_fields=["last_touch_at"])

    assert flag_stale_deals(DAY + dt.timedelta(days=1)) == 1
    assert refreshed(deal).stale_since is None


def test_stale_since_keeps_the_first_date_while_the_deal_stays_stale(alice, stage):
    deal = deal_in(stage, entered=days_before(40), touched=days_before(40), owner=alice)
    deal.stale_since = DAY - dt.timedelta(days=20)
    deal.save(update_fields=["stale_since"])

    flag_stale_deals(DAY)

    assert refreshed(deal).stale_since == DAY - dt.timedelta(days=20)


def test_stale_flag_is_cleared_when_a_deal_moves_on_or_closes(alice, stage):
    later = StageFactory(pipeline=stage.pipeline, rotting_days=30)
    won = StageFactory(pipeline=stage.pipeline, kind=StageKind.WON, probability=100)
    moved = deal_in(
        later, entered=days_before(1), touched=days_before(1), owner=alice, stale_since=DAY
    )
    closed = deal_in(
        won,
        entered=days_before(100),
        owner=alice,
        status=OpportunityStatus.WON,
        closed_at=days_before(100),
        stale_since=DAY,
    )

    assert flag_stale_deals(DAY) == 2
    assert refreshed(moved).stale_since is None
    assert refreshed(closed).stale_since is None


def test_stage_without_a_limit_never_goes_stale(alice):
    relaxed = StageFactory(rotting_days=None)
    deal = deal_in(relaxed, entered=days_before(400), owner=alice)

    assert flag_stale_deals(DAY) == 0
    assert refreshed(deal).stale_since is None


def test_second_run_for_the_same_day_changes_nothing(alice, stage):
    deal_in(stage, entered=days_before(20), touched=days_before(20), owner=alice)
    deal_in(stage, entered=days_before(2), touched=days_before(1), owner=alice, stale_since=DAY)

    first = flag_stale_deals(DAY)

    assert first == 3  # one flagged, one cleared, one notification
    assert flag_stale_deals(DAY) == 0


def test_owner_is_notified_once_when_a_deal_goes_stale(alice, bob, stage):
    deal = deal_in(stage, entered=days_before(16), touched=days_before(16), owner=alice)

    flag_stale_deals(DAY)
    flag_stale_deals(DAY + dt.timedelta(days=1))

    notification = Notification.objects.get()
    assert notification.recipient == alice
    assert notification.kind == NotificationKind.STALE_DEAL
    assert deal.title in notification.message
    assert notification.url == f"/deals/{deal.pk}/"
    assert notification.dedupe_key == f"stale_deal:{deal.pk}:{DAY - dt.timedelta(days=2)}"


def test_deal_stale_for_long_is_left_to_the_digest(alice, stage):
    deal_in(stage, entered=days_before(60), touched=days_before(60), owner=alice)

    flag_stale_deals(DAY)

    assert not Notification.objects.exists()


# --- Overdue tasks -------------------------------------------------------------------------


def test_task_due_just_before_the_cut_off_is_overdue_since_its_due_date(alice):
    task = TaskFactory(assignee=alice, due_at=CUTOFF - MICROSECOND)

    flag_overdue_tasks(DAY)

    assert refreshed(task).overdue_since == DAY - dt.timedelta(days=1)


def test_task_due_at_the_cut_off_is_not_overdue_yet(alice):
    task = TaskFactory(assignee=alice, due_at=CUTOFF)

    flag_overdue_tasks(DAY)

    assert refreshed(task).overdue_since is None


def test_done_task_is_never_overdue(alice):
    task = TaskFactory(assignee=alice, due_at=days_before(5), done_at=days_before(4))

    assert flag_overdue_tasks(DAY) == 0
    assert refreshed(task).overdue_since is None


def test_task_moved_into_the_future_is_no_longer_overdue(alice):
    task = TaskFactory(assignee=alice, due_at=CUTOFF + dt.timedelta(days=2), overdue_since=DAY)

    assert flag_overdue_tasks(DAY) == 1
    assert refreshed(task).overdue_since is None


def test_overdue_since_keeps_the_first_date(alice):
    first = DAY - dt.timedelta(days=9)
    task = TaskFactory(assignee=alice, due_at=days_before(3), overdue_since=first)

    flag_overdue_tasks(DAY)

    assert refreshed(task).overdue_since == first


def test_assignee_is_notified_once_of_an_overdue_task(alice, bob):
    task = TaskFactory(assignee=bob, opportunity__owner=alice, due_at=days_before(1))

    assert flag_overdue_tasks(DAY) == 2  # the flag and the notification
    assert flag_overdue_tasks(DAY) == 0

    notification = Notification.objects.get()
    assert notification.recipient == bob
    assert notification.kind == NotificationKind.OVERDUE_TASK
    assert notification.url == f"/deals/{task.opportunity_id}/"


def test_inactive_assignee_is_not_notified(alice):
    gone = UserFactory(is_active=False)
    TaskFactory(assignee=gone, opportunity__owner=alice, due_at=days_before(1))

    flag_overdue_tasks(DAY)

    assert not Notification.objects.exists()


# --- Stage alerts --------------------------------------------------------------------------


@pytest.fixture
def pipeline(db):
    pipeline = PipelineFactory(name="New business")
    for position, name in enumerate(("Contact", "Offer", "Negotiation")):
        StageFactory(pipeline=pipeline, name=name, position=position, rotting_days=None)
    return pipeline


def stage_named(pipeline, name):
    return pipeline.stages.get(name=name)


def open_deals(stage, count, *, entered: dt.datetime, owner):
    """``count`` deals created in ``stage`` at ``entered``, with their history row."""
    deals = [
        deal_in(stage, entered=entered, owner=owner, title=f"{stage.name} {index}")
        for index in range(count)
    ]
    StageChange.objects.bulk_create(
        StageChange(opportunity=deal, to_stage=stage, at=entered) for deal in deals
    )
    return deals


def test_stage_holding_more_than_twice_its_usual_count_is_congested(pipeline, alice, maria):
    offer = stage_named(pipeline, "Offer")
    # Ten deals all through the history, twelve more arrived two days ago.
    open_deals(offer, 10, entered=days_before(HISTORY_DAYS + 10), owner=alice)
    open_deals(offer, 12, entered=days_before(2), owner=alice)

    raise_stage_alerts(DAY)

    alert = StageAlert.objects.get(kind=AlertKind.CONGESTED)
    assert (alert.stage, alert.count, alert.baseline, alert.raised_on) == (
        offer,
        22,
        Decimal("10.0"),
        DAY,
    )


def test_stage_at_exactly_twice_its_usual_count_is_not_congested(pipeline, alice):
    offer = stage_named(pipeline, "Offer")
    open_deals(offer, 10, entered=days_before(HISTORY_DAYS + 10), owner=alice)
    open_deals(offer, 10, entered=days_before(2), owner=alice)

    raise_stage_alerts(DAY)

    assert not StageAlert.objects.filter(kind=AlertKind.CONGESTED).exists()


def test_deals_that_arrive_after_the_cut_off_count_the_next_night(pipeline, alice):
    offer = stage_named(pipeline, "Offer")
    open_deals(offer, 10, entered=days_before(HISTORY_DAYS + 10), owner=alice)
    open_deals(offer, 12, entered=CUTOFF + dt.timedelta(hours=1), owner=alice)

    raise_stage_alerts(DAY)

    assert not StageAlert.objects.exists()


def test_final_stage_crowded_beyond_its_usual_share_raises_a_closing_crowd(pipeline, alice):
    contact, negotiation = stage_named(pipeline, "Contact"), stage_named(pipeline, "Negotiation")
    open_deals(contact, 30, entered=days_before(HISTORY_DAYS + 10), owner=alice)
    open_deals(negotiation, 10, entered=days_before(HISTORY_DAYS + 10), owner=alice)
    # Negotiation's share goes from a quarter to more than half.
    open_deals(negotiation, 30, entered=days_before(1), owner=alice)

    raise_stage_alerts(DAY)

    kinds = set(StageAlert.objects.values_list("stage__name", "kind"))
    assert ("Negotiation", AlertKind.CLOSING_CROWD) in kinds


def test_fewer_new_deals_than_half_the_usual_week_is_a_thin_front(pipeline, alice):
    contact = stage_named(pipeline, "Contact")
    # Ten new deals a week for twelve weeks, then two in the last week.
    for week in range(1, 13):
        open_deals(contact, 10, entered=days_before(7 * week + 3), owner=alice)
    open_deals(contact, 2, entered=days_before(3), owner=alice)

    raise_stage_alerts(DAY)

    alert = StageAlert.objects.get(kind=AlertKind.THIN_FRONT)
    assert (alert.stage, alert.count, alert.baseline) == (contact, 2, Decimal("10.0"))


def test_steady_intake_is_not_a_thin_front(pipeline, alice):
    contact = stage_named(pipeline, "Contact")
    for week in range(13):
        open_deals(contact, 10, entered=days_before(7 * week + 3), owner=alice)

    raise_stage_alerts(DAY)

    assert not StageAlert.objects.filter(kind=AlertKind.THIN_FRONT).exists()


def test_alerts_are_raised_once_per_day_and_managers_told_on_the_first_day(
    pipeline, alice, maria, sam, ada
):
    offer = stage_named(pipeline, "Offer")
    open_deals(offer, 10, entered=days_before(HISTORY_DAYS + 10), owner=alice)
    open_deals(offer, 12, entered=days_before(2), owner=alice)

    first = raise_stage_alerts(DAY)
    again = raise_stage_alerts(DAY)
    next_day = raise_stage_alerts(DAY + dt.timedelta(days=1))

    assert (first, again, next_day) == (1 + 3, 0, 1)  # alert + three managers/admin; alert
    assert StageAlert.objects.count() == 2
    told = Notification.objects.filter(kind=NotificationKind.CONGESTED_STAGE)
    assert sorted(told.values_list("recipient__username", flat=True)) == ["ada", "maria", "sam"]
    assert "Offer" in told.first().message
    assert not Notification.objects.filter(recipient=alice).exists()


def test_alert_that_no_longer_holds_is_withdrawn_on_a_rerun(pipeline, alice):
    offer = stage_named(pipeline, "Offer")
    open_deals(offer, 10, entered=days_before(HISTORY_DAYS + 10), owner=alice)
    recent = open_deals(offer, 12, entered=days_before(2), owner=alice)
    raise_stage_alerts(DAY)

    for deal in recent:  # an import that was undone: the deals are gone
        deal.delete()

    assert raise_stage_alerts(DAY) == 1
    assert not StageAlert.objects.exists()
