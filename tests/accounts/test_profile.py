"""The profile page: one's own settings, and API tokens created, listed and revoked there."""

import re

import pytest
from django.urls import reverse

from accounts.models import ApiToken
from accounts.services.tokens import hash_key, issue_api_token
from tests.crm.test_pages import INLINE_CODE

HTMX = {"HX-Request": "true"}
# Session, user, the user's team (in the header), the user's tokens: the same with 2 tokens
# as with 12.
PROFILE_QUERIES = 4
NEW_KEY = re.compile(r'value="([^"]+)" readonly')


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


def profile_data(**changes):
    data = {
        "first_name": "Alice",
        "last_name": "Adams",
        "email": "alice@example.com",
        "time_zone": "Europe/Rome",
        "daily_digest": "on",
    }
    return {name: value for name, value in (data | changes).items() if value is not None}


# The page


def test_anonymous_visitor_is_sent_to_login(client, db):
    url = reverse("profile")

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={url}"


def test_user_menu_links_to_the_profile(alice_client):
    content = alice_client.get(reverse("profile")).content.decode()

    assert f'href="{reverse("profile")}"' in content


def test_page_lists_only_ones_own_tokens(alice_client, alice, bob):
    issue_api_token(user=alice, name="Alice's sync", by=alice)
    issue_api_token(user=bob, name="Bob's sync", by=bob)

    content = alice_client.get(reverse("profile")).content.decode()

    assert "Alice&#x27;s sync" in content
    assert "Bob&#x27;s sync" not in content


def test_page_has_no_inline_code(alice_client, alice):
    issued = issue_api_token(user=alice, name="Sync", by=alice)
    response = alice_client.post(reverse("create_api_token"), {"name": "Report"})

    for content in (alice_client.get(reverse("profile")).content, response.content):
        assert INLINE_CODE.search(content.decode()) is None
    assert issued.token.key_hash not in alice_client.get(reverse("profile")).content.decode()


@pytest.mark.parametrize("token_count", [2, 12])
def test_page_queries_do_not_grow_with_tokens(
    alice_client, alice, token_count, django_assert_num_queries
):
    for number in range(token_count):
        issue_api_token(user=alice, name=f"Script {number}", by=alice)

    with django_assert_num_queries(PROFILE_QUERIES):
        response = alice_client.get(reverse("profile"))

    assert len(response.context["tokens"]) == token_count


# Settings


def test_user_saves_name_email_time_zone_and_digest(alice_client, alice):
    response = alice_client.post(reverse("profile"), profile_data(daily_digest=None))

    assert response.status_code == 302
    alice.refresh_from_db()
    assert (alice.first_name, alice.last_name, alice.email) == (
        "Alice",
        "Adams",
        "alice@example.com",
    )
    assert alice.time_zone == "Europe/Rome"
    assert alice.daily_digest is False


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"time_zone": "Mars/Olympus_Mons"}, "time_zone"),
        ({"email": "not-an-address"}, "email"),
        ({"email": ""}, "daily_digest"),
    ],
)
def test_bad_input_names_the_field_and_saves_nothing(alice_client, alice, changes, field):
    before = (alice.first_name, alice.email, alice.time_zone)

    response = alice_client.post(reverse("profile"), profile_data(**changes))

    assert response.status_code == 422
    assert list(response.context["profile_form"].errors) == [field]
    assert f'aria-describedby="id_{field}_error"' in response.content.decode()
    assert f'id="id_{field}_error"' in response.content.decode()
    alice.refresh_from_db()
    assert (alice.first_name, alice.email, alice.time_zone) == before


def test_the_page_shows_times_in_the_chosen_zone_after_saving(alice_client, alice):
    alice_client.post(reverse("profile"), profile_data(time_zone="Asia/Jakarta"))

    content = alice_client.get(reverse("profile")).content.decode()

    assert "Times shown in Asia/Jakarta" in content


# Tokens: create


def test_created_key_is_shown_once(alice_client, alice):
    response = alice_client.post(reverse("create_api_token"), {"name": "Sync"}, headers=HTMX)

    assert response.status_code == 201
    (key,) = NEW_KEY.findall(response.content.decode())
    token = ApiToken.objects.get()
    assert (token.user, token.name, token.key_hash) == (alice, "Sync", hash_key(key))
    assert key in response.content.decode()
    assert 'id="api-tokens"' in response.content.decode()
    assert "<html" not in response.content.decode()  # the section only
    assert key not in alice_client.get(reverse("profile")).content.decode()


def test_a_token_can_be_created_without_javascript(alice_client):
    response = alice_client.post(reverse("create_api_token"), {"name": "Sync", "expires_in": "30"})

    assert response.status_code == 201
    assert response.context["issued"].key in response.content.decode()
    assert ApiToken.objects.get().expires_at is not None


def test_token_without_a_name_is_refused_in_place(alice_client):
    response = alice_client.post(reverse("create_api_token"), {"name": ""}, headers=HTMX)

    assert response.status_code == 422
    assert "This field is required." in response.content.decode()
    assert 'id="api-tokens"' in response.content.decode()
    assert not ApiToken.objects.exists()


# Tokens: revoke


def test_owner_revokes_a_token_in_place(alice_client, alice):
    token = issue_api_token(user=alice, name="Sync", by=alice).token

    response = alice_client.post(reverse("revoke_api_token", args=[token.pk]), headers=HTMX)

    assert response.status_code == 200
    content = response.content.decode()
    assert content.strip().startswith(f'<tr id="token-{token.pk}">')
    assert "revoked" in content
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_revoking_without_javascript_returns_to_the_profile(alice_client, alice):
    token = issue_api_token(user=alice, name="Sync", by=alice).token

    response = alice_client.post(reverse("revoke_api_token", args=[token.pk]))

    assert response.status_code == 302
    assert response["Location"] == reverse("profile") + "#api-tokens"


@pytest.mark.parametrize("other", ["bob", "maria", "charlie", "ada"])
def test_nobody_revokes_another_users_token(client, request, alice, other):
    token = issue_api_token(user=alice, name="Sync", by=alice).token
    client.force_login(request.getfixturevalue(other))

    response = client.post(reverse("revoke_api_token", args=[token.pk]), headers=HTMX)

    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_revoking_takes_a_post(alice_client, alice):
    token = issue_api_token(user=alice, name="Sync", by=alice).token

    assert alice_client.get(reverse("revoke_api_token", args=[token.pk])).status_code == 405


def test_revoke_costs_the_same_whatever_the_number_of_tokens(
    alice_client, alice, django_assert_num_queries
):
    tokens = [issue_api_token(user=alice, name=f"T{n}", by=alice).token for n in range(12)]
    url = reverse("revoke_api_token", args=[tokens[0].pk])

    # Session, user, savepoint, the token locked, UPDATE, release.
    with django_assert_num_queries(6):
        alice_client.post(url, headers=HTMX)
