"""Who sees and who changes which records: ``visible_to(user)`` and ``editable_by(user)``.

Team North: manager Maria, reps Alice and Bob. Team South: manager Sam, rep Charlie. Ada is
an admin. A rep sees their own and their team's records and changes only their own; a
manager sees and changes everything of the teams they manage; an admin sees everything.
"""

import datetime as dt
from collections.abc import Callable

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db.models import Model

from accounts.models import Notification, NotificationKind, Role, User
from accounts.visibility import visible_users
from forecasting.models import PipelineSnapshot, Quota
from pipeline.models import Opportunity, Stage, StageChange
from tests.factories import (
    CompanyFactory,
    ContactFactory,
    LeadFactory,
    OpportunityFactory,
    QuotaFactory,
    TaskFactory,
    TeamFactory,
    TouchpointFactory,
    UserFactory,
)


def _deal(owner: User, stage: Stage) -> Opportunity:
    return OpportunityFactory(owner=owner, stage=stage)


def _stage_change(owner: User, stage: Stage) -> StageChange:
    return StageChange.objects.create(opportunity=_deal(owner, stage), to_stage=stage, by=owner)


def _snapshot(owner: User, stage: Stage) -> PipelineSnapshot:
    deal = _deal(owner, stage)
    return PipelineSnapshot.objects.create(
        taken_on=deal.created_at.date(),
        opportunity=deal,
        pipeline=deal.pipeline,
        stage=stage,
        owner=owner,
        value=deal.value,
        currency=deal.currency,
        probability=stage.probability,
        forecast_category=deal.forecast_category,
    )


def _quota(owner: User, stage: Stage) -> Quota:
    # One quota per user and period: each further one starts a day later.
    later = dt.timedelta(days=Quota.objects.filter(user=owner).count())
    return QuotaFactory(user=owner, period_start=dt.date(2026, 10, 1) + later)


# How to make a record that belongs to ``owner``, for every model holding customer data.
OWNED_RECORDS: dict[str, Callable[[User, Stage], Model]] = {
    "company": lambda owner, stage: CompanyFactory(owner=owner),
    "contact": lambda owner, stage: ContactFactory(company__owner=owner),
    "lead": lambda owner, stage: LeadFactory(owner=owner),
    "opportunity": _deal,
    "stage_change": _stage_change,
    "touchpoint": lambda owner, stage: TouchpointFactory(opportunity=_deal(owner, stage)),
    "task": lambda owner, stage: TaskFactory(opportunity=_deal(owner, stage)),
    "pipeline_snapshot": _snapshot,
    "quota": _quota,
}
# Quotas are set by admins only, so they follow their own editing rule (tested below).
EDITABLE_BY_OWNER = [kind for kind in OWNED_RECORDS if kind != "quota"]


def sees(user: User | AnonymousUser, record: Model) -> bool:
    return type(record).objects.visible_to(user).filter(pk=record.pk).exists()


def edits(user: User | AnonymousUser, record: Model) -> bool:
    return type(record).objects.editable_by(user).filter(pk=record.pk).exists()


@pytest.fixture
def record_of(stage) -> Callable[[str, User], Model]:
    def make(kind: str, owner: User) -> Model:
        return OWNED_RECORDS[kind](owner, stage)

    return make


# Reps


@pytest.mark.parametrize("kind", OWNED_RECORDS)
def test_rep_sees_own_record(record_of, alice, kind):
    assert sees(alice, record_of(kind, alice))


@pytest.mark.parametrize("kind", OWNED_RECORDS)
def test_rep_sees_teammates_and_team_managers_records(record_of, alice, bob, maria, kind):
    assert sees(alice, record_of(kind, bob))
    assert sees(alice, record_of(kind, maria))


@pytest.mark.parametrize("kind", OWNED_RECORDS)
def test_rep_cannot_see_other_team_record(record_of, alice, charlie, sam, kind):
    assert not sees(alice, record_of(kind, charlie))
    assert not sees(alice, record_of(kind, sam))
    assert not sees(charlie, record_of(kind, alice))


@pytest.mark.parametrize("kind", EDITABLE_BY_OWNER)
def test_rep_edits_own_record(record_of, alice, kind):
    assert edits(alice, record_of(kind, alice))


@pytest.mark.parametrize("kind", EDITABLE_BY_OWNER)
def test_rep_cannot_edit_teammates_record(record_of, alice, bob, maria, kind):
    assert not edits(alice, record_of(kind, bob))
    assert not edits(alice, record_of(kind, maria))


@pytest.mark.parametrize("kind", OWNED_RECORDS)
def test_rep_cannot_edit_other_team_record(record_of, alice, charlie, kind):
    assert not edits(alice, record_of(kind, charlie))


@pytest.mark.parametrize("kind", OWNED_RECORDS)
def test_rep_without_team_sees_only_own_records(record_of, alice, kind):
    loner = UserFactory(username="loner", team=None)
    own, alices = record_of(kind, loner), record_of(kind, alice)

    assert sees(loner, own)
    assert not sees(loner, alices)
    assert not sees(alice, own)


# Managers


@pytest.mark.parametrize("kind", EDITABLE_BY_OWNER)
def test_manager_sees_and_edits_team_records(record_of, maria, alice, bob, kind):
    for owner in (alice, bob, maria):
        record = record_of(kind, owner)
        assert sees(maria, record), owner
        assert edits(maria, record), owner


@pytest.mark.parametrize("kind", OWNED_RECORDS)
def test_manager_cannot_see_or_edit_other_team_record(record_of, maria, sam, alice, charlie, kind):
    charlies, alices = record_of(kind, charlie), record_of(kind, alice)

    assert not sees(maria, charlies)
    assert not edits(maria, charlies)
    assert not sees(sam, alices)
    assert not edits(sam, alices)


@pytest.mark.parametrize("kind", EDITABLE_BY_OWNER)
def test_manager_sees_and_edits_every_team_they_manage(record_of, sam, charlie, kind):
    # Sam belongs to South and also manages East, where Dave works.
    east = TeamFactory(name="East", manager=sam)
    dave = UserFactory(username="dave", team=east)
    daves = record_of(kind, dave)

    assert sees(sam, daves)
    assert edits(sam, daves)
    assert not sees(charlie, daves)


@pytest.mark.parametrize("kind", EDITABLE_BY_OWNER)
def test_manager_edits_nothing_of_a_team_managed_by_someone_else(record_of, north, alice, kind):
    # Nina is a manager but sits in North, which Maria manages: she sees, but does not edit.
    nina = UserFactory(username="nina", role=Role.MANAGER, team=north)
    alices = record_of(kind, alice)

    assert sees(nina, alices)
    assert not edits(nina, alices)


# Admins


@pytest.mark.parametrize("kind", OWNED_RECORDS)
def test_admin_sees_and_edits_every_record(record_of, ada, alice, maria, charlie, kind):
    for owner in (alice, maria, charlie, ada):
        record = record_of(kind, owner)
        assert sees(ada, record), owner
        assert edits(ada, record), owner


@pytest.mark.parametrize("kind", OWNED_RECORDS)
def test_superuser_sees_and_edits_every_record_whatever_their_role(record_of, charlie, kind):
    root = UserFactory(username="root", role=Role.REP, is_superuser=True)
    charlies = record_of(kind, charlie)

    assert sees(root, charlies)
    assert edits(root, charlies)


# Nobody


@pytest.mark.parametrize("role", Role.values)
@pytest.mark.parametrize("kind", OWNED_RECORDS)
def test_inactive_user_sees_and_edits_nothing(record_of, north, kind, role):
    leaver = UserFactory(username="leaver", role=role, team=north, is_active=False)
    if role == Role.MANAGER:
        north.manager = leaver
        north.save(update_fields=["manager"])
    own = record_of(kind, leaver)

    assert not sees(leaver, own)
    assert not edits(leaver, own)


@pytest.mark.parametrize("kind", OWNED_RECORDS)
def test_anonymous_user_sees_and_edits_nothing(record_of, alice, kind):
    record = record_of(kind, alice)

    assert not sees(AnonymousUser(), record)
    assert not edits(AnonymousUser(), record)


# Leads waiting for an owner


def test_unowned_lead_is_visible_to_managers_and_admins(maria, sam, ada):
    lead = LeadFactory(owner=None)

    assert sees(maria, lead)
    assert sees(sam, lead)
    assert sees(ada, lead)


def test_rep_cannot_see_unowned_lead(alice, charlie):
    lead = LeadFactory(owner=None)

    assert not sees(alice, lead)
    assert not sees(charlie, lead)


# Quotas


def test_admins_and_the_teams_manager_edit_quotas(alice, maria, sam, ada, north):
    for quota in (QuotaFactory(user=alice), QuotaFactory(user=None, team=north)):
        assert not edits(alice, quota)
        assert not edits(sam, quota)
        assert edits(maria, quota)
        assert edits(ada, quota)
    # Nobody sets their own target.
    assert not edits(maria, QuotaFactory(user=maria))


def test_team_quota_is_visible_to_its_members_manager_and_admin(
    north, alice, bob, maria, charlie, sam, ada
):
    quota = QuotaFactory(user=None, team=north)

    assert [sees(user, quota) for user in (alice, bob, maria, ada)] == [True] * 4
    assert [sees(user, quota) for user in (charlie, sam)] == [False] * 2


def test_manager_sees_quota_of_a_team_they_manage_without_belonging_to_it(sam):
    east = TeamFactory(name="East", manager=sam)
    quota = QuotaFactory(user=None, team=east)

    assert sees(sam, quota)


# Touchpoints and tasks are visible through the lead, contact or deal they are about


@pytest.fixture
def subjects_of_alice(alice, stage):
    return {
        "lead": LeadFactory(owner=alice),
        "contact": ContactFactory(company__owner=alice),
        "opportunity": OpportunityFactory(owner=alice, stage=stage),
    }


@pytest.fixture
def outsider(db):
    """Someone in no team whose own name on a row makes it visible to nobody else."""
    return UserFactory(username="olga", team=None)


@pytest.mark.parametrize("subject", ["lead", "contact", "opportunity"])
def test_touchpoint_is_visible_through_its_subject(
    subjects_of_alice, outsider, bob, maria, charlie, subject
):
    touchpoint = TouchpointFactory(
        **{"opportunity": None, subject: subjects_of_alice[subject]}, by=outsider
    )

    assert sees(bob, touchpoint)
    assert sees(maria, touchpoint)
    assert not sees(charlie, touchpoint)


@pytest.mark.parametrize("subject", ["lead", "contact", "opportunity"])
def test_task_is_visible_through_its_subject(
    subjects_of_alice, outsider, bob, maria, charlie, subject
):
    task = TaskFactory(
        **{"opportunity": None, subject: subjects_of_alice[subject]}, assignee=outsider
    )

    assert sees(bob, task)
    assert sees(maria, task)
    assert not sees(charlie, task)


def test_touchpoint_on_other_team_deal_is_visible_through_its_author(
    alice, bob, maria, charlie, sam, stage
):
    touchpoint = TouchpointFactory(opportunity=_deal(charlie, stage), by=alice)

    # Alice's note is Alice's record: her team sees it, as does the deal's own team.
    assert [sees(user, touchpoint) for user in (alice, bob, maria, charlie, sam)] == [True] * 5
    assert [edits(user, touchpoint) for user in (alice, bob, maria, charlie)] == [
        True,
        False,
        True,
        False,
    ]


def test_task_is_visible_through_its_assignee(alice, bob, maria, charlie, stage):
    task = TaskFactory(opportunity=_deal(charlie, stage), assignee=alice)

    assert [sees(user, task) for user in (alice, bob, maria, charlie)] == [True] * 4
    assert edits(alice, task)
    assert not edits(charlie, task)


def test_rep_cannot_see_other_team_touchpoint(alice, charlie, stage):
    touchpoint = TouchpointFactory(opportunity=_deal(charlie, stage), by=charlie)

    assert not sees(alice, touchpoint)


def test_manager_sees_touchpoints_on_unowned_lead(maria):
    lead = LeadFactory(owner=None)
    touchpoint = TouchpointFactory(opportunity=None, lead=lead, by=None)

    assert sees(maria, lead)
    assert sees(maria, touchpoint)


def test_manager_sees_every_touchpoint_they_may_edit(maria, alice, charlie, stage):
    touchpoint = TouchpointFactory(opportunity=_deal(charlie, stage), by=alice)

    assert edits(maria, touchpoint)
    assert sees(maria, touchpoint)


# Notifications are personal


def _notify(recipient: User) -> Notification:
    return Notification.objects.create(
        recipient=recipient, kind=NotificationKind.STALE_DEAL, message="Stale", dedupe_key="s:1"
    )


def test_only_the_recipient_sees_a_notification(alice, bob, maria, charlie, ada):
    notification = _notify(alice)

    assert sees(alice, notification)
    assert [sees(user, notification) for user in (bob, maria, charlie, ada)] == [False] * 4


def test_inactive_or_anonymous_user_sees_no_notification(alice):
    notification = _notify(alice)
    alice.is_active = False

    assert not sees(alice, notification)
    assert not sees(AnonymousUser(), notification)


def test_only_the_recipient_edits_a_notification(alice, ada):
    notification = _notify(alice)

    assert edits(alice, notification)
    assert not edits(ada, notification)


# Cost


@pytest.mark.parametrize("kind", OWNED_RECORDS)
def test_visibility_adds_no_query_for_a_manager(
    record_of, maria, alice, charlie, django_assert_num_queries, django_assert_max_num_queries, kind
):
    teams_records = [record_of(kind, owner) for owner in (alice, alice, maria)]
    record_of(kind, charlie)
    model = type(teams_records[0])

    # Maria's managed teams are a subquery: one round trip, however many teams.
    with django_assert_num_queries(1):
        visible = list(model.objects.visible_to(maria))
    with django_assert_max_num_queries(1):
        editable = list(model.objects.editable_by(maria))

    # Each record once: the ORs over joined owners must not duplicate rows.
    expected = sorted(record.pk for record in teams_records)
    assert sorted(row.pk for row in visible) == expected
    if kind == "quota":
        # A manager sets their reps' quotas, not their own.
        assert sorted(row.pk for row in editable) == expected[:2]
    else:
        assert sorted(row.pk for row in editable) == (expected if kind in EDITABLE_BY_OWNER else [])


def test_visible_users_are_the_people_whose_records_one_sees(alice, bob, maria, charlie, sam, ada):
    assert set(visible_users(alice)) == {alice, bob, maria}
    assert set(visible_users(maria)) == {alice, bob, maria}
    assert set(visible_users(sam)) == {sam, charlie}
    assert set(visible_users(ada)) == {alice, bob, maria, charlie, sam, ada}
    assert not visible_users(AnonymousUser()).exists()
