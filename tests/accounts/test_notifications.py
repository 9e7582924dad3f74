"""The notification centre: bell, list and mark-as-read, each for its own recipient only.

Notifications are personal: not a teammate, not a manager, not an admin reads or marks
another user's.
"""

import datetime as dt

import pytest
from django.db.models import F, Value
from django.urls import reverse
from django.utils import timezone

from accounts.models import Notification, NotificationKind, User
from accounts.services.notifications import key_of, notify, text_of
from tests.crm.test_pages import INLINE_CODE

HTMX = {"HTTP_HX_REQUEST": "true"}


def notification_for(user, message="Deal “Acme” has gone stale", *, read=False, age_minutes=0):
    created = timezone.now() - dt.timedelta(minutes=age_minutes)
    return Notification.objects.create(
        recipient=user,
        kind=NotificationKind.STALE_DEAL,
        message=message,
        url="/deals/1/",
        dedupe_key=f"test:{message}:{age_minutes}",
        created_at=created,
        read_at=created if read else None,
    )


@pytest.mark.parametrize("url_name", ["notifications", "notification_bell", "notifications_read"])
def test_anonymous_user_is_sent_to_login(client, db, url_name):
    response = client.get(reverse(url_name))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_list_shows_only_the_users_own_notifications_newest_first(client, alice, bob):
    notification_for(alice, "Older", age_minutes=10, read=True)
    notification_for(alice, "Newer")
    notification_for(bob, "Bob's own")
    client.force_login(alice)

    response = client.get(reverse("notifications"))

    assert response.status_code == 200
    assert [n.message for n in response.context["notifications"]] == ["Newer", "Older"]
    content = response.content.decode()
    assert "Bob&#x27;s own" not in content
    assert content.count("notification-unread") == 1
    assert reverse("notifications_read") in content


def test_list_query_count_does_not_grow_with_notifications(
    client, alice, django_assert_num_queries
):
    notification_for(alice, "First")
    client.force_login(alice)
    url = reverse("notifications")

    # Session, user, the page count, the page's rows, the unread count.
    with django_assert_num_queries(5):
        client.get(url)
    for number in range(40):
        notification_for(alice, f"More {number}", read=number % 2 == 0)
    with django_assert_num_queries(5):
        response = client.get(url)

    assert len(response.context["notifications"]) == 25
    assert response.context["page_obj"].paginator.count == 41


def test_bell_counts_unread_notifications_in_one_query(
    client, alice, bob, django_assert_num_queries
):
    notification_for(alice, "Unread")
    notification_for(alice, "Read", read=True)
    notification_for(bob, "Not hers")
    client.force_login(alice)

    with django_assert_num_queries(3):  # session, user, the count
        response = client.get(reverse("notification_bell"), **HTMX)

    content = response.content.decode()
    assert 'id="notification-bell"' in content
    assert "1 unread notification" in content
    assert 'hx-trigger="every 60s"' in content  # the swapped-in bell polls, never reloads


def test_every_page_has_the_bell_which_loads_its_count_without_a_query(client, alice):
    client.force_login(alice)

    content = client.get(reverse("forecasting:dashboard")).content.decode()

    assert 'id="notification-bell"' in content
    assert 'hx-trigger="load, every 60s"' in content
    assert "unread notification" not in content


def test_owner_marks_a_notification_read(client, alice):
    notification = notification_for(alice)
    client.force_login(alice)

    response = client.post(reverse("notification_read", args=[notification.pk]))

    assert response.status_code == 302
    assert response["Location"] == reverse("notifications")
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_marking_read_over_htmx_returns_the_row_and_the_bell(client, alice):
    notification = notification_for(alice)
    notification_for(alice, "Still unread")
    client.force_login(alice)

    response = client.post(reverse("notification_read", args=[notification.pk]), **HTMX)

    content = response.content.decode()
    assert f'id="notification-{notification.pk}"' in content
    assert "Mark as read" not in content
    assert 'hx-swap-oob="true"' in content
    assert "1 unread notification" in content


def test_reading_again_keeps_the_first_time(client, alice):
    notification = notification_for(alice, read=True)
    first = notification.read_at
    client.force_login(alice)

    client.post(reverse("notification_read", args=[notification.pk]))

    notification.refresh_from_db()
    assert notification.read_at == first


@pytest.mark.parametrize("reader", ["bob", "maria", "charlie", "ada"])
def test_nobody_else_marks_a_users_notification_read(client, request, alice, reader):
    notification = notification_for(alice)
    client.force_login(request.getfixturevalue(reader))

    response = client.post(reverse("notification_read", args=[notification.pk]))

    assert response.status_code == 404
    notification.refresh_from_db()
    assert notification.read_at is None


def test_marking_needs_a_post(client, alice):
    notification = notification_for(alice)
    client.force_login(alice)

    assert client.get(reverse("notification_read", args=[notification.pk])).status_code == 405
    assert client.get(reverse("notifications_read")).status_code == 405


def test_mark_all_read_marks_only_the_users_own(client, alice, bob):
    notification_for(alice, "One")
    notification_for(alice, "Two")
    others = notification_for(bob, "Bob's")
    client.force_login(alice)

    response = client.post(reverse("notifications_read"), {"page": "1"}, **HTMX)

    assert not Notification.objects.filter(recipient=alice, read_at__isnull=True).exists()
    others.refresh_from_db()
    assert others.read_at is None
    content = response.content.decode()
    assert 'id="notification-list"' in content
    assert "notification-unread" not in content
    assert 'hx-swap-oob="true"' in content


# --- notify: the nightly jobs' INSERT ... SELECT -------------------------------------------


def test_notify_inserts_one_notification_per_row_and_nothing_on_a_rerun(alice, bob, charlie):
    users = User.objects.filter(pk__in=[alice.pk, bob.pk])

    def send() -> int:
        return notify(
            users,
            kind=NotificationKind.ASSIGNMENT,
            recipient="pk",
            message=text_of("Welcome, %(name)s!", name=F("username")),
            url=Value("/leads/"),
            dedupe_key=key_of("welcome:", F("pk")),
        )

    assert send() == 2
    assert send() == 0

    rows = Notification.objects.order_by("recipient__username")
    assert [(n.recipient, n.message, n.url) for n in rows] == [
        (alice, "Welcome, alice!", "/leads/"),
        (bob, "Welcome, bob!", "/leads/"),
    ]
    assert rows[0].dedupe_key == f"welcome:{alice.pk}"


def test_notify_cuts_long_messages_to_fit(alice):
    alice.last_name = "x" * 150
    alice.save(update_fields=["last_name"])

    notify(
        User.objects.filter(pk=alice.pk),
        kind=NotificationKind.ASSIGNMENT,
        recipient="pk",
        message=text_of("%(name)s and %(name)s again", name=F("last_name")),
        dedupe_key=Value("long"),
    )

    assert len(Notification.objects.get().message) == 300


def test_notification_page_and_bell_have_no_inline_code_for_the_csp(client, alice):
    notification_for(alice)
    client.force_login(alice)

    for url in (reverse("notifications"), reverse("notification_bell")):
        assert not INLINE_CODE.search(client.get(url).content.decode()), url
