"""The nightly pipeline snapshot: every open deal as it stands, once per day."""

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from forecasting.jobs import take_pipeline_snapshot
from forecasting.models import PipelineSnapshot
from pipeline.models import ForecastCategory, OpportunityStatus, StageKind
from tests.factories import OpportunityFactory, StageFactory

DAY = dt.date(2026, 11, 23)


def test_snapshot_copies_every_open_deal_with_its_stage_probability(alice, stage):
    deal = OpportunityFactory(
        owner=alice,
        stage=stage,
        value=Decimal("1234.50"),
        currency="CHF",
        expected_close_date=dt.date(2027, 1, 15),
        forecast_category=ForecastCategory.COMMIT,
    )
    won = StageFactory(pipeline=stage.pipeline, kind=StageKind.WON, probability=100)
    OpportunityFactory(
        owner=alice, stage=won, status=OpportunityStatus.WON, closed_at=timezone.now()
    )

    assert take_pipeline_snapshot(DAY) == 1

    snapshot = PipelineSnapshot.objects.get()
    assert (
        snapshot.taken_on,
        snapshot.opportunity,
        snapshot.pipeline,
        snapshot.stage,
        snapshot.owner,
        snapshot.value,
        snapshot.currency,
        snapshot.probability,
        snapshot.forecast_category,
        snapshot.expected_close_date,
    ) == (
        DAY,
        deal,
        stage.pipeline,
        stage,
        alice,
        Decimal("1234.50"),
        "CHF",
        20,
        ForecastCategory.COMMIT,
        dt.date(2027, 1, 15),
    )


def test_second_snapshot_of_the_same_day_adds_nothing(alice, stage):
    deal = OpportunityFactory(owner=alice, stage=stage)
    take_pipeline_snapshot(DAY)
    deal.value = Decimal("99.00")
    deal.save(update_fields=["value"])

    assert take_pipeline_snapshot(DAY) == 0
    assert take_pipeline_snapshot(DAY + dt.timedelta(days=1)) == 1
    assert list(PipelineSnapshot.objects.order_by("taken_on").values_list("value", flat=True)) == [
        Decimal("1000.00"),
        Decimal("99.00"),
    ]
