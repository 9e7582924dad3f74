"""API rate limits: counted per token (not per address), answered with a clear 429.

Rates are lowered per test; each test gets an empty cache of its own so counters never leak
from one test to the next.
"""

import os
import time
import uuid

import pytest
import redis
from django.test import Client
from django.urls import path
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.throttling import SustainedRateThrottle
from accounts.services.tokens import issue_api_token
from tests.accounts.proxies import trust_proxies

pytestmark = pytest.mark.urls("tests.accounts.test_throttling")


class Ping(APIView):
    def get(self, request):
        return Response({"pong": True})


class PublicPing(Ping):
    permission_classes = (AllowAny,)


urlpatterns = [path("ping/", Ping.as_view()), path("public/", PublicPing.as_view())]


@pytest.fixture(autouse=True)
def rates(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"throttling-{uuid.uuid4()}",
        }
    }
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"burst": "3/min", "sustained": "5/day"},
    }


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def ping(client: Client, key: str, times: int = 1):
    return [client.get("/ping/", headers=bearer(key)) for _ in range(times)][-1]


def test_burst_over_the_limit_answers_429_with_retry_after(client, alice):
    key = issue_api_token(user=alice, name="Sync", by=alice).key

    allowed = ping(client, key, times=3)
    refused = ping(client, key)

    assert allowed.status_code == 200
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 60
    assert refused.json() == {
        "detail": f"Request was throttled. Expected available in {refused['Retry-After']} seconds.",
        "retry_after": int(refused["Retry-After"]),
    }


def test_each_token_has_its_own_allowance_from_the_same_address(client, alice):
    sync = issue_api_token(user=alice, name="Sync", by=alice).key
    report = issue_api_token(user=alice, name="Report", by=alice).key

    assert ping(client, sync, times=4).status_code == 429
    assert ping(client, report).status_code == 200


def test_other_users_are_not_held_back_by_one_users_loop(client, alice, bob):
    alice_key = issue_api_token(user=alice, name="Loop", by=alice).key
    bob_key = issue_api_token(user=bob, name="Sync", by=bob).key

    ping(client, alice_key, times=4)

    assert ping(client, bob_key).status_code == 200


def test_daily_allowance_reports_the_longer_wait(settings, client, alice):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"burst": "2/min", "sustained": "2/day"},
    }
    key = issue_api_token(user=alice, name="Sync", by=alice).key

    refused = ping(client, key, times=3)

    # Both windows are spent: the day's, not the minute's, says when to come back, which is
    # when the day's allowance starts again at midnight UTC.
    until_midnight = 24 * 60 * 60 - time.time() % (24 * 60 * 60)
    assert refused.status_code == 429
    assert abs(int(refused["Retry-After"]) - until_midnight) <= 2
    assert refused.json()["retry_after"] == int(refused["Retry-After"])


def test_daily_allowance_counts_refused_calls_and_restarts_each_day(
    settings, client, alice, monkeypatch
):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"burst": "100/min", "sustained": "2/day"},
    }
    key = issue_api_token(user=alice, name="Sync", by=alice).key
    day = 24 * 60 * 60
    late_evening = (time.time() // day) * day + day - 10
    monkeypatch.setattr(SustainedRateThrottle, "timer", lambda self: late_evening)

    statuses = [ping(client, key).status_code for _ in range(3)]
    monkeypatch.setattr(SustainedRateThrottle, "timer", lambda self: late_evening + 20)

    assert statuses == [200, 200, 429]
    assert ping(client, key).status_code == 200


def test_session_requests_count_against_the_user(client, alice):
    client.force_login(alice)

    responses = [client.get("/ping/") for _ in range(4)]

    assert [response.status_code for response in responses] == [200, 200, 200, 429]


def test_anonymous_requests_count_per_address(db):
    here = Client(REMOTE_ADDR="192.0.2.1")
    there = Client(REMOTE_ADDR="192.0.2.2")

    assert [here.get("/public/").status_code for _ in range(4)][-1] == 429
    assert there.get("/public/").status_code == 200


def test_a_forged_forwarded_for_header_buys_no_more_requests(db):
    here = Client(REMOTE_ADDR="192.0.2.1")

    statuses = [
        here.get("/public/", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").status_code for n in range(4)
    ]

    assert statuses == [200, 200, 200, 429]


def test_behind_a_trusted_proxy_anonymous_requests_count_per_forwarded_address(
    db, settings, monkeypatch
):
    trust_proxies(settings, monkeypatch, 1)
    proxy = Client(REMOTE_ADDR="10.0.0.2")

    here = [proxy.get("/public/", HTTP_X_FORWARDED_FOR="192.0.2.1") for _ in range(4)]
    there = proxy.get("/public/", HTTP_X_FORWARDED_FOR="192.0.2.2")

    assert here[-1].status_code == 429
    assert there.status_code == 200


def test_refused_requests_do_not_reach_the_database(client, alice, django_assert_num_queries):
    key = issue_api_token(user=alice, name="Sync", by=alice).key
    ping(client, key, times=3)

    # Only the token lookup: the throttle answers from the cache.
    with django_assert_num_queries(1):
        assert ping(client, key).status_code == 429


@pytest.mark.services
def test_limits_hold_across_processes_through_the_redis_cache(settings, client, alice):
    # Every web process reads and writes the same counters: here, in the real Redis.
    prefix = f"throttling-test-{uuid.uuid4()}"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
            "KEY_PREFIX": prefix,
        }
    }
    key = issue_api_token(user=alice, name="Sync", by=alice).key

    try:
        statuses = [ping(client, key).status_code for _ in range(6)]
    finally:
        redis_client = redis.Redis.from_url(os.environ["REDIS_URL"])
        for counter in redis_client.scan_iter(f"{prefix}:*"):
            redis_client.delete(counter)
        redis_client.close()

    # 3 a minute, 5 a day: the fourth call is refused by the minute's window.
    assert statuses == [200, 200, 200, 429, 429, 429]
