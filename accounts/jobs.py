"""The accounts app's nightly job: forget sign-in records once they are no longer useful.

django-axes writes a row for every sign-in (and, when enabled, every failed one) for the
admin's audit trail; nothing else ever removes them. Failed attempts that count towards a
lockout are axes' own business: it drops them once their cool-off has passed.
"""

from __future__ import annotations

import datetime as dt

from axes.models import AccessFailureLog, AccessLog
from django.conf import settings


def prune_sign_in_records(day: dt.date) -> int:
    """Delete sign-in records older than ``SIGN_IN_RECORDS_KEPT_DAYS`` before ``day``."""
    kept_from = dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC) - dt.timedelta(
        days=settings.SIGN_IN_RECORDS_KEPT_DAYS
    )
    deleted = 0
    for model in (AccessLog, AccessFailureLog):
        count, _ = model.objects.filter(attempt_time__lt=kept_from).delete()
        deleted += count
    return deleted
