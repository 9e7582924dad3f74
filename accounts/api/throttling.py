"""Rate limits of the API: per token, per signed-in user, or per address for anonymous calls.

Two windows apply at once: a short burst limit that stops a runaway loop within seconds,
and a daily limit that bounds what one client may pull. Each API token has its own
allowance, so a user's nightly sync cannot starve the same user's other integrations;
session requests (the browsable API) count against the user. The counters live in Django's
cache, which must be shared by every web process (Redis in production) for a limit to mean
what it says. Rates come from ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` (``burst`` and
``sustained``), set from the environment in ``crm.settings``. The daily window is checked
first: when both are exhausted, the 429 names the longer wait, the one that really applies.
The burst window slides (DRF's log of request times, short at a burst's size); the daily
one is a counter that starts again at midnight UTC.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from accounts.models import ApiToken

if TYPE_CHECKING:
    # Not at run time: DRF imports this module while it defines APIView.
    from rest_framework.views import APIView


class ClientRateThrottle(SimpleRateThrottle):
    """Counts requests per API token, else per user, else per client address."""

    def get_rate(self) -> str | None:
        # Read at each request rather than bound at import, so settings overrides apply.
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def throttle_failure(self) -> bool:
        """Refuse with a 429 whose body says, in seconds, when to retry.

        Raised here rather than left to the view so that the answer carries
        ``retry_after`` whatever exception handler the project uses; ``Retry-After``
        carries the same number for HTTP clients that honour it.
        """
        expected = self.wait()
        wait = max(1, math.ceil(self.duration if expected is None else expected))
        # "Request was throttled. Expected available in N seconds.", translated by DRF.
        refusal = exceptions.Throttled(wait=wait)
        # Set after construction: DRF would turn the number into a string.
        refusal.detail = {"detail": refusal.detail, "retry_after": wait}
        raise refusal

    def get_cache_key(self, request: Request, view: APIView) -> str:
        if isinstance(request.auth, ApiToken):
            ident = f"token-{request.auth.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            ident = f"address-{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}


class BurstRateThrottle(ClientRateThrottle):
    scope = "burst"


class SustainedRateThrottle(ClientRateThrottle):
    """The long-window allowance, counted in fixed windows (a day's starts at 00:00 UTC).

    One atomic counter per client and window, where DRF's sliding log would read and
    rewrite the time of each of up to thousands of requests on every call (45 kB and about
    3 ms a request through Redis at 5,000 a day).
    """

    scope = "sustained"

    def allow_request(self, request: Request, view: APIView) -> bool:
        if self.rate is None:
            return True
        self.now = self.timer()
        window_start = int(self.now // self.duration) * self.duration
        self.window_end = window_start + self.duration
        key = f"{self.get_cache_key(request, view)}_{window_start}"
        timeout = math.ceil(self.window_end - self.now) + 1
        self.cache.add(key, 0, timeout)
        try:
            count = self.cache.incr(key)
        except ValueError:  # the counter expired between add and incr: a new window
            self.cache.add(key, 1, timeout)
            count = 1
        if count > self.num_requests:
            return self.throttle_failure()
        return True

    def wait(self) -> float:
        return self.window_end - self.now
