"""The database itself refuses invalid users, teams and notifications."""

import pytest

from accounts.models import Notification, NotificationKind, Role, Team, Territory, User
from tests.constraints import constraints_without_refusal_test, refused_by
from tests.factories import TeamFactory, UserFactory


def notify(recipient: User, dedupe_key: str = "stale:1", **fields) -> Notification:
    fields.setdefault("kind", NotificationKind.STALE_DEAL)
    return Notification.objects.create(
        recipient=recipient, dedupe_key=dedupe_key, message="Deal is stale", **fields
    )


def test_every_accounts_constraint_has_a_refusal_test():
    assert constraints_without_refusal_test("accounts", __file__) == []


# User


@pytest.mark.django_db
def test_unknown_role_is_refused():
    with refused_by("user_role_valid"):
        UserFactory(username="boss", role="boss")


@pytest.mark.django_db
@pytest.mark.parametrize("role", Role.values)
def test_every_role_is_accepted(role):
    user = UserFactory(username=f"someone-{role}", role=role)

    assert User.objects.get(pk=user.pk).role == role


# Team


@pytest.mark.django_db
def test_team_names_are_unique():
    TeamFactory(name="North")

    with refused_by("accounts_team_name"):
        Team.objects.create(name="North")


def test_deleting_a_team_keeps_its_users_without_a_team(north, alice, bob):
    north.delete()

    alice.refresh_from_db()
    bob.refresh_from_db()
    assert (alice.team, bob.team) == (None, None)


def test_deleting_a_manager_keeps_the_team_without_a_manager(north, maria, alice):
    maria.delete()

    north.refresh_from_db()
    assert north.manager is None
    assert list(north.members.all()) == [alice]


# Notification


def test_same_notification_twice_for_one_recipient_is_refused(alice):
    notify(alice, dedupe_key="stale:42")

    with refused_by("notification_unique_per_recipient"):
        notify(alice, dedupe_key="stale:42")


def test_same_notification_for_two_recipients_is_accepted(alice, bob):
    notify(alice, dedupe_key="stale:42")
    notify(bob, dedupe_key="stale:42")

    assert Notification.objects.filter(dedupe_key="stale:42").count() == 2


def test_unknown_notification_kind_is_refused(alice):
    with refused_by("notification_kind_valid"):
        notify(alice, kind="gossip")


@pytest.mark.parametrize("kind", NotificationKind.values)
def test_every_notification_kind_is_accepted(alice, kind):
    notify(alice, dedupe_key=kind, kind=kind)

    assert Notification.objects.get(recipient=alice, dedupe_key=kind).kind == kind


def test_deleting_a_user_deletes_their_notifications(alice, bob):
    notify(alice)
    notify(bob)

    alice.delete()

    assert list(Notification.objects.values_list("recipient__username", flat=True)) == ["bob"]


@pytest.mark.django_db
def test_a_country_region_pair_belongs_to_one_territory(north, south):
    Territory.objects.create(team=north, country="DE", region="Bavaria")
    with refused_by("territory_unique_country_region"):
        Territory.objects.create(team=south, country="DE", region="bavaria")


@pytest.mark.django_db
def test_a_whole_country_and_its_regions_are_separate_territories(north, south):
    Territory.objects.create(team=north, country="DE", region="")
    Territory.objects.create(team=south, country="DE", region="Bavaria")
    assert Territory.objects.filter(country="DE").count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize("country", ["de", "D1", ""])
def test_territory_country_must_be_an_iso_code(north, country):
    with refused_by("territory_country_iso"):
        Territory.objects.create(team=north, country=country)


@pytest.mark.django_db
def test_user_external_id_is_unique():
    UserFactory(external_id="005Dn000001AbcD")

    with refused_by("user_external_id_unique"):
        UserFactory(external_id="005Dn000001AbcD")


@pytest.mark.django_db
def test_many_users_without_external_id_are_accepted():
    UserFactory(external_id="")
    UserFactory(external_id="")

    assert User.objects.filter(external_id="").count() == 2
