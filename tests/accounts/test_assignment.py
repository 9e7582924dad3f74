"""Whom a user may give records and work to: one rule for tasks, deals, companies and
contacts, and the wider one for leads built on it.

North: manager Maria, reps Alice and Bob. South: manager Sam, rep Charlie. Ada is admin.
"""

from accounts.assignment import assignable_users, may_assign_to
from contacts.services import lead_owners
from tests.factories import UserFactory


def test_assignable_users_follow_the_role(alice, bob, maria, charlie, sam, ada):
    assert set(assignable_users(alice)) == {alice}
    assert set(assignable_users(maria)) == {maria, alice, bob}
    assert set(assignable_users(sam)) == {sam, charlie}
    assert set(assignable_users(ada)) == {alice, bob, maria, charlie, sam, ada}


def test_inactive_users_are_never_assignable(maria, alice, ada):
    alice.is_active = False
    alice.save(update_fields=["is_active"])

    assert alice not in set(assignable_users(maria))
    assert alice not in set(assignable_users(ada))
    assert not may_assign_to(maria, alice)
    assert not may_assign_to(ada, alice)


def test_may_assign_to_agrees_with_the_list(alice, bob, maria, charlie, sam, ada):
    for by in (alice, maria, sam, ada):
        for user in (alice, bob, maria, charlie, sam, ada):
            assert may_assign_to(by, user) == (user in set(assignable_users(by)))


def test_reps_may_give_leads_to_teammates_but_not_deals(alice, bob, maria, charlie):
    assert set(lead_owners(alice)) == {alice, bob, maria}
    assert set(assignable_users(alice)) == {alice}


def test_lead_owners_for_managers_admins_and_the_system_match_the_shared_rule(
    maria, sam, ada, alice, bob, charlie
):
    assert set(lead_owners(maria)) == set(assignable_users(maria))
    assert set(lead_owners(ada)) == set(assignable_users(ada))
    assert set(lead_owners(None)) == {maria, sam, ada, alice, bob, charlie}


def test_a_rep_without_a_team_may_give_leads_only_to_themselves(alice):
    loner = UserFactory(username="loner", team=None)

    assert set(lead_owners(loner)) == {loner}
