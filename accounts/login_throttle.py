"""Failed sign-ins counted per username and per client address, each with its own limit.

django-axes records every failed sign-in, on the login page and the admin's alike, in the
database (its default handler), which every web process shares whatever the cache. Once a
username or an address has too many failures within ``AXES_COOLOFF_TIME``, its sign-ins are
refused, the right password too, until that long has passed without another attempt.

axes compares one number, the largest failure count over its lockout parameters, with one
limit (``AXES_FAILURE_LIMIT``). An office behind one address needs a higher limit than a
single username does, so ``LOGIN_FAILURE_LIMITS`` gives each parameter its own, and the
handler reports every count scaled to ``AXES_FAILURE_LIMIT``: n failures against a limit L
count as ``n * AXES_FAILURE_LIMIT // L``, which reaches ``AXES_FAILURE_LIMIT`` exactly when
n reaches L.
"""

from __future__ import annotations

from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_lockout_parameters
from axes.utils import reset
from django.conf import settings
from django.db.models import QuerySet, Sum
from django.http import HttpRequest


class LoginThrottleHandler(AxesDatabaseHandler):
    """axes' database handler with a failure limit for each lockout parameter.

    Precondition: ``AXES_LOCKOUT_PARAMETERS`` lists single parameters (no combinations),
    each with its limit in ``LOGIN_FAILURE_LIMITS``.
    """

    def get_failures(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> int:
        limit = settings.AXES_FAILURE_LIMIT
        parameters = get_lockout_parameters(request, credentials)
        attempts = self.get_user_attempts(request, credentials)
        scaled = [
            _failures(matching) * limit // settings.LOGIN_FAILURE_LIMITS[parameter]
            for parameter, matching in zip(parameters, attempts, strict=True)
        ]
        return max(scaled, default=0)


def _failures(attempts: QuerySet[Any]) -> int:
    return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0


def forget_failed_sign_ins(*, username: str) -> int:
    """Clear the failures recorded for ``username`` (its addresses' stay); return how many.

    For a user who has just proved they own the account by resetting its password.
    """
    return reset(username=username)
