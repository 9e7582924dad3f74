"""The database itself refuses invalid quotas, pipeline snapshots and forecast adjustments."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from forecasting.models import (
    DealDay,
    ForecastAdjustment,
    FunnelStage,
    ObservedFill,
    ObservedPeriod,
    PeriodKind,
    PipelineSnapshot,
    Quota,
    SnapshotReading,
    StayMonth,
    TaskDoneDay,
    TouchpointDay,
    WonCycleMonth,
)
from pipeline.models import Opportunity
from tests.constraints import constraints_without_refusal_test, refused_by
from tests.factories import OpportunityFactory, PipelineFactory, QuotaFactory, StageFactory

Q4_START = dt.date(2026, 10, 1)
NIGHT = dt.date(2026, 11, 3)


def snapshot(deal: Opportunity, taken_on: dt.date = NIGHT, **fields) -> PipelineSnapshot:
    fields.setdefault("probability", deal.stage.probability)
    return PipelineSnapshot.objects.create(
        taken_on=taken_on,
        opportunity=deal,
        pipeline=deal.pipeline,
        stage=deal.stage,
        owner=deal.owner,
        value=deal.value,
        currency=deal.currency,
        forecast_category=deal.forecast_category,
        expected_close_date=deal.expected_close_date,
        **fields,
    )


def test_every_forecasting_constraint_has_a_refusal_test():
    assert constraints_without_refusal_test("forecasting", __file__) == []


# Quota


def test_quota_for_a_user_and_a_team_at_once_is_refused(alice, north):
    with refused_by("quota_for_user_or_team"):
        QuotaFactory(user=alice, team=north)


@pytest.mark.django_db
def test_quota_for_nobody_is_refused():
    with refused_by("quota_for_user_or_team"):
        QuotaFactory(user=None, team=None)


def test_quota_for_a_user_or_for_a_team_is_accepted(alice, north):
    QuotaFactory(user=alice, team=None)
    QuotaFactory(user=None, team=north)

    assert Quota.objects.count() == 2


def test_model_validation_explains_a_quota_for_user_and_team(alice, north):
    quota = QuotaFactory.build(user=alice, team=north)

    with pytest.raises(ValidationError, match="for a user or a team, not both"):
        quota.full_clean()


def test_quota_ending_before_it_starts_is_refused(alice):
    with refused_by("quota_period_ordered"):
        QuotaFactory(user=alice, period_start=Q4_START, period_end=Q4_START - dt.timedelta(1))


def test_one_day_quota_period_is_accepted(alice):
    quota = QuotaFactory(user=alice, period_start=Q4_START, period_end=Q4_START)

    assert Quota.objects.get(pk=quota.pk).period_end == Q4_START


def test_negative_quota_is_refused(alice):
    with refused_by("quota_amount_not_negative"):
        QuotaFactory(user=alice, amount=Decimal("-1.00"))


def test_zero_quota_is_accepted(alice):
    quota = QuotaFactory(user=alice, amount=Decimal("0.00"))

    assert Quota.objects.get(pk=quota.pk).amount == Decimal("0.00")


def test_second_quota_for_a_user_in_one_period_is_refused(alice):
    QuotaFactory(user=alice, period_start=Q4_START)

    with refused_by("quota_unique_user_period"):
        QuotaFactory(user=alice, period_start=Q4_START)


def test_quotas_for_a_user_in_two_periods_are_accepted(alice):
    QuotaFactory(user=alice, period_start=Q4_START, period_end=dt.date(2026, 12, 31))
    QuotaFactory(user=alice, period_start=dt.date(2027, 1, 1), period_end=dt.date(2027, 3, 31))

    assert alice.quotas.count() == 2


def test_second_quota_for_a_team_in_one_period_is_refused(north):
    QuotaFactory(user=None, team=north, period_start=Q4_START)

    with refused_by("quota_unique_team_period"):
        QuotaFactory(user=None, team=north, period_start=Q4_START)


def test_quotas_for_two_teams_and_their_members_in_one_period_are_accepted(
    north, south, alice, charlie
):
    for team in (north, south):
        QuotaFactory(user=None, team=team, period_start=Q4_START)
    for user in (alice, charlie):
        QuotaFactory(user=user, team=None, period_start=Q4_START)

    assert Quota.objects.filter(period_start=Q4_START).count() == 4


def test_deleting_a_team_deletes_its_quotas(north, alice):
    QuotaFactory(user=None, team=north)
    QuotaFactory(user=alice)

    north.delete()

    assert list(Quota.objects.values_list("user", flat=True)) == [alice.pk]


# Pipeline snapshot


def test_second_snapshot_of_a_deal_in_one_night_is_refused(alice, stage):
    deal = OpportunityFactory(owner=alice, stage=stage)
    snapshot(deal, taken_on=NIGHT)

    with refused_by("snapshot_unique_per_night"):
        snapshot(deal, taken_on=NIGHT)


def test_snapshots_of_a_deal_on_two_nights_are_accepted(alice, stage):
    deal = OpportunityFactory(owner=alice, stage=stage)
    snapshot(deal, taken_on=NIGHT)
    snapshot(deal, taken_on=NIGHT + dt.timedelta(days=1))

    assert deal.snapshots.count() == 2


def test_snapshot_probability_above_100_is_refused(alice, stage):
    deal = OpportunityFactory(owner=alice, stage=stage)

    with refused_by("snapshot_probability_range"):
        snapshot(deal, probability=101)


@pytest.mark.parametrize("probability", [0, 100])
def test_snapshot_probability_at_the_bounds_is_accepted(alice, stage, probability):
    deal = OpportunityFactory(owner=alice, stage=stage)

    taken = snapshot(deal, probability=probability)

    assert PipelineSnapshot.objects.get(pk=taken.pk).probability == probability


def test_deleting_a_deal_deletes_its_snapshots(alice, stage):
    deal = OpportunityFactory(owner=alice, stage=stage)
    snapshot(deal)

    deal.delete()

    assert not PipelineSnapshot.objects.exists()


def adjustment(**fields):
    values = {
        "period": "2026-Q3",
        "category": "commit",
        "currency": "EUR",
        "previous_amount": Decimal("100.00"),
        "amount": Decimal("90.00"),
        **fields,
    }
    return ForecastAdjustment.objects.create(**values)


def test_adjustment_for_a_rep_and_a_team_at_once_is_refused(maria, alice, north):
    with refused_by("forecast_adjustment_rep_or_team"):
        adjustment(adjusted_by=maria, rep=alice, team=north)
    with refused_by("forecast_adjustment_rep_or_team"):
        adjustment(adjusted_by=maria)


def test_negative_adjustment_is_refused(maria, alice):
    with refused_by("forecast_adjustment_amounts_not_negative"):
        adjustment(adjusted_by=maria, rep=alice, amount=Decimal("-1.00"))


def test_adjustment_of_an_unknown_category_is_refused(maria, alice):
    with refused_by("forecast_adjustment_category_valid"):
        adjustment(adjusted_by=maria, rep=alice, category="closed")


def test_a_second_deal_day_row_for_one_key_is_refused(alice):
    row = {
        "zone": "UTC",
        "day": dt.date(2026, 1, 5),
        "owner": alice,
        "pipeline": PipelineFactory(),
        "currency": "EUR",
    }
    DealDay.objects.create(**row)
    with refused_by("deal_day_key"):
        DealDay.objects.create(**row)


def test_a_second_won_cycle_row_for_one_key_is_refused(alice):
    row = {
        "zone": "UTC",
        "month": dt.date(2026, 1, 1),
        "owner": alice,
        "pipeline": PipelineFactory(),
        "days": 4,
    }
    WonCycleMonth.objects.create(**row)
    with refused_by("won_cycle_month_key"):
        WonCycleMonth.objects.create(**row)


def test_a_second_funnel_row_for_one_key_is_refused(alice):
    pipeline = PipelineFactory()
    row = {
        "zone": "UTC",
        "period": PeriodKind.MONTH,
        "start": dt.date(2026, 1, 1),
        "owner": alice,
        "pipeline": pipeline,
        "stage": StageFactory(pipeline=pipeline),
    }
    FunnelStage.objects.create(**row)
    with refused_by("funnel_stage_key"):
        FunnelStage.objects.create(**row)


def test_a_funnel_row_of_an_unknown_period_is_refused(alice):
    pipeline = PipelineFactory()
    with refused_by("funnel_stage_period"):
        FunnelStage.objects.create(
            zone="UTC",
            period="week",
            start=dt.date(2026, 1, 5),
            owner=alice,
            pipeline=pipeline,
            stage=StageFactory(pipeline=pipeline),
        )


def test_a_second_stay_row_for_one_key_is_refused(alice):
    pipeline = PipelineFactory()
    row = {
        "zone": "UTC",
        "month": dt.date(2026, 1, 1),
        "owner": alice,
        "pipeline": pipeline,
        "stage": StageFactory(pipeline=pipeline),
        "days": 4,
    }
    StayMonth.objects.create(**row)
    with refused_by("stay_month_key"):
        StayMonth.objects.create(**row)


def test_a_second_observed_row_for_one_key_is_refused(alice):
    stage = StageFactory()
    row = {
        "zone": "UTC",
        "kind": "quarter",
        "start": dt.date(2026, 4, 1),
        "owner": alice,
        "pipeline": stage.pipeline,
        "stage": stage,
        "bucket": 1,
    }
    ObservedPeriod.objects.create(**row, observed=4, reached_won=1)
    # Another bucket, or the month starting the same day, is another row.
    ObservedPeriod.objects.create(**{**row, "bucket": 2})
    ObservedPeriod.objects.create(**{**row, "kind": "month"})
    with refused_by("observed_period_key"):
        ObservedPeriod.objects.create(**row, observed=5)


def test_a_second_fill_mark_for_one_owner_and_period_is_refused(alice, bob):
    mark = {"zone": "UTC", "kind": "month", "start": dt.date(2026, 4, 1)}
    ObservedFill.objects.create(**mark, owner=alice)
    ObservedFill.objects.create(**mark, owner=bob)
    with refused_by("observed_fill_key"):
        ObservedFill.objects.create(**mark, owner=alice)


def test_a_second_snapshot_reading_of_one_key_is_refused(db):
    key = {
        "kind": "movement",
        "first_night": dt.date(2026, 11, 1),
        "second_night": dt.date(2026, 11, 15),
        "period_start": dt.date(2026, 10, 1),
        "period_end": dt.date(2026, 12, 31),
    }
    SnapshotReading.objects.create(**key)
    # The same nights with another period's slip bounds are another reading.
    SnapshotReading.objects.create(**{**key, "period_end": dt.date(2026, 11, 30)})
    with refused_by("snapshot_reading_key"):
        SnapshotReading.objects.create(**key)


def test_a_second_touchpoint_day_row_for_one_key_is_refused(alice):
    row = {"zone": "UTC", "day": dt.date(2026, 1, 5), "person": alice, "kind": "call"}
    TouchpointDay.objects.create(**row, count=2)
    # Another kind the same day is another row.
    TouchpointDay.objects.create(**{**row, "kind": "email"}, count=1)
    with refused_by("touchpoint_day_key"):
        TouchpointDay.objects.create(**row, count=1)


def test_a_second_task_done_day_row_for_one_key_is_refused(alice):
    row = {"zone": "Europe/Berlin", "day": dt.date(2026, 1, 5), "person": alice}
    TaskDoneDay.objects.create(**row, done=1)
    TaskDoneDay.objects.create(**{**row, "zone": "UTC"}, done=1)
    with refused_by("task_done_day_key"):
        TaskDoneDay.objects.create(**row, done=3)
