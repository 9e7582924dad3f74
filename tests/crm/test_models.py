"""The database itself refuses invalid nightly runs, run steps and digest deliveries."""

import datetime as dt

import pytest

from crm.models import DigestDelivery, JobRun, JobRunStep, RunStatus
from tests.constraints import constraints_without_refusal_test, refused_by

NIGHT = dt.date(2026, 11, 23)


def start_run(day: dt.date = NIGHT, status: str = RunStatus.RUNNING) -> JobRun:
    return JobRun.objects.create(day=day, status=status)


def test_every_crm_constraint_has_a_refusal_test():
    assert constraints_without_refusal_test("crm", __file__) == []


# JobRun


@pytest.mark.django_db
def test_a_second_running_run_is_refused():
    start_run()

    with refused_by("job_run_one_running"):
        start_run(day=NIGHT + dt.timedelta(days=1))


@pytest.mark.django_db
def test_one_finished_run_and_one_running_run_are_accepted():
    start_run(status=RunStatus.OK)
    start_run()

    assert JobRun.objects.filter(status=RunStatus.RUNNING).count() == 1


@pytest.mark.django_db
def test_any_number_of_finished_runs_is_accepted():
    start_run(status=RunStatus.OK)
    start_run(status=RunStatus.OK)
    start_run(status=RunStatus.FAILED)

    assert JobRun.objects.count() == 3


@pytest.mark.django_db
def test_a_new_run_is_accepted_once_the_running_one_has_finished():
    first = start_run()
    JobRun.objects.filter(pk=first.pk).update(status=RunStatus.OK)

    start_run(day=NIGHT + dt.timedelta(days=1))

    assert JobRun.objects.filter(status=RunStatus.RUNNING).count() == 1


@pytest.mark.django_db
def test_unknown_run_status_is_refused():
    with refused_by("job_run_status_valid"):
        start_run(status="paused")


@pytest.mark.django_db
@pytest.mark.parametrize("status", RunStatus.values)
def test_every_run_status_is_accepted(status):
    run = start_run(status=status)

    assert JobRun.objects.get(pk=run.pk).status == status


# JobRunStep


@pytest.mark.django_db
def test_the_same_job_twice_in_one_run_is_refused():
    run = start_run()
    JobRunStep.objects.create(run=run, job="stale_deals")

    with refused_by("job_run_step_unique"):
        JobRunStep.objects.create(run=run, job="stale_deals")


@pytest.mark.django_db
def test_the_same_job_in_two_runs_and_two_jobs_in_one_run_are_accepted():
    first = start_run(status=RunStatus.OK)
    second = start_run()
    JobRunStep.objects.create(run=first, job="stale_deals")
    JobRunStep.objects.create(run=second, job="stale_deals")
    JobRunStep.objects.create(run=second, job="digests")

    assert JobRunStep.objects.count() == 3


@pytest.mark.django_db
def test_unknown_step_status_is_refused():
    run = start_run()

    with refused_by("job_run_step_status_valid"):
        JobRunStep.objects.create(run=run, job="stale_deals", status="skipped")


@pytest.mark.django_db
@pytest.mark.parametrize("status", RunStatus.values)
def test_every_step_status_is_accepted(status):
    step = JobRunStep.objects.create(run=start_run(), job="stale_deals", status=status)

    assert JobRunStep.objects.get(pk=step.pk).status == status


# DigestDelivery


@pytest.mark.django_db
def test_a_second_digest_for_one_user_and_day_is_refused(alice):
    DigestDelivery.objects.create(recipient=alice, day=NIGHT)

    with refused_by("digest_once_per_day"):
        DigestDelivery.objects.create(recipient=alice, day=NIGHT)


@pytest.mark.django_db
def test_the_same_users_digest_on_another_day_is_accepted(alice):
    DigestDelivery.objects.create(recipient=alice, day=NIGHT)
    DigestDelivery.objects.create(recipient=alice, day=NIGHT + dt.timedelta(days=1))

    assert DigestDelivery.objects.filter(recipient=alice).count() == 2


@pytest.mark.django_db
def test_digests_for_two_users_on_one_day_are_accepted(alice, bob):
    DigestDelivery.objects.create(recipient=alice, day=NIGHT)
    DigestDelivery.objects.create(recipient=bob, day=NIGHT)

    assert DigestDelivery.objects.filter(day=NIGHT).count() == 2
