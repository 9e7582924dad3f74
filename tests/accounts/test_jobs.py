"""The nightly pruning of sign-in records: the admin's trail is kept for a set number of days."""

import datetime as dt

from axes.models import AccessFailureLog, AccessLog

from accounts.jobs import prune_sign_in_records
from crm import nightly

DAY = dt.date(2026, 11, 30)
MIDNIGHT = dt.datetime(2026, 11, 30, tzinfo=dt.UTC)


def record(model, at):
    row = model.objects.create(username="alice", ip_address="192.0.2.1", user_agent="test")
    # attempt_time is auto_now_add: set the time the record pretends to have.
    model.objects.filter(pk=row.pk).update(attempt_time=at)
    return row


def test_records_older_than_the_kept_days_go_and_newer_ones_stay(db, settings):
    settings.SIGN_IN_RECORDS_KEPT_DAYS = 90
    cut_off = MIDNIGHT - dt.timedelta(days=90)
    old_sign_in = record(AccessLog, cut_off - dt.timedelta(microseconds=1))
    kept_sign_in = record(AccessLog, cut_off)
    old_failure = record(AccessFailureLog, cut_off - dt.timedelta(days=3))

    assert prune_sign_in_records(DAY) == 2

    assert list(AccessLog.objects.values_list("pk", flat=True)) == [kept_sign_in.pk]
    assert not AccessFailureLog.objects.filter(pk=old_failure.pk).exists()
    assert not AccessLog.objects.filter(pk=old_sign_in.pk).exists()


def test_a_second_run_for_the_same_day_deletes_nothing(db):
    record(AccessLog, MIDNIGHT - dt.timedelta(days=400))
    prune_sign_in_records(DAY)

    assert prune_sign_in_records(DAY) == 0


def test_the_nightly_run_prunes_sign_in_records(db):
    record(AccessLog, MIDNIGHT - dt.timedelta(days=400))

    run = nightly.run_nightly(day=DAY, only=["sign_in_records"])

    assert run.steps.get(job="sign_in_records").rows == 1
    assert not AccessLog.objects.exists()
