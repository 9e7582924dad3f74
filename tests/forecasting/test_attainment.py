"""Won against quota for a scope and per seller; open pipeline by stage. Answers by hand."""

import datetime as dt
from decimal import Decimal

import pytest

from forecasting.attainment import attainment, attainment_by_person
from forecasting.periods import parse_period
from forecasting.scope import ReportScope
from forecasting.stages import open_by_stage
from pipeline.models import OpportunityStatus, StageKind
from tests.factories import OpportunityFactory, PipelineFactory, QuotaFactory, StageFactory

Q2 = parse_period("2026-Q2")
MAY = dt.datetime(2026, 5, 4, 12, tzinfo=dt.UTC)


@pytest.fixture
def stages(db):
    pipeline = PipelineFactory(name="New", position=1)
    return {
        "early": StageFactory(pipeline=pipeline, name="Early", position=1, probability=25),
        "late": StageFactory(pipeline=pipeline, name="Late", position=2, probability=75),
        "won": StageFactory(pipeline=pipeline, kind=StageKind.WON, probability=100),
    }


def won(owner, stage, value, currency="EUR", closed_at=MAY):
    OpportunityFactory(
        owner=owner,
        stage=stage,
        status=OpportunityStatus.WON,
        value=Decimal(value),
        currency=currency,
        closed_at=closed_at,
    )


def quota(amount, currency="EUR", month=4, **owner):
    QuotaFactory(
        period_start=dt.date(2026, month, 1),
        period_end=dt.date(2026, month, 30),
        amount=Decimal(amount),
        currency=currency,
        **owner,
    )


def test_team_and_each_seller_against_their_quotas(maria, alice, bob, north, stages):
    won(alice, stages["won"], "3000.00")
    won(alice, stages["won"], "40.00", currency="USD")
    won(bob, stages["won"], "1000.00")
    won(bob, stages["won"], "7777.00", closed_at=MAY.replace(month=7))  # next quarter
    quota("8000.00", user=None, team=north)
    quota("4000.00", user=None, team=north, currency="USD", month=6)  # monthly quotas add up
    quota("6000.00", user=alice)
    quota("0.00", user=bob)

    scope = ReportScope(maria, Q2)
    team = {(a.currency, a.won_count, a.won, a.quota, a.percent) for a in attainment(scope)}
    people = attainment_by_person(scope)

    assert team == {
        ("EUR", 2, Decimal("4000.00"), Decimal("8000.00"), 50),
        ("USD", 1, Decimal("40.00"), Decimal("4000.00"), 1),
    }
    assert [(a.currency, a.won, a.quota, a.percent) for a in people[alice.pk]] == [
        ("EUR", Decimal("3000.00"), Decimal("6000.00"), 50),
        ("USD", Decimal("40.00"), None, None),
    ]
    # A zero quota: no percent, never a division by zero.
    assert [(a.won, a.quota, a.percent) for a in people[bob.pk]] == [
        (Decimal("1000.00"), Decimal("0.00"), None)
    ]
    assert people[maria.pk] == []


def test_open_pipeline_by_stage_in_stage_order_per_currency(alice, bob, charlie, stages):
    OpportunityFactory(owner=alice, stage=stages["late"], value=Decimal("100.00"))
    OpportunityFactory(owner=bob, stage=stages["late"], value=Decimal("300.00"))
    OpportunityFactory(owner=alice, stage=stages["early"], value=Decimal("10.00"), currency="USD")
    OpportunityFactory(owner=charlie, stage=stages["early"], value=Decimal("5000.00"))  # South
    won(alice, stages["won"], "999.00")  # not open

    totals = open_by_stage(ReportScope(alice, Q2).for_rep(alice.pk))
    team = open_by_stage(ReportScope(bob, Q2))

    assert [(t.stage_name, t.currency, t.count, t.value, t.weighted) for t in totals] == [
        ("Early", "USD", 1, Decimal("10.00"), Decimal("2.50")),
        ("Late", "EUR", 1, Decimal("100.00"), Decimal("75.00")),
    ]
    # A rep's scope is their own deals.
    assert [(t.stage_name, t.count, t.value) for t in team] == [("Late", 1, Decimal("300.00"))]
