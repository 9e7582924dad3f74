"""A failed CSRF check gets the site's own 403 page, and browsers get a favicon."""

import xml.etree.ElementTree as ET

import pytest
from bs4 import BeautifulSoup
from django.test import Client
from django.urls import reverse

from crm.security import DEFAULT_POLICY

PASSWORD = "correct-horse-battery"  # what UserFactory sets


@pytest.fixture
def strict_client() -> Client:
    """A client that, like a browser, is held to the CSRF check (the test client is not)."""
    return Client(enforce_csrf_checks=True)


def assert_allowed_by_the_policy(page: BeautifulSoup) -> None:
    """Nothing the Content-Security-Policy would block: inline styles or scripts."""
    assert page.find("style") is None
    assert page.find(attrs={"style": True}) is None
    assert all(script.get("src") for script in page.find_all("script"))


def test_a_form_posted_without_the_token_gets_the_sites_403_page(strict_client, alice):
    response = strict_client.post(reverse("login"), {"username": "alice", "password": PASSWORD})

    page = BeautifulSoup(response.content, "html.parser")
    assert response.status_code == 403
    assert page.h1.get_text(strip=True) == "Your form could not be sent"
    assert "nothing was saved" in page.main.get_text(" ", strip=True)
    assert page.find("a", href=reverse("login")).get_text(strip=True) == "Go to the sign-in page"
    assert page.find("link", rel="stylesheet", href="/static/css/app.css") is not None
    assert response["Content-Security-Policy"] == DEFAULT_POLICY
    assert_allowed_by_the_policy(page)
    # Nothing happened: the right password did not sign anyone in.
    assert "_auth_user_id" not in strict_client.session


def cause_and_advice(response) -> tuple[str, str]:
    page = BeautifulSoup(response.content, "html.parser")
    return page.find(id="csrf-cause").get_text(), page.find(id="csrf-advice").get_text()


def test_without_the_cookie_the_page_says_cookies_are_off(strict_client, db):
    response = strict_client.post(reverse("login"), {"username": "alice"})

    cause, advice = cause_and_advice(response)
    assert "cookies are probably turned off" in cause
    assert advice == "Allow cookies for this site, reload the page and send the form again."


def test_with_a_stale_token_the_page_says_to_reload(strict_client, db):
    strict_client.get(reverse("login"))  # the cookie, as a browser has it

    response = strict_client.post(reverse("login"), {"csrfmiddlewaretoken": "x" * 32})

    cause, advice = cause_and_advice(response)
    assert response.status_code == 403
    assert "The page was probably out of date" in cause
    assert advice.startswith("Go back, reload the page and send the form again.")


def test_over_https_without_a_referer_the_page_names_the_header(strict_client, db):
    token = strict_client.get(reverse("login"), secure=True).cookies["csrftoken"].value

    response = strict_client.post(reverse("login"), {"csrfmiddlewaretoken": token}, secure=True)

    cause, advice = cause_and_advice(response)
    assert response.status_code == 403
    assert "Referer" in cause
    assert advice.startswith("Allow the Referer header for this site")


def test_a_signed_in_user_gets_the_page_in_the_layout_with_a_way_back(strict_client, alice):
    strict_client.force_login(alice)

    response = strict_client.post(reverse("logout"))

    page = BeautifulSoup(response.content, "html.parser")
    assert response.status_code == 403
    assert page.find("nav", attrs={"aria-label": "Main navigation"}) is not None
    assert page.find("a", href=reverse("home"), string="Back to the board") is not None
    assert_allowed_by_the_policy(page)
    assert strict_client.session["_auth_user_id"] == str(alice.pk)


def test_the_page_sets_a_fresh_token_so_a_reload_and_retry_works(strict_client, alice):
    refused = strict_client.post(reverse("login"), {"username": "alice", "password": PASSWORD})
    token = refused.cookies["csrftoken"].value

    retried = strict_client.post(
        reverse("login"),
        {"username": "alice", "password": PASSWORD, "csrfmiddlewaretoken": token},
    )

    assert retried.status_code == 302
    assert strict_client.session["_auth_user_id"] == str(alice.pk)


@pytest.mark.parametrize("debug", [False, True])
def test_the_reason_is_shown_only_with_debug(strict_client, db, settings, debug):
    settings.DEBUG = debug

    response = strict_client.post(reverse("login"), {})

    assert ("CSRF cookie not set" in response.content.decode()) is debug


@pytest.fixture
def static_files_served(settings):
    # Tests run without collectstatic: let WhiteNoise find files where they are written.
    settings.WHITENOISE_USE_FINDERS = True


@pytest.mark.usefixtures("static_files_served")
def test_favicon_ico_leads_to_the_svg_icon(client, db):
    response = client.get("/favicon.ico")
    icon = client.get(response["Location"])

    assert response.status_code == 302
    assert response["Location"] == "/static/favicon.svg"
    assert icon.status_code == 200
    assert icon["Content-Type"] == "image/svg+xml"
    svg = ET.fromstring(b"".join(icon.streaming_content))
    assert svg.tag == "{http://www.w3.org/2000/svg}svg"


@pytest.mark.usefixtures("static_files_served")
def test_pages_link_the_icon(client, alice):
    login_page = client.get(reverse("login"))
    client.force_login(alice)
    leads_page = client.get(reverse("contacts:lead_list"))

    for response in [login_page, leads_page]:
        link = BeautifulSoup(response.content, "html.parser").find("link", rel="icon")

        assert link["type"] == "image/svg+xml"
        assert client.get(link["href"]).status_code == 200
