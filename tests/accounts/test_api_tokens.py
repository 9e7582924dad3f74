"""Personal API tokens: issued once, stored as a hash, refused once revoked or expired.

Most requests go to a one-view URLconf below that uses the project's default DRF classes, so
these tests hold whatever endpoints the API grows; the last ones go through the real API.
"""

import datetime as dt
import hashlib
import uuid

import pytest
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import path, reverse
from django.utils import timezone
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import ApiToken
from accounts.services.tokens import issue_api_token, revoke_api_token, revoke_users_api_tokens
from tests.factories import OpportunityFactory

pytestmark = pytest.mark.urls("tests.accounts.test_api_tokens")


class WhoAmI(APIView):
    def get(self, request):
        token = request.auth if isinstance(request.auth, ApiToken) else None
        return Response({"username": request.user.username, "token": token and token.pk})

    def post(self, request):
        return self.get(request)


urlpatterns = [path("whoami/", WhoAmI.as_view()), path("admin/", admin.site.urls)]


@pytest.fixture(autouse=True)
def own_rate_limits(settings):
    """A cache of this test's own, so no other test's requests count against its tokens."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"api-tokens-{uuid.uuid4()}",
        }
    }


@pytest.fixture
def issued(alice):
    return issue_api_token(user=alice, name="Nightly sync", by=alice)


def call(client: Client, header: str):
    return client.get("/whoami/", headers={"Authorization": header})


# Issuing


def test_key_is_returned_once_and_only_its_hash_is_stored(issued):
    token = ApiToken.objects.get()

    assert len(issued.key) == 40
    assert token.key_hash == hashlib.sha256(issued.key.encode()).hexdigest()
    assert token.key_prefix == issued.key[:8]
    assert issued.key not in {token.name, token.key_prefix, token.key_hash}


def test_each_token_gets_its_own_key(alice):
    first = issue_api_token(user=alice, name="One", by=alice)
    second = issue_api_token(user=alice, name="Two", by=alice)

    assert first.key != second.key


@pytest.mark.parametrize(
    ("name", "expires_in", "field"),
    [
        ("   ", None, "name"),
        ("x" * 101, None, "name"),
        ("Old", dt.timedelta(days=-1), "expires_at"),
    ],
)
def test_bad_input_names_the_field_and_creates_nothing(alice, name, expires_in, field):
    expires_at = timezone.now() + expires_in if expires_in else None

    with pytest.raises(ValidationError) as error:
        issue_api_token(user=alice, name=name, expires_at=expires_at, by=alice)

    assert list(error.value.error_dict) == [field]
    assert not ApiToken.objects.exists()


def test_nobody_issues_a_token_for_someone_else(alice, ada):
    with pytest.raises(PermissionDenied):
        issue_api_token(user=alice, name="Impersonation", by=ada)


# Using a token


def test_bearer_key_authenticates_as_its_user(client, alice, issued):
    response = call(client, f"Bearer {issued.key}")

    assert response.status_code == 200
    assert response.json() == {"username": "alice", "token": issued.token.pk}


def test_drf_token_form_is_accepted_too(client, issued):
    assert call(client, f"Token {issued.key}").json()["username"] == "alice"


def test_no_credentials_answer_401_with_a_bearer_challenge(client, db):
    response = client.get("/whoami/")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("Bearer not-a-real-key", "Invalid API token."),
        ("Bearer", "Send the header as 'Authorization: Bearer <key>'"),
        ("Bearer two parts", "Send the header as 'Authorization: Bearer <key>'"),
    ],
)
def test_bad_keys_are_refused_with_a_clear_message(client, issued, header, message):
    response = call(client, header)

    assert response.status_code == 401
    assert response.json()["detail"].startswith(message)


def test_revoked_token_is_refused(client, alice, issued):
    revoke_api_token(token_id=issued.token.pk, by=alice)

    response = call(client, f"Bearer {issued.key}")

    assert response.status_code == 401
    assert response.json() == {"detail": "This API token has been revoked."}


def test_expired_token_is_refused(client, alice):
    issued = issue_api_token(
        user=alice, name="Short", expires_at=timezone.now() + dt.timedelta(days=1), by=alice
    )
    ApiToken.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))

    response = call(client, f"Bearer {issued.key}")

    assert response.status_code == 401
    assert response.json() == {"detail": "This API token has expired."}


def test_token_of_a_deactivated_user_is_refused(client, alice, issued):
    alice.is_active = False
    alice.save(update_fields=["is_active"])

    response = call(client, f"Bearer {issued.key}")

    assert response.status_code == 401
    assert response.json() == {"detail": "The user of this API token is inactive."}


def test_session_still_authenticates_api_requests(client, alice):
    client.force_login(alice)

    response = client.get("/whoami/")

    assert response.json() == {"username": "alice", "token": None}


def test_token_requests_need_no_csrf_token_but_session_requests_do(alice, issued):
    client = Client(enforce_csrf_checks=True)

    with_token = client.post("/whoami/", headers={"Authorization": f"Bearer {issued.key}"})
    client.force_login(alice)
    with_session = client.post("/whoami/")

    assert with_token.status_code == 200
    assert with_session.status_code == 403
    assert "CSRF" in with_session.json()["detail"]


def test_last_use_is_recorded_at_most_once_a_minute(client, issued, django_assert_num_queries):
    # The first call looks the token up and records its use; a second, seconds later, only
    # looks it up.
    with django_assert_num_queries(2):
        call(client, f"Bearer {issued.key}")
    first_use = ApiToken.objects.get().last_used_at
    with django_assert_num_queries(1):
        call(client, f"Bearer {issued.key}")
    assert ApiToken.objects.get().last_used_at == first_use

    two_minutes_ago = timezone.now() - dt.timedelta(minutes=2)
    ApiToken.objects.update(last_used_at=two_minutes_ago)
    call(client, f"Bearer {issued.key}")
    assert ApiToken.objects.get().last_used_at > two_minutes_ago


def test_token_request_costs_the_same_with_many_tokens(client, alice, django_assert_num_queries):
    issued = issue_api_token(user=alice, name="Mine", by=alice)
    call(client, f"Bearer {issued.key}")
    for number in range(20):
        issue_api_token(user=alice, name=f"Other {number}", by=alice)

    with django_assert_num_queries(1):
        assert call(client, f"Bearer {issued.key}").status_code == 200


# Revoking


def test_owner_revokes_a_token_once_for_good(alice, issued):
    first = revoke_api_token(token_id=issued.token.pk, by=alice).revoked_at
    again = revoke_api_token(token_id=issued.token.pk, by=alice).revoked_at

    assert first is not None
    assert again == first


@pytest.mark.parametrize("other", ["bob", "maria", "charlie", "ada"])
def test_nobody_else_revokes_a_users_token(request, issued, other):
    with pytest.raises(ApiToken.DoesNotExist):
        revoke_api_token(token_id=issued.token.pk, by=request.getfixturevalue(other))

    assert ApiToken.objects.get().revoked_at is None


def test_admin_revokes_any_users_tokens_in_the_django_admin(client, ada, issued):
    ada.is_superuser = True
    ada.save(update_fields=["is_superuser"])
    client.force_login(ada)
    url = reverse("admin:accounts_apitoken_changelist")

    listing = client.get(url)
    response = client.post(
        url, {"action": "revoke", admin.helpers.ACTION_CHECKBOX_NAME: [issued.token.pk]}
    )

    assert issued.token.key_hash not in listing.content.decode()
    assert response.status_code == 302
    assert ApiToken.objects.get().revoked_at is not None
    assert call(Client(), f"Bearer {issued.key}").status_code == 401


def test_only_admins_revoke_other_users_tokens(maria, issued):
    with pytest.raises(PermissionDenied):
        revoke_users_api_tokens(token_ids=[issued.token.pk], by=maria)


def test_token_change_page_never_shows_the_hash(client, ada, issued):
    ada.is_superuser = True
    ada.save(update_fields=["is_superuser"])
    client.force_login(ada)

    response = client.get(reverse("admin:accounts_apitoken_change", args=[issued.token.pk]))

    assert response.status_code == 200
    assert issued.token.key_prefix in response.content.decode()
    assert issued.token.key_hash not in response.content.decode()


# Through the real API


@pytest.mark.urls("crm.urls")
def test_a_token_sees_exactly_what_its_user_sees(client, alice, charlie, issued):
    own = OpportunityFactory(owner=alice)
    other_team = OpportunityFactory(owner=charlie)
    headers = {"Authorization": f"Bearer {issued.key}"}

    listed = client.get(reverse("api:opportunity-list"), headers=headers)
    foreign = client.get(reverse("api:opportunity-detail", args=[other_team.pk]), headers=headers)
    changed = client.patch(
        reverse("api:opportunity-detail", args=[other_team.pk]),
        {"title": "Mine now"},
        content_type="application/json",
        headers=headers,
    )

    assert listed.status_code == 200
    assert [row["id"] for row in listed.json()["results"]] == [own.pk]
    assert (foreign.status_code, changed.status_code) == (404, 404)
    other_team.refresh_from_db()
    assert other_team.title != "Mine now"


@pytest.mark.urls("crm.urls")
def test_a_revoked_token_is_refused_by_the_real_api(client, alice, issued):
    revoke_api_token(token_id=issued.token.pk, by=alice)

    response = client.get(
        reverse("api:opportunity-list"), headers={"Authorization": f"Bearer {issued.key}"}
    )

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
