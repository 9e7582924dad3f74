"""Touchpoint and task services: who may write what, and what a write changes.

North: manager Maria, reps Alice and Bob. South: manager Sam, rep Charlie. Ada is admin.
"""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from contacts.models import Contact, Lead, LeadStatus
from pipeline.models import Opportunity, Task, Touchpoint, TouchpointKind, TouchpointOutcome
from pipeline.services import (
    add_task,
    complete_task,
    log_touchpoint,
    move_opportunity,
    reopen_task,
)
from tests.factories import (
    ContactFactory,
    LeadFactory,
    OpportunityFactory,
    StageFactory,
    TaskFactory,
    UserFactory,
)

LONG_AGO = timezone.make_aware(dt.datetime(2020, 1, 1, 12, 0))


@pytest.fixture
def deal(alice):
    """Alice's deal, last written long ago so that a bump of updated_at shows."""
    deal = OpportunityFactory(owner=alice, title="Alice's deal")
    Opportunity.objects.filter(pk=deal.pk).update(updated_at=LONG_AGO)
    deal.refresh_from_db()
    return deal


def hours_ago(hours):
    return timezone.now() - dt.timedelta(hours=hours)


# --- log_touchpoint on a deal ---------------------------------------------------------------


def test_owner_logs_a_call_which_becomes_the_deals_last_touch(alice, deal):
    at = hours_ago(1)

    touchpoint = log_touchpoint(
        by=alice,
        kind=TouchpointKind.CALL,
        at=at,
        outcome=TouchpointOutcome.CONNECTED,
        summary="  Discussed pricing  ",
        opportunity_id=deal.pk,
    )

    stored = Touchpoint.objects.get()
    assert stored == touchpoint
    assert (stored.kind, stored.outcome, stored.summary) == (
        "call",
        "connected",
        "Discussed pricing",
    )
    assert (stored.by, stored.at, stored.opportunity) == (alice, at, deal)
    deal.refresh_from_db()
    assert deal.last_touch_at == at


def test_touchpoint_refreshes_updated_at_for_polling_boards_but_keeps_the_version(alice, deal):
    log_touchpoint(by=alice, kind=TouchpointKind.NOTE, opportunity_id=deal.pk)

    refreshed = Opportunity.objects.get(pk=deal.pk)
    assert refreshed.updated_at > LONG_AGO
    # A call logged during a colleague's drag must not make that drag lose its race.
    assert refreshed.version == deal.version
    assert refreshed.updated_by_id == deal.updated_by_id


def test_a_call_logged_mid_drag_does_not_make_the_drag_conflict(alice, deal):
    # Given a board that read the card's version, then a call logged on the deal
    version_on_the_board = deal.version
    log_touchpoint(by=alice, kind=TouchpointKind.CALL, opportunity_id=deal.pk)
    add_task(by=alice, title="Follow up", due_at=hours_ago(-24), opportunity_id=deal.pk)
    next_stage = StageFactory(pipeline=deal.pipeline, name="Offer", position=99)

    # When the drag lands with the version it read
    outcome = move_opportunity(
        opportunity_id=deal.pk, by=alice, to_stage_id=next_stage.pk, version=version_on_the_board
    )

    # Then it is not a lost race
    assert outcome.opportunity.stage == next_stage


def test_touchpoint_defaults_to_now(alice, deal):
    before = timezone.now()

    touchpoint = log_touchpoint(by=alice, kind=TouchpointKind.EMAIL, opportunity_id=deal.pk)

    assert before <= touchpoint.at <= timezone.now()
    deal.refresh_from_db()
    assert deal.last_touch_at == touchpoint.at


def test_back_dated_touchpoint_never_moves_last_touch_backwards(alice, deal):
    recent, older = hours_ago(1), hours_ago(72)
    log_touchpoint(by=alice, kind=TouchpointKind.CALL, at=recent, opportunity_id=deal.pk)

    log_touchpoint(by=alice, kind=TouchpointKind.MEETING, at=older, opportunity_id=deal.pk)

    deal.refresh_from_db()
    assert deal.last_touch_at == recent
    assert Touchpoint.objects.filter(opportunity=deal).count() == 2


def test_touchpoint_in_the_future_is_refused_and_nothing_is_written(alice, deal):
    with pytest.raises(ValidationError) as refused:
        log_touchpoint(by=alice, kind=TouchpointKind.CALL, at=hours_ago(-2), opportunity_id=deal.pk)

    assert "at" in refused.value.message_dict
    assert not Touchpoint.objects.exists()
    deal.refresh_from_db()
    assert deal.last_touch_at is None
    assert deal.updated_at == LONG_AGO


def test_a_few_seconds_of_clock_skew_are_not_the_future(alice, deal):
    at = timezone.now() + dt.timedelta(seconds=20)

    touchpoint = log_touchpoint(by=alice, kind=TouchpointKind.CALL, at=at, opportunity_id=deal.pk)

    assert touchpoint.at == at


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"kind": "fax"}, "kind"),
        ({"kind": TouchpointKind.CALL, "outcome": "maybe"}, "outcome"),
        ({"kind": TouchpointKind.NOTE, "summary": "x" * 5001}, "summary"),
        ({"kind": TouchpointKind.CALL, "at": dt.datetime(2024, 1, 1, 9, 0)}, "at"),  # naive
    ],
)
def test_bad_touchpoint_input_is_refused_naming_the_field(alice, deal, fields, named):
    with pytest.raises(ValidationError) as refused:
        log_touchpoint(by=alice, opportunity_id=deal.pk, **fields)

    assert named in refused.value.message_dict
    assert not Touchpoint.objects.exists()


def test_touchpoint_about_nothing_is_refused(alice):
    with pytest.raises(ValidationError):
        log_touchpoint(by=alice, kind=TouchpointKind.NOTE)


@pytest.mark.parametrize("actor", ["alice", "bob", "maria", "ada"])
def test_everyone_who_sees_the_deal_may_log_on_it(request, deal, actor):
    # Teammates cover each other's calls: seeing the deal is enough, and the touchpoint
    # records who made it.
    user = request.getfixturevalue(actor)

    touchpoint = log_touchpoint(by=user, kind=TouchpointKind.CALL, opportunity_id=deal.pk)

    assert touchpoint.by == user
    assert touchpoint.opportunity == deal


@pytest.mark.parametrize("actor", ["charlie", "sam"])
def test_other_team_cannot_log_on_the_deal_and_nothing_is_written(request, deal, actor):
    with pytest.raises(Opportunity.DoesNotExist):
        log_touchpoint(
            by=request.getfixturevalue(actor), kind=TouchpointKind.CALL, opportunity_id=deal.pk
        )

    assert not Touchpoint.objects.exists()
    refreshed = Opportunity.objects.get(pk=deal.pk)
    assert (refreshed.last_touch_at, refreshed.updated_at) == (None, LONG_AGO)


def test_inactive_user_cannot_log(alice, deal):
    alice.is_active = False
    alice.save(update_fields=["is_active"])

    with pytest.raises(Opportunity.DoesNotExist):
        log_touchpoint(by=alice, kind=TouchpointKind.CALL, opportunity_id=deal.pk)


# --- log_touchpoint on a lead or contact ----------------------------------------------------


@pytest.fixture
def lead(alice):
    return LeadFactory(owner=alice, created_at=hours_ago(240))


def test_first_call_to_a_new_lead_marks_it_contacted(alice, lead):
    at = hours_ago(2)

    log_touchpoint(by=alice, kind=TouchpointKind.CALL, at=at, lead_id=lead.pk)

    lead.refresh_from_db()
    assert lead.status == LeadStatus.CONTACTED
    assert (lead.first_touch_at, lead.last_touch_at, lead.contact_attempts) == (at, at, 1)


def test_later_and_back_dated_touches_keep_first_and_last_touch_in_order(alice, lead):
    middle, latest, earliest = hours_ago(48), hours_ago(2), hours_ago(96)
    log_touchpoint(by=alice, kind=TouchpointKind.EMAIL, at=middle, lead_id=lead.pk)
    log_touchpoint(by=alice, kind=TouchpointKind.CALL, at=latest, lead_id=lead.pk)

    log_touchpoint(by=alice, kind=TouchpointKind.CALL, at=earliest, lead_id=lead.pk)

    lead.refresh_from_db()
    assert (lead.first_touch_at, lead.last_touch_at) == (earliest, latest)
    assert lead.contact_attempts == 3


def test_meeting_touches_a_lead_without_counting_as_an_attempt(alice, lead):
    log_touchpoint(by=alice, kind=TouchpointKind.MEETING, lead_id=lead.pk)

    lead.refresh_from_db()
    assert lead.contact_attempts == 0
    assert lead.status == LeadStatus.CONTACTED
    assert lead.last_touch_at is not None


def test_note_on_a_lead_changes_none_of_its_contact_fields(alice, lead):
    log_touchpoint(by=alice, kind=TouchpointKind.NOTE, summary="Found on LinkedIn", lead_id=lead.pk)

    lead.refresh_from_db()
    assert (lead.status, lead.contact_attempts, lead.first_touch_at, lead.last_touch_at) == (
        LeadStatus.NEW,
        0,
        None,
        None,
    )
    assert Touchpoint.objects.get().lead == lead


def test_touch_only_moves_a_new_lead_to_contacted(alice):
    qualified = LeadFactory(owner=alice, status=LeadStatus.QUALIFIED)

    log_touchpoint(by=alice, kind=TouchpointKind.CALL, lead_id=qualified.pk)

    qualified.refresh_from_db()
    assert qualified.status == LeadStatus.QUALIFIED


def test_touch_dated_before_the_lead_existed_keeps_first_touch_at_creation(alice):
    created = hours_ago(1)
    lead = LeadFactory(owner=alice, created_at=created)

    log_touchpoint(by=alice, kind=TouchpointKind.CALL, at=hours_ago(30), lead_id=lead.pk)

    lead.refresh_from_db()
    assert lead.first_touch_at == created


def test_other_team_cannot_log_on_a_lead(charlie, lead):
    with pytest.raises(Lead.DoesNotExist):
        log_touchpoint(by=charlie, kind=TouchpointKind.CALL, lead_id=lead.pk)

    lead.refresh_from_db()
    assert lead.contact_attempts == 0
    assert not Touchpoint.objects.exists()


def test_manager_may_log_on_an_unassigned_lead_in_the_queue(maria):
    lead = LeadFactory(owner=None)

    log_touchpoint(by=maria, kind=TouchpointKind.EMAIL, lead_id=lead.pk)

    lead.refresh_from_db()
    assert lead.contact_attempts == 1


def test_touchpoint_about_a_contact_needs_a_visible_contact(alice, charlie):
    contact = ContactFactory(company__owner=alice)

    log_touchpoint(by=alice, kind=TouchpointKind.MEETING, contact_id=contact.pk)
    with pytest.raises(Contact.DoesNotExist):
        log_touchpoint(by=charlie, kind=TouchpointKind.MEETING, contact_id=contact.pk)

    assert list(Touchpoint.objects.values_list("by__username", flat=True)) == ["alice"]


def test_touchpoint_about_a_deal_and_an_invisible_contact_writes_nothing(alice, charlie):
    deal = OpportunityFactory(owner=alice)
    hidden = ContactFactory(company__owner=charlie)

    with pytest.raises(Contact.DoesNotExist):
        log_touchpoint(
            by=alice, kind=TouchpointKind.CALL, opportunity_id=deal.pk, contact_id=hidden.pk
        )

    deal.refresh_from_db()
    assert deal.last_touch_at is None
    assert not Touchpoint.objects.exists()


# --- add_task -------------------------------------------------------------------------------


def test_task_is_assigned_to_its_author_by_default(alice, deal):
    due = timezone.now() + dt.timedelta(days=2)

    task = add_task(by=alice, title=" Send offer ", due_at=due, opportunity_id=deal.pk)

    stored = Task.objects.get()
    assert stored == task
    assert (stored.title, stored.due_at, stored.assignee, stored.created_by) == (
        "Send offer",
        due,
        alice,
        alice,
    )
    refreshed = Opportunity.objects.get(pk=deal.pk)
    assert refreshed.updated_at > LONG_AGO
    assert refreshed.version == deal.version


def test_teammate_may_add_a_task_for_themselves_on_a_visible_deal(bob, deal):
    task = add_task(by=bob, title="Cover the call", due_at=hours_ago(-5), opportunity_id=deal.pk)

    assert task.assignee == bob


def test_rep_cannot_assign_a_task_to_a_teammate(alice, bob, deal):
    with pytest.raises(PermissionDenied):
        add_task(
            by=alice, title="Yours", due_at=hours_ago(-5), assignee=bob, opportunity_id=deal.pk
        )

    assert not Task.objects.exists()


def test_manager_assigns_within_their_team_but_not_outside_it(maria, bob, charlie, deal):
    task = add_task(
        by=maria, title="Call back", due_at=hours_ago(-5), assignee=bob, opportunity_id=deal.pk
    )
    with pytest.raises(PermissionDenied):
        add_task(
            by=maria, title="No", due_at=hours_ago(-5), assignee=charlie, opportunity_id=deal.pk
        )

    assert list(Task.objects.all()) == [task]
    assert task.assignee == bob


def test_admin_may_assign_anyone(ada, charlie, deal):
    task = add_task(
        by=ada, title="Help out", due_at=hours_ago(-5), assignee=charlie, opportunity_id=deal.pk
    )

    assert task.assignee == charlie


def test_inactive_assignee_is_refused_naming_the_field(maria, deal, north):
    gone = UserFactory(username="gone", team=north, is_active=False)

    with pytest.raises(ValidationError) as refused:
        add_task(by=maria, title="X", due_at=hours_ago(-5), assignee=gone, opportunity_id=deal.pk)

    assert "assignee" in refused.value.message_dict


@pytest.mark.parametrize(
    ("title", "named"),
    [("   ", "title"), ("x" * 201, "title")],
)
def test_bad_task_title_is_refused_naming_the_field(alice, deal, title, named):
    with pytest.raises(ValidationError) as refused:
        add_task(by=alice, title=title, due_at=hours_ago(-5), opportunity_id=deal.pk)

    assert named in refused.value.message_dict
    assert not Task.objects.exists()


def test_task_due_in_the_past_is_accepted_and_simply_overdue(alice, deal):
    task = add_task(by=alice, title="Late", due_at=hours_ago(3), opportunity_id=deal.pk)

    assert task.due_at < timezone.now()


def test_other_team_cannot_add_a_task_to_the_deal(charlie, deal):
    with pytest.raises(Opportunity.DoesNotExist):
        add_task(by=charlie, title="Sneaky", due_at=hours_ago(-5), opportunity_id=deal.pk)

    assert not Task.objects.exists()
    assert Opportunity.objects.get(pk=deal.pk).updated_at == LONG_AGO


# --- complete_task and reopen_task ----------------------------------------------------------


@pytest.fixture
def overdue_task(alice, deal):
    return TaskFactory(
        opportunity=deal,
        assignee=alice,
        due_at=hours_ago(48),
        overdue_since=timezone.localdate() - dt.timedelta(days=1),
    )


def test_assignee_completes_a_task_which_clears_its_overdue_flag(alice, deal, overdue_task):
    task = complete_task(by=alice, task_id=overdue_task.pk)

    stored = Task.objects.get(pk=overdue_task.pk)
    assert stored.done_at is not None
    assert stored.overdue_since is None
    assert (task.done_at, task.overdue_since) == (stored.done_at, None)
    refreshed = Opportunity.objects.get(pk=deal.pk)
    assert refreshed.updated_at > LONG_AGO
    assert refreshed.version == deal.version


def test_completing_twice_keeps_the_first_completion(alice, overdue_task):
    first = complete_task(by=alice, task_id=overdue_task.pk).done_at

    again = complete_task(by=alice, task_id=overdue_task.pk)

    assert again.done_at == first
    assert Task.objects.get(pk=overdue_task.pk).done_at == first


@pytest.mark.parametrize("actor", ["maria", "ada"])
def test_manager_and_admin_may_complete_a_reps_task(request, overdue_task, actor):
    complete_task(by=request.getfixturevalue(actor), task_id=overdue_task.pk)

    assert Task.objects.get(pk=overdue_task.pk).done_at is not None


def test_teammate_sees_but_cannot_complete_someone_elses_task(bob, overdue_task):
    with pytest.raises(PermissionDenied):
        complete_task(by=bob, task_id=overdue_task.pk)

    assert Task.objects.get(pk=overdue_task.pk).done_at is None


@pytest.mark.parametrize("actor", ["charlie", "sam"])
def test_other_team_cannot_complete_the_task(request, overdue_task, actor):
    with pytest.raises(Task.DoesNotExist):
        complete_task(by=request.getfixturevalue(actor), task_id=overdue_task.pk)

    assert Task.objects.get(pk=overdue_task.pk).done_at is None


def test_reopen_undoes_a_completion_and_is_idempotent(alice, overdue_task):
    complete_task(by=alice, task_id=overdue_task.pk)

    reopened = reopen_task(by=alice, task_id=overdue_task.pk)
    again = reopen_task(by=alice, task_id=overdue_task.pk)

    assert reopened.done_at is None
    assert again.done_at is None
    assert Task.objects.get(pk=overdue_task.pk).done_at is None


def test_teammate_cannot_reopen_someone_elses_task(alice, bob, overdue_task):
    complete_task(by=alice, task_id=overdue_task.pk)

    with pytest.raises(PermissionDenied):
        reopen_task(by=bob, task_id=overdue_task.pk)

    assert Task.objects.get(pk=overdue_task.pk).done_at is not None
