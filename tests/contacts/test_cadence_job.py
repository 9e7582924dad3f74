"""The nightly lead-cadence job on fixed days: contacts.cadence's rules, set and cleared.

The policy under test: five contact attempts, then a last-chance email; disqualification is
proposed 14 days after the last touch.
"""

import datetime as dt

import pytest

from accounts.models import Notification, NotificationKind
from contacts.jobs import apply_lead_cadence
from contacts.models import LeadPolicy, LeadStatus
from tests.factories import LeadFactory

DAY = dt.date(2026, 11, 23)


def touched_days_ago(days: int) -> dt.datetime:
    return dt.datetime.combine(DAY - dt.timedelta(days=days), dt.time(15, 30), tzinfo=dt.UTC)


def lead(owner, *, attempts: int, touched_days_ago_: int | None = None, **fields):
    touched = None if touched_days_ago_ is None else touched_days_ago(touched_days_ago_)
    return LeadFactory(
        owner=owner,
        status=fields.pop("status", LeadStatus.CONTACTED),
        contact_attempts=attempts,
        created_at=touched_days_ago(60),
        first_touch_at=touched,
        last_touch_at=touched,
        **fields,
    )


def refreshed(row):
    row.refresh_from_db()
    return row


@pytest.fixture(autouse=True)
def policy(db):
    policy = LeadPolicy.current()
    policy.max_contact_attempts = 5
    policy.days_before_disqualification = 14
    policy.save()
    return policy


def test_lead_with_every_attempt_used_is_due_a_last_chance_email(alice):
    due = lead(alice, attempts=5, touched_days_ago_=2)
    not_yet = lead(alice, attempts=4, touched_days_ago_=2)

    apply_lead_cadence(DAY)

    assert refreshed(due).last_chance_since == DAY - dt.timedelta(days=2)
    assert refreshed(not_yet).last_chance_since is None


def test_last_chance_keeps_its_first_date_and_clears_when_the_lead_moves_on(alice):
    kept = lead(alice, attempts=6, touched_days_ago_=1, last_chance_since=DAY - dt.timedelta(9))
    qualified = lead(
        alice,
        attempts=5,
        touched_days_ago_=1,
        status=LeadStatus.QUALIFIED,
        last_chance_since=DAY,
    )

    apply_lead_cadence(DAY)

    assert refreshed(kept).last_chance_since == DAY - dt.timedelta(days=9)
    assert refreshed(qualified).last_chance_since is None


def test_disqualification_is_proposed_exactly_the_limit_after_the_last_touch(alice):
    on_the_day = lead(alice, attempts=2, touched_days_ago_=14)
    a_day_early = lead(alice, attempts=2, touched_days_ago_=13)

    apply_lead_cadence(DAY)

    assert refreshed(on_the_day).disqualification_proposed_since == DAY
    assert refreshed(a_day_early).disqualification_proposed_since is None


def test_lead_never_tried_is_not_proposed_for_disqualification(alice):
    untried = lead(alice, attempts=0)

    assert apply_lead_cadence(DAY) == 0
    assert refreshed(untried).disqualification_proposed_since is None


def test_proposal_is_withdrawn_once_the_lead_is_touched_again(alice):
    answered = lead(alice, attempts=3, touched_days_ago_=0, disqualification_proposed_since=DAY)

    apply_lead_cadence(DAY)

    assert refreshed(answered).disqualification_proposed_since is None


def test_second_run_for_the_same_day_changes_nothing(alice):
    lead(alice, attempts=5, touched_days_ago_=20)
    lead(alice, attempts=1, touched_days_ago_=15)

    assert apply_lead_cadence(DAY) > 0
    assert apply_lead_cadence(DAY) == 0


def test_owner_is_notified_once_per_step_reached_this_week(alice, bob):
    last_chance = lead(alice, attempts=5, touched_days_ago_=1)
    proposed = lead(bob, attempts=2, touched_days_ago_=15)
    lead(bob, attempts=2, touched_days_ago_=40)  # old news: the digest lists it

    apply_lead_cadence(DAY)
    apply_lead_cadence(DAY + dt.timedelta(days=1))

    notifications = Notification.objects.order_by("recipient__username")
    assert [(n.recipient, n.kind) for n in notifications] == [
        (alice, NotificationKind.LEAD_CADENCE),
        (bob, NotificationKind.LEAD_CADENCE),
    ]
    assert last_chance.last_name in notifications[0].message
    assert proposed.last_name in notifications[1].message
    assert notifications[0].url == "/leads/"
