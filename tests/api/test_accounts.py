"""Users and notifications through the API."""

import datetime as dt

from django.utils import timezone

from accounts.models import Notification, NotificationKind
from tests.factories import UserFactory


def usernames(response):
    return {row["username"] for row in response.json()["results"]}


def notify(user, key, **fields):
    return Notification.objects.create(
        recipient=user, kind=NotificationKind.STALE_DEAL, message=key, dedupe_key=key, **fields
    )


def test_users_each_role_may_see(api_as, alice, bob, maria, charlie, sam, ada):
    UserFactory(username="gone", team=alice.team, is_active=False)

    assert usernames(api_as(alice).get("/api/users/")) == {"alice", "bob", "maria"}
    assert usernames(api_as(maria).get("/api/users/")) == {"alice", "bob", "maria"}
    assert usernames(api_as(charlie).get("/api/users/")) == {"charlie", "sam"}
    assert usernames(api_as(ada).get("/api/users/")) == {
        "alice",
        "bob",
        "maria",
        "charlie",
        "sam",
        "ada",
    }


def test_another_teams_user_answers_404(api_as, alice, charlie):
    assert api_as(alice).get(f"/api/users/{charlie.pk}/").status_code == 404


def test_me_is_the_signed_in_user(api_as, alice):
    response = api_as(alice).get("/api/users/me/")

    assert response.json()["username"] == "alice"
    assert response.json()["team_name"] == "North"


def test_users_cannot_be_changed_through_the_api(api_as, ada, alice):
    response = api_as(ada).patch(f"/api/users/{alice.pk}/", {"role": "admin"}, format="json")

    assert response.status_code == 405
    alice.refresh_from_db()
    assert alice.role == "rep"


def test_notifications_are_personal_even_for_admins(api_as, alice, ada):
    mine = notify(alice, "a")
    theirs = notify(ada, "b")

    response = api_as(alice).get("/api/notifications/")

    assert [row["id"] for row in response.json()["results"]] == [mine.pk]
    assert api_as(ada).get(f"/api/notifications/{mine.pk}/").status_code == 404
    assert api_as(alice).post(f"/api/notifications/{theirs.pk}/read/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_marking_read_keeps_the_first_read_time(api_as, alice):
    earlier = timezone.now() - dt.timedelta(days=1)
    notification = notify(alice, "a", read_at=earlier)
    fresh = notify(alice, "b")

    again = api_as(alice).post(f"/api/notifications/{notification.pk}/read/")
    first = api_as(alice).post(f"/api/notifications/{fresh.pk}/read/")

    assert again.status_code == 200
    notification.refresh_from_db()
    assert notification.read_at == earlier
    assert first.json()["is_read"] is True


def test_read_all_marks_only_my_unread(api_as, alice, bob):
    notify(alice, "a")
    notify(alice, "b")
    notify(alice, "c", read_at=timezone.now())
    other = notify(bob, "d")

    response = api_as(alice).post("/api/notifications/read-all/")

    assert response.json() == {"marked_read": 2}
    assert not Notification.objects.filter(recipient=alice, read_at__isnull=True).exists()
    other.refresh_from_db()
    assert other.read_at is None


def test_unread_filter(api_as, alice):
    unread = notify(alice, "a")
    notify(alice, "b", read_at=timezone.now())

    response = api_as(alice).get("/api/notifications/?is_read=false")

    assert [row["id"] for row in response.json()["results"]] == [unread.pk]
