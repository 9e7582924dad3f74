"""Signing in and out through Django's auth views with the styled login page."""

from django.contrib.auth import SESSION_KEY
from django.urls import reverse

from tests.factories import UserFactory

PASSWORD = "correct-horse-battery"  # what UserFactory sets


def test_login_page_renders_the_form(client, db):
    response = client.get(reverse("login"))

    content = response.content.decode()
    assert response.status_code == 200
    assert 'name="username"' in content
    assert 'autocomplete="current-password"' in content
    assert "Pipeline CRM" in content


def test_user_with_a_password_logs_in_and_lands_on_home(client, alice):
    response = client.post(reverse("login"), {"username": "alice", "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert client.session[SESSION_KEY] == str(alice.pk)


def test_login_follows_next_within_the_site_only(client, alice):
    leads = reverse("contacts:lead_list")

    inside = client.post(
        reverse("login"), {"username": "alice", "password": PASSWORD, "next": leads}
    )
    client.logout()
    outside = client.post(
        reverse("login"),
        {"username": "alice", "password": PASSWORD, "next": "https://evil.example/"},
    )

    assert inside["Location"] == leads
    assert outside["Location"] == reverse("home")


def test_wrong_password_shows_an_error(client, alice):
    response = client.post(reverse("login"), {"username": "alice", "password": "nope"})

    assert response.status_code == 200
    assert SESSION_KEY not in client.session
    assert "correct username and password" in response.content.decode()


def test_inactive_user_cannot_log_in(client, db):
    UserFactory(username="gone", is_active=False)

    client.post(reverse("login"), {"username": "gone", "password": PASSWORD})

    assert SESSION_KEY not in client.session


def test_signed_in_user_visiting_login_goes_home(client, alice):
    client.force_login(alice)

    response = client.get(reverse("login"))

    assert response.status_code == 302
    assert response["Location"] == reverse("home")


def test_logout_is_post_only(client, alice):
    client.force_login(alice)

    response = client.get(reverse("logout"))

    assert response.status_code == 405
    assert client.session[SESSION_KEY] == str(alice.pk)


def test_logout_by_post_signs_out_and_returns_to_login(client, alice):
    client.force_login(alice)

    response = client.post(reverse("logout"))

    assert response.status_code == 302
    assert response["Location"] == reverse("login")
    assert SESSION_KEY not in client.session


def test_every_page_has_a_logout_form_that_posts(client, alice):
    client.force_login(alice)

    content = client.get(reverse("contacts:lead_list")).content.decode()

    assert f'<form action="{reverse("logout")}" method="post">' in content
