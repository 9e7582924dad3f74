"""``check --deploy`` warns when the cache that rate limits count in is not shared."""

import pytest
from django.core.checks import CheckMessage, run_checks

LOCMEM = "django.core.cache.backends.locmem.LocMemCache"
DUMMY = "django.core.cache.backends.dummy.DummyCache"
REDIS = "django.core.cache.backends.redis.RedisCache"


def cache_warnings(*, deploy: bool) -> list[CheckMessage]:
    messages = run_checks(tags=["caches"], include_deployment_checks=deploy)
    return [message for message in messages if message.id == "core.W001"]


@pytest.mark.parametrize("backend", [LOCMEM, DUMMY])
def test_a_process_local_cache_is_warned_about_under_deploy_checks(settings, backend):
    settings.CACHES = {"default": {"BACKEND": backend}}

    (warning,) = cache_warnings(deploy=True)

    assert backend.rpartition(".")[2] in warning.msg
    assert "API rate limits" in warning.msg
    assert "REDIS_URL" in warning.hint


def test_the_warning_says_each_process_lets_the_whole_limit_through(settings):
    settings.CACHES = {"default": {"BACKEND": LOCMEM}}

    (warning,) = cache_warnings(deploy=True)

    assert "count per process" in warning.msg


def test_a_shared_redis_cache_passes(settings):
    settings.CACHES = {"default": {"BACKEND": REDIS, "LOCATION": "redis://127.0.0.1:6379/1"}}

    assert cache_warnings(deploy=True) == []


def test_a_development_check_does_not_warn_about_the_cache(settings):
    settings.CACHES = {"default": {"BACKEND": LOCMEM}}

    assert cache_warnings(deploy=False) == []
