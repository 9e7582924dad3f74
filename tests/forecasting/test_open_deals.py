"""The open-deal figures share one read of the scope's open deals, with the answers each
figure's definition gives."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from forecasting.coaching import coaching_table
from forecasting.periods import parse_period
from forecasting.scope import ReportScope
from forecasting.stages import open_by_stage
from forecasting.velocity import pipeline_coverage, sales_velocity
from tests.factories import OpportunityFactory, PipelineFactory, StageFactory

Q2 = parse_period("2026-Q2")
OPEN_FILTER = re.compile(r"(?<!\()\"pipeline_opportunity\"\.\"status\" = 'open'")


@pytest.fixture
def stages(db):
    pipeline = PipelineFactory(name="Sales", position=0)
    return {
        "early": StageFactory(pipeline=pipeline, name="Early", position=1, probability=20),
        "late": StageFactory(pipeline=pipeline, name="Late", position=2, probability=50),
    }


@pytest.fixture
def open_deals(stages, alice, bob):
    def deal(owner, stage, value, close, currency="EUR", stale=False):
        return OpportunityFactory(
            owner=owner,
            pipeline=stage.pipeline,
            stage=stage,
            value=Decimal(value),
            currency=currency,
            expected_close_date=close,
            stale_since=dt.date(2026, 4, 1) if stale else None,
        )

    deal(alice, stages["early"], "1000.00", dt.date(2026, 5, 1), stale=True)
    deal(alice, stages["late"], "400.00", dt.date(2026, 6, 30))
    deal(alice, stages["late"], "600.00", dt.date(2026, 7, 1))  # closes after Q2
    deal(bob, stages["late"], "300.00", dt.date(2026, 4, 1), currency="USD", stale=True)


def test_the_four_figures_read_the_open_deals_once(open_deals, stages, maria, alice, bob):
    scope = ReportScope(maria, Q2)

    with timezone.override("UTC"), CaptureQueriesContext(connection) as queries:
        by_stage = open_by_stage(scope)
        velocity = sales_velocity(scope)
        coverage = pipeline_coverage(scope)
        coaching = {row.person_id: row for row in coaching_table(scope)}

    # Each figure read them on its own before: four reads of open deals. (Closed-deal
    # figures say NOT ("status" = 'open').)
    open_reads = [q["sql"] for q in queries if OPEN_FILTER.search(q["sql"])]
    assert len(open_reads) == 1
    assert [(t.stage_name, t.currency, t.count, t.value, t.weighted) for t in by_stage] == [
        ("Early", "EUR", 1, Decimal("1000.00"), Decimal("200.00")),
        ("Late", "EUR", 2, Decimal("1000.00"), Decimal("500.00")),
        ("Late", "USD", 1, Decimal("300.00"), Decimal("150.00")),
    ]
    assert {v.currency: v.open_deals for v in velocity} == {"EUR": 3, "USD": 1}
    # Closing in Q2: 1000 x 20% + 400 x 50% in EUR; 300 x 50% in USD.
    assert {c.currency: c.weighted_open for c in coverage} == {
        "EUR": Decimal("400.00"),
        "USD": Decimal("150.00"),
    }
    assert (coaching[alice.pk].open_deals, coaching[alice.pk].stale_deals) == (3, 1)
    assert (coaching[bob.pk].open_deals, coaching[bob.pk].stale_deals) == (1, 1)


def test_a_pipeline_filter_narrows_the_shared_read(open_deals, stages, maria):
    other = StageFactory(pipeline=PipelineFactory(name="Renewals", position=1), position=1)
    OpportunityFactory(owner=maria, pipeline=other.pipeline, stage=other, value=Decimal("5"))

    everything = open_by_stage(ReportScope(maria, Q2))
    renewals = open_by_stage(ReportScope(maria, Q2, pipeline_id=other.pipeline_id))

    assert [t.pipeline_name for t in everything] == ["Sales", "Sales", "Sales", "Renewals"]
    assert [(t.pipeline_name, t.count, t.value) for t in renewals] == [
        ("Renewals", 1, Decimal("5.00"))
    ]
