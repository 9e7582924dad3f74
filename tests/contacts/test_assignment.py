"""Assignment rules: round-robin within a team, territory (region beats country), manual."""

import datetime as dt
import threading

import pytest
from django.db import close_old_connections, connection, transaction
from django.utils import timezone

from accounts.models import Role, Territory
from contacts.models import AssignmentRule, Lead, LeadPolicy
from contacts.services import assign_owner, create_lead
from tests.factories import LeadFactory, TeamFactory, UserFactory


def policy_with(rule, team=None):
    policy = LeadPolicy.current()
    policy.assignment_rule = rule
    policy.default_team = team
    policy.save()
    return policy


def test_manual_rule_assigns_nobody(alice, north):
    policy = policy_with(AssignmentRule.MANUAL, north)

    assert assign_owner(Lead(last_name="X"), policy=policy) is None


def test_round_robin_serves_the_rep_who_waited_longest(alice, bob, maria, north):
    policy = policy_with(AssignmentRule.ROUND_ROBIN, north)
    alice.last_lead_assigned_at = timezone.now() - dt.timedelta(hours=1)
    alice.save()

    owners = [assign_owner(Lead(last_name=str(n)), policy=policy) for n in range(4)]

    # Bob never had one, so he goes first; managers take no part in the rotation.
    assert owners == [bob, alice, bob, alice]


def test_round_robin_skips_inactive_reps(alice, bob, north):
    policy = policy_with(AssignmentRule.ROUND_ROBIN, north)
    bob.is_active = False
    bob.save()

    assert {assign_owner(Lead(last_name=str(n)), policy=policy) for n in range(3)} == {alice}


def test_round_robin_without_a_team_or_reps_assigns_nobody(maria, north):
    assert assign_owner(Lead(last_name="X"), policy=policy_with(AssignmentRule.ROUND_ROBIN)) is None
    # North has only its manager here.
    assert (
        assign_owner(Lead(last_name="Y"), policy=policy_with(AssignmentRule.ROUND_ROBIN, north))
        is None
    )


def test_territory_region_wins_over_the_whole_country(alice, charlie, north, south):
    bavaria = TeamFactory(name="Bavaria")
    bavarian = UserFactory(username="bavarian", team=bavaria)
    Territory.objects.create(team=south, country="DE")
    Territory.objects.create(team=bavaria, country="DE", region="Bayern")
    policy = policy_with(AssignmentRule.TERRITORY, north)

    in_region = assign_owner(Lead(last_name="A", country="de", region=" bayern "), policy=policy)
    in_country = assign_owner(Lead(last_name="B", country="DE", region="Hessen"), policy=policy)
    elsewhere = assign_owner(Lead(last_name="C", country="FR"), policy=policy)

    assert (in_region, in_country, elsewhere) == (bavarian, charlie, alice)


def test_territory_without_a_match_or_default_team_assigns_nobody(charlie, south):
    Territory.objects.create(team=south, country="DE")
    policy = policy_with(AssignmentRule.TERRITORY)

    assert assign_owner(Lead(last_name="A", country="IT"), policy=policy) is None
    assert assign_owner(Lead(last_name="B", country="DE"), policy=policy) == charlie


def test_new_unowned_leads_rotate_through_the_team(maria, alice, bob, north):
    policy_with(AssignmentRule.ROUND_ROBIN, north)

    owners = [
        create_lead(by=maria, fields={"last_name": f"Lead {n}", "source": "web"}).owner
        for n in range(4)
    ]

    assert owners.count(alice) == owners.count(bob) == 2


def test_a_given_owner_is_kept_whatever_the_rule(maria, alice, bob, north):
    policy_with(AssignmentRule.ROUND_ROBIN, north)
    for n in range(3):
        create_lead(by=maria, fields={"last_name": f"Lead {n}", "source": "web", "owner": alice})

    assert set(Lead.objects.values_list("owner", flat=True)) == {alice.pk}


@pytest.mark.django_db(transaction=True)
def test_concurrent_assignments_go_to_different_reps():
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL; SQLite runs one writer at a time anyway")
    team = TeamFactory(name="Crowd")
    reps = [UserFactory(username=f"rep{n}", team=team, role=Role.REP) for n in range(2)]
    policy = policy_with(AssignmentRule.ROUND_ROBIN, team)
    barrier = threading.Barrier(2)
    owners = []

    def assign(n):
        try:
            barrier.wait(timeout=5)
            with transaction.atomic():
                owners.append(assign_owner(LeadFactory.build(owner=None), policy=policy))
        finally:
            close_old_connections()

    threads = [threading.Thread(target=assign, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(owner.pk for owner in owners) == sorted(rep.pk for rep in reps)
