"""A forgotten password is reset by e-mail, through Django's flow with the site's own pages.

E-mails go to Django's locmem backend (``mailoutbox``); links are followed as a user would.
"""

import re

import pytest
from axes.models import AccessAttempt
from bs4 import BeautifulSoup
from django.contrib.auth import SESSION_KEY
from django.urls import reverse

from tests.factories import UserFactory

OLD_PASSWORD = "correct-horse-battery"  # what UserFactory sets
NEW_PASSWORD = "a-brand-new-Passphrase-9"
SITE_URL = "http://127.0.0.1:8000"  # crm/settings.py's default


def page_of(response) -> BeautifulSoup:
    return BeautifulSoup(response.content, "html.parser")


def ask_for_a_link(client, email: str):
    return client.post(reverse("password_reset"), {"email": email})


def link_in(message) -> str:
    (url,) = re.findall(rf"{re.escape(SITE_URL)}(/\S+)", message.body)
    return url


def set_password(client, link: str, password: str = NEW_PASSWORD):
    """Follow the e-mailed link to the form, as a browser does, and send the new password."""
    form_page = client.get(link, follow=True)
    response = client.post(
        form_page.redirect_chain[-1][0] if form_page.redirect_chain else link,
        {"new_password1": password, "new_password2": password},
    )
    return form_page, response


def sign_in(client, username: str, password: str):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_the_login_page_offers_a_forgotten_password_link(client, db):
    page = page_of(client.get(reverse("login")))

    link = page.find("a", string="Forgot password?")

    assert link["href"] == reverse("password_reset")


def test_the_reset_page_asks_for_an_email_in_the_site_layout(client, db):
    response = client.get(reverse("password_reset"))

    page = page_of(response)
    field = page.find("input", attrs={"name": "email"})
    assert response.status_code == 200
    assert page.h1.get_text(strip=True) == "Reset your password"
    assert field["type"] == "email"
    assert field["autocomplete"] == "email"
    assert page.find("link", rel="stylesheet", href="/static/css/app.css") is not None
    assert page.find("style") is None
    assert page.find(attrs={"style": True}) is None


def test_a_reset_goes_from_the_email_to_signing_in_with_the_new_password(
    client, alice, mailoutbox, settings
):
    settings.DEFAULT_FROM_EMAIL = "Pipeline CRM <crm@example.com>"

    # Given Alice asks for a link
    asked = ask_for_a_link(client, "alice@example.com")
    (message,) = mailoutbox
    # When she follows it and chooses a new password
    form_page, saved = set_password(client, link_in(message))
    complete = client.get(saved["Location"])

    # Then the e-mail was a plain-text one to her, with the link
    assert asked.status_code == 302
    assert asked["Location"] == reverse("password_reset_done")
    assert message.to == ["alice@example.com"]
    assert message.from_email == "Pipeline CRM <crm@example.com>"
    assert message.subject == "Reset your Pipeline CRM password"
    assert message.content_subtype == "plain"
    assert not getattr(message, "alternatives", [])
    assert "(alice)" in message.body
    # ... the link led to the form for her account ...
    assert page_of(form_page).h1.get_text(strip=True) == "Choose a new password"
    assert "For the account alice." in page_of(form_page).get_text()
    # ... and the new password works where the old one no longer does.
    assert saved.status_code == 302
    assert saved["Location"] == reverse("password_reset_complete")
    assert page_of(complete).find("a", string="Sign in")["href"] == reverse("login")
    assert sign_in(client, "alice", OLD_PASSWORD).status_code == 200
    assert SESSION_KEY not in client.session
    assert sign_in(client, "alice", NEW_PASSWORD).status_code == 302
    assert client.session[SESSION_KEY] == str(alice.pk)


def test_an_unknown_address_gets_the_same_answer_and_no_email(client, alice, mailoutbox):
    known = ask_for_a_link(client, "alice@example.com")
    known_page = client.get(known["Location"])
    unknown = ask_for_a_link(client, "nobody@example.com")
    unknown_page = client.get(unknown["Location"])

    assert (unknown.status_code, unknown["Location"]) == (known.status_code, known["Location"])
    assert page_of(unknown_page).main == page_of(known_page).main
    assert "If an account has the address you entered" in page_of(unknown_page).get_text()
    assert [message.to for message in mailoutbox] == [["alice@example.com"]]


def test_the_address_is_matched_whatever_its_case(client, alice, mailoutbox):
    ask_for_a_link(client, "Alice@Example.COM")

    assert [message.to for message in mailoutbox] == [["alice@example.com"]]


def test_an_inactive_user_gets_no_email(client, db, mailoutbox):
    UserFactory(username="gone", is_active=False)

    ask_for_a_link(client, "gone@example.com")

    assert mailoutbox == []


def test_a_used_link_is_refused_with_a_clear_page(client, alice, mailoutbox):
    ask_for_a_link(client, "alice@example.com")
    link = link_in(mailoutbox[0])
    set_password(client, link)

    _form_page, again = set_password(client, link, password="yet-another-Passphrase-7")

    page = page_of(again)
    assert again.status_code == 200
    assert page.h1.get_text(strip=True) == "Link no longer valid"
    assert "has already been used" in page.find(id="reset-refused").get_text()
    assert page.find("a", string="Ask for a new link")["href"] == reverse("password_reset")
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)


def test_a_tampered_link_is_refused_and_changes_nothing(client, alice, mailoutbox):
    ask_for_a_link(client, "alice@example.com")
    link = link_in(mailoutbox[0])
    tampered = link[:-3] + ("a" if link[-3] != "a" else "b") + link[-2:]

    form_page, refused = set_password(client, tampered)

    assert page_of(form_page).h1.get_text(strip=True) == "Link no longer valid"
    assert page_of(refused).h1.get_text(strip=True) == "Link no longer valid"
    alice.refresh_from_db()
    assert alice.check_password(OLD_PASSWORD)


def test_mismatched_passwords_are_refused_on_the_field(client, alice, mailoutbox):
    ask_for_a_link(client, "alice@example.com")
    form_page = client.get(link_in(mailoutbox[0]), follow=True)

    response = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD + "x"},
    )

    page = page_of(response)
    second = page.find("input", attrs={"name": "new_password2"})
    assert response.status_code == 200
    assert "is-invalid" in second["class"]
    assert "password fields didn" in page.find(id=second["aria-describedby"].split()[0]).get_text()


def test_a_reset_lifts_the_lockout_of_the_username(client, alice, mailoutbox):
    for _ in range(10):
        sign_in(client, "alice", "wrong")
    assert sign_in(client, "alice", OLD_PASSWORD).status_code == 429

    ask_for_a_link(client, "alice@example.com")
    set_password(client, link_in(mailoutbox[0]))

    assert not AccessAttempt.objects.filter(username="alice").exists()
    assert sign_in(client, "alice", NEW_PASSWORD).status_code == 302


@pytest.mark.parametrize("others", [0, 10])
def test_asking_for_a_link_costs_the_same_however_many_users_there_are(
    client, alice, mailoutbox, django_assert_num_queries, others
):
    for number in range(others):
        UserFactory(username=f"other{number}")

    # The users with that address; nothing else (no session for an anonymous visitor).
    with django_assert_num_queries(1):
        ask_for_a_link(client, "alice@example.com")

    assert len(mailoutbox) == 1


def test_a_user_created_without_a_password_sets_their_first_one(client, db, mailoutbox):
    # Given a user an import created: active, with an unusable password
    user = UserFactory(username="imported", email="imported@example.com")
    user.set_unusable_password()
    user.save()

    # When they ask for a link and follow it
    ask_for_a_link(client, "IMPORTED@example.com")
    _form_page, response = set_password(client, link_in(mailoutbox[0]))

    # Then they sign in with the password they chose
    assert response.status_code == 302
    assert sign_in(client, "imported", NEW_PASSWORD).status_code == 302
    assert client.session[SESSION_KEY] == str(user.pk)


def test_an_inactive_user_gets_no_link(client, db, mailoutbox):
    user = UserFactory(username="gone", email="gone@example.com", is_active=False)
    user.set_unusable_password()
    user.save()

    ask_for_a_link(client, "gone@example.com")

    assert mailoutbox == []
