"""The coaching table: every seller's figures and where they fall behind the median."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from forecasting.coaching import CoachingRow, coaching_table, mark_behind
from forecasting.periods import parse_period
from forecasting.scope import ReportScope
from pipeline.models import OpportunityStatus, StageKind
from tests.factories import (
    OpportunityFactory,
    PipelineFactory,
    StageFactory,
    TaskFactory,
    TouchpointFactory,
)

Q2 = parse_period("2026-Q2")
MAY = dt.datetime(2026, 5, 4, 12, tzinfo=dt.UTC)


@pytest.fixture
def stages(db):
    pipeline = PipelineFactory()
    return {
        "open": StageFactory(pipeline=pipeline, probability=50),
        "won": StageFactory(pipeline=pipeline, kind=StageKind.WON, probability=100),
        "lost": StageFactory(pipeline=pipeline, kind=StageKind.LOST, probability=0),
    }


def won(owner, stage, value, days):
    OpportunityFactory(
        owner=owner,
        stage=stage,
        status=OpportunityStatus.WON,
        value=Decimal(value),
        closed_at=MAY,
        created_at=MAY - dt.timedelta(days=days),
    )


def lost(owner, stage):
    OpportunityFactory(
        owner=owner, stage=stage, status=OpportunityStatus.LOST, closed_at=MAY, lost_reason="Price"
    )


def test_each_seller_of_the_team_with_their_figures(maria, alice, bob, charlie, stages):
    # Alice: won 2 (10 and 20 days; 1,000 and 3,000), lost 2, 3 open of which 1 stale,
    # 2 calls in May, 1 overdue task. Bob: won 1 (40 days, 500), 1 open. Maria: nothing.
    won(alice, stages["won"], "1000.00", 10)
    won(alice, stages["won"], "3000.00", 20)
    lost(alice, stages["lost"])
    lost(alice, stages["lost"])
    first = OpportunityFactory(owner=alice, stage=stages["open"], stale_since=dt.date(2026, 5, 1))
    OpportunityFactory.create_batch(2, owner=alice, stage=stages["open"])
    TouchpointFactory.create_batch(2, opportunity=first, at=MAY)
    TaskFactory(opportunity=first, overdue_since=timezone.localdate())
    won(bob, stages["won"], "500.00", 40)
    OpportunityFactory(owner=bob, stage=stages["open"])
    won(charlie, stages["won"], "99999.00", 1)  # South: not Maria's

    rows = {row.person_id: row for row in coaching_table(ReportScope(maria, Q2))}

    assert set(rows) == {alice.pk, bob.pk, maria.pk}
    a, b, m = rows[alice.pk], rows[bob.pk], rows[maria.pk]
    assert (a.open_deals, a.won, a.lost, a.win_rate) == (3, 2, 2, Decimal("0.5000"))
    assert (a.cycle_days, a.average_won) == (Decimal("15.0"), {"EUR": Decimal("2000.00")})
    assert (a.activity, a.stale_deals, a.overdue_tasks) == (2, 1, 1)
    assert (b.open_deals, b.won, b.lost, b.win_rate, b.cycle_days) == (
        1,
        1,
        0,
        Decimal("1.0000"),
        Decimal("40.0"),
    )
    assert (m.open_deals, m.win_rate, m.cycle_days, m.average_won) == (0, None, None, {})
    # Medians: open 1 (0, 1, 3); win rate 0.75 (0.5, 1); cycle 27.5 (15, 40); average won
    # 1,250 EUR (500, 2,000); touchpoints 0; stale 0; overdue 0.
    assert a.behind == {"win_rate", "stale_deals", "overdue_tasks"}
    assert b.behind == {"cycle_days", "average_won:EUR"}
    assert m.behind == {"open_deals"}


def row(name, **figures):
    return CoachingRow(person_id=hash(name), name=name, **figures)


def test_nobody_is_behind_alone_and_missing_figures_are_never_marked():
    alone = [row("solo", win_rate=Decimal("0.1"), stale_deals=9)]
    mark_behind(alone)
    assert alone[0].behind == set()

    rows = [
        row("a", win_rate=None, cycle_days=Decimal("5")),
        row("b", win_rate=Decimal("0.2"), cycle_days=None),
        row("c", win_rate=Decimal("0.8"), cycle_days=Decimal("50")),
    ]
    mark_behind(rows)
    # Win rates of b and c only (median 0.5); cycles of a and c only (median 27.5).
    assert [r.behind for r in rows] == [set(), {"win_rate"}, {"cycle_days"}]


def test_average_won_is_compared_within_its_currency_only():
    rows = [
        row("a", average_won={"EUR": Decimal("100"), "USD": Decimal("9000")}),
        row("b", average_won={"EUR": Decimal("300")}),
        row("c", average_won={"USD": Decimal("1")}),
    ]
    mark_behind(rows)

    assert [r.behind for r in rows] == [{"average_won:EUR"}, set(), {"average_won:USD"}]
