"""Failed sign-ins are throttled per username and per address, on the login page and the admin's.

Limits (crm/settings.py): 10 failures per username, 30 per address, for 15 minutes after the
last one. Time passes here by moving the recorded attempts back, not by sleeping.
"""

import datetime as dt

import pytest
from axes.helpers import get_client_ip_address
from axes.models import AccessAttempt
from bs4 import BeautifulSoup
from django.contrib.auth import SESSION_KEY
from django.db.models import F
from django.test import Client
from django.urls import reverse
from django.utils.formats import time_format
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from tests.accounts.proxies import settings_from_environment, trust_proxies
from tests.factories import UserFactory

PASSWORD = "correct-horse-battery"  # what UserFactory sets
USERNAME_LIMIT = 10
ADDRESS_LIMIT = 30
OFFICE = "198.51.100.20"
ELSEWHERE = "203.0.113.80"
LOGIN = "/accounts/login/"
ADMIN_LOGIN = "/admin/login/"


def sign_in(client: Client, username: str, password: str, *, path: str = LOGIN, **extra):
    return client.post(path, {"username": username, "password": password}, **extra)


def fail(client: Client, username: str, times: int, *, path: str = LOGIN, **extra):
    return [sign_in(client, username, "wrong", path=path, **extra) for _ in range(times)]


def lockout_message(response) -> str:
    page = BeautifulSoup(response.content, "html.parser")
    return page.find(id="lockout-message").get_text(" ", strip=True)


def is_login_form(response) -> bool:
    page = BeautifulSoup(response.content, "html.parser")
    return response.status_code == 200 and page.find("input", attrs={"name": "password"})


def let_time_pass(minutes: int) -> None:
    """As if ``minutes`` had passed since every recorded failure."""
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - dt.timedelta(minutes=minutes))


def test_thirty_wrong_passwords_lock_the_user_out_with_a_message(client, alice):
    responses = fail(client, "alice", 30)

    assert all(is_login_form(response) for response in responses[: USERNAME_LIMIT - 1])
    locked = responses[USERNAME_LIMIT - 1 :]
    assert {response.status_code for response in locked} == {429}
    last = locked[-1]
    assert last["Retry-After"] == str(15 * 60)
    message = lockout_message(last)
    assert "Signing in is paused for this account or this network for 15 minutes" in message
    assert "Try again after" in message
    assert "(UTC)" in message


def test_the_lockout_page_names_the_time_to_try_again_in_the_site_layout(client, alice):
    last = fail(client, "alice", USERNAME_LIMIT)[-1]

    page = BeautifulSoup(last.content, "html.parser")
    retry_at = time_format(last.wsgi_request.axes_attempt_time + dt.timedelta(minutes=15))
    assert page.h1.get_text(strip=True) == "Too many failed sign-ins"
    assert retry_at in lockout_message(last)
    assert page.find("link", rel="stylesheet", href="/static/css/app.css") is not None
    assert page.find("style") is None
    assert page.find(attrs={"style": True}) is None
    assert page.find("a", string="reset your password")["href"] == reverse("password_reset")


def test_the_right_password_is_refused_while_locked_and_accepted_after_the_cool_off(client, alice):
    fail(client, "alice", USERNAME_LIMIT)

    refused = sign_in(client, "alice", PASSWORD)
    let_time_pass(14)
    still_refused = sign_in(client, "alice", PASSWORD)
    let_time_pass(16)
    accepted = sign_in(client, "alice", PASSWORD)

    assert refused.status_code == still_refused.status_code == 429
    assert accepted.status_code == 302
    assert client.session[SESSION_KEY] == str(alice.pk)


def test_a_locked_username_does_not_lock_others_at_the_same_address(client, alice, bob):
    fail(client, "alice", USERNAME_LIMIT)

    response = sign_in(client, "bob", PASSWORD)

    assert response.status_code == 302
    assert client.session[SESSION_KEY] == str(bob.pk)


def test_a_locked_username_is_locked_from_every_address(client, alice):
    fail(client, "alice", USERNAME_LIMIT, REMOTE_ADDR=ELSEWHERE)

    response = sign_in(client, "alice", PASSWORD, REMOTE_ADDR=OFFICE)

    assert response.status_code == 429


def test_spraying_one_password_over_many_usernames_is_cut_off_per_address(client, db):
    UserFactory(username="victim")
    sprayed = [
        sign_in(client, f"user{number:02}", "Summer2026!", REMOTE_ADDR=OFFICE)
        for number in range(ADDRESS_LIMIT + 10)
    ]

    assert all(is_login_form(response) for response in sprayed[: ADDRESS_LIMIT - 1])
    assert {response.status_code for response in sprayed[ADDRESS_LIMIT - 1 :]} == {429}
    # The address is locked, whatever the username and password...
    assert sign_in(client, "victim", PASSWORD, REMOTE_ADDR=OFFICE).status_code == 429
    # ... and only the address: the same user elsewhere signs in.
    assert sign_in(client, "victim", PASSWORD, REMOTE_ADDR=ELSEWHERE).status_code == 302


def test_colleagues_behind_one_address_who_mistype_are_not_locked_out(client, db):
    for number in range(5):
        UserFactory(username=f"colleague{number}")
        fail(client, f"colleague{number}", 5, REMOTE_ADDR=OFFICE)  # 25 in all

    response = sign_in(client, "colleague0", PASSWORD, REMOTE_ADDR=OFFICE)

    assert response.status_code == 302


@pytest.fixture
def ada_superuser(ada):
    ada.is_superuser = True
    ada.save(update_fields=["is_superuser"])
    return ada


def test_the_admin_login_is_throttled_too(client, ada_superuser):
    responses = fail(client, "ada", USERNAME_LIMIT, path=ADMIN_LOGIN)

    refused = sign_in(client, "ada", PASSWORD, path=ADMIN_LOGIN)

    assert all(response.status_code == 200 for response in responses[:-1])
    assert responses[-1].status_code == refused.status_code == 429
    assert "Try again after" in lockout_message(refused)
    assert SESSION_KEY not in client.session


def test_failures_on_both_login_pages_count_together(client, ada_superuser):
    fail(client, "ada", USERNAME_LIMIT // 2, path=ADMIN_LOGIN)
    fail(client, "ada", USERNAME_LIMIT // 2, path=LOGIN)

    assert sign_in(client, "ada", PASSWORD, path=ADMIN_LOGIN).status_code == 429
    assert sign_in(client, "ada", PASSWORD, path=LOGIN).status_code == 429


# --- Attempts in the admin ----------------------------------------------------------------


def test_the_admin_lists_failed_attempts_and_deleting_them_unlocks(client, ada_superuser):
    stranger = Client()
    fail(stranger, "alice", USERNAME_LIMIT, REMOTE_ADDR=OFFICE)
    UserFactory(username="alice")
    client.force_login(ada_superuser)

    listing = client.get(reverse("admin:axes_accessattempt_changelist"))
    (attempt,) = AccessAttempt.objects.all()
    rows = BeautifulSoup(listing.content, "html.parser").select("#result_list tbody tr")
    row_text = rows[0].get_text(" ", strip=True)
    reset = client.post(
        reverse("admin:axes_accessattempt_changelist"),
        {"action": "delete_selected", "_selected_action": [attempt.pk], "post": "yes"},
    )

    assert listing.status_code == 200
    assert len(rows) == 1
    assert "alice" in row_text
    assert OFFICE in row_text
    assert str(USERNAME_LIMIT) in row_text
    assert "Locked Out" in row_text
    assert reset.status_code == 302
    assert not AccessAttempt.objects.exists()
    assert sign_in(stranger, "alice", PASSWORD, REMOTE_ADDR=OFFICE).status_code == 302


@pytest.mark.parametrize("users", [1, 10])
def test_the_attempts_list_costs_the_same_at_any_size(
    client, ada_superuser, django_assert_num_queries, users
):
    for number in range(users):
        fail(Client(), f"user{number}", 1)
    client.force_login(ada_superuser)

    # Session, user, the count and the unfiltered total, the admin's lead-policy link, the
    # page of attempts, the date hierarchy's range and days, the path filter's choices.
    with django_assert_num_queries(9):
        response = client.get(reverse("admin:axes_accessattempt_changelist"))

    assert response.status_code == 200


# --- The client's address behind a reverse proxy ------------------------------------------


def test_x_forwarded_for_is_ignored_by_default(client, db):
    UserFactory(username="victim")
    for number in range(ADDRESS_LIMIT):
        forged = f"192.0.2.{number}"
        sign_in(client, f"user{number}", "wrong", REMOTE_ADDR=OFFICE, HTTP_X_FORWARDED_FOR=forged)

    response = sign_in(
        client, "victim", PASSWORD, REMOTE_ADDR=OFFICE, HTTP_X_FORWARDED_FOR="192.0.2.250"
    )

    assert response.status_code == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {OFFICE}


PROXY = "10.0.0.2"


def test_behind_a_trusted_proxy_the_address_comes_from_its_header(
    client, db, settings, monkeypatch
):
    trust_proxies(settings, monkeypatch, 1)
    UserFactory(username="victim")
    # Every request comes from the proxy; it appends the address it got each one from. The
    # entries left of that are the client's own and prove nothing.
    for number in range(ADDRESS_LIMIT):
        sign_in(
            client,
            f"user{number}",
            "wrong",
            REMOTE_ADDR=PROXY,
            HTTP_X_FORWARDED_FOR=f"192.0.2.{number}, {OFFICE}",
        )

    from_the_office = sign_in(
        client, "victim", PASSWORD, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=OFFICE
    )
    from_elsewhere = sign_in(
        client, "victim", PASSWORD, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=ELSEWHERE
    )

    assert from_the_office.status_code == 429
    assert from_elsewhere.status_code == 302
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {OFFICE}


@pytest.mark.parametrize(
    ("proxies", "meta", "client_address"),
    [
        (0, {"REMOTE_ADDR": OFFICE}, OFFICE),
        (0, {"REMOTE_ADDR": OFFICE, "HTTP_X_FORWARDED_FOR": ELSEWHERE}, OFFICE),
        (1, {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": OFFICE}, OFFICE),
        (1, {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": f"{ELSEWHERE}, {OFFICE}"}, OFFICE),
        (1, {"REMOTE_ADDR": OFFICE}, OFFICE),  # past the proxy, straight to the app
        (2, {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": f"{OFFICE}, 10.9.9.9"}, OFFICE),
        (
            2,
            {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": f"{ELSEWHERE}, {OFFICE}, 10.9.9.9"},
            OFFICE,
        ),
    ],
)
def test_the_login_throttle_and_the_api_rate_limit_agree_on_the_address(
    rf, settings, monkeypatch, proxies, meta, client_address
):
    trust_proxies(settings, monkeypatch, proxies)
    request = rf.post(LOGIN, **meta)
    if "REMOTE_ADDR" in meta:
        request.META["REMOTE_ADDR"] = meta["REMOTE_ADDR"]

    assert get_client_ip_address(request) == client_address
    assert BaseThrottle().get_ident(Request(request)) == client_address


def test_trusted_proxy_count_defaults_to_none_and_refuses_a_negative_number(monkeypatch):
    default = settings_from_environment(monkeypatch)
    monkeypatch.delenv("TRUSTED_PROXY_COUNT", raising=False)

    assert default.REST_FRAMEWORK["NUM_PROXIES"] == 0
    assert default.AXES_IPWARE_META_PRECEDENCE_ORDER == ("REMOTE_ADDR",)
    with pytest.raises(Exception, match="TRUSTED_PROXY_COUNT must be 0 or more"):
        settings_from_environment(monkeypatch, TRUSTED_PROXY_COUNT="-1")
