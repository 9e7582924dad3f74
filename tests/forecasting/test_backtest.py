"""The backtest replays snapshots against what closed; answers worked out by hand."""

import datetime as dt
from decimal import Decimal

from forecasting.backtest import BacktestPoint, BacktestRow, backtest
from forecasting.models import PipelineSnapshot
from forecasting.periods import parse_period
from forecasting.rollup_reads import rollup_zone
from forecasting.rollup_upkeep import rebuild
from forecasting.scope import ReportScope
from pipeline.models import ForecastCategory
from tests.forecasting.histories import at, deal_with, make_stages

Q3 = parse_period("2026-Q3")
Q2_START = dt.date(2026, 4, 1)


def snapshot(deal, stage, category=ForecastCategory.PIPELINE):
    PipelineSnapshot.objects.create(
        taken_on=Q2_START,
        opportunity=deal,
        pipeline=stage.pipeline,
        stage=stage,
        owner=deal.owner,
        value=deal.value,
        currency=deal.currency,
        probability=stage.probability,
        forecast_category=category,
        expected_close_date=dt.date(2026, 6, 15),
    )


def replay_history(stages, north_rep, south_rep):
    """Offer really wins one deal in five within a quarter."""
    # What Q2's start knew: five deals in Offer when Q1 began, one won in Q1.
    for index in range(5):
        outcome = ("won", at(2026, 2, 1)) if index == 0 else ("lost", at(2026, 2, 1))
        deal_with(stages, north_rep, [("offer", at(2025, 12, 20)), outcome])
    # Q2: five North deals of 1,000 in Offer at its start, the first a commit; one is won.
    for index in range(5):
        moves = [("offer", at(2026, 3, 20))]
        if index == 0:
            moves.append(("won", at(2026, 5, 20)))
        deal = deal_with(stages, north_rep, moves)
        snapshot(deal, stages["offer"], ForecastCategory.COMMIT if index == 0 else "pipeline")
    # South: one deal of 2,000 in Offer, won.
    deal = deal_with(
        stages,
        south_rep,
        [("offer", at(2026, 3, 25)), ("won", at(2026, 6, 1))],
        value=Decimal("2000.00"),
    )
    snapshot(deal, stages["offer"])


def methods(row):
    return {m.method: (m.periods, m.mape, m.bias) for m in row.methods}


def test_wrong_configured_probabilities_lose_to_the_observed_ones(db, alice, charlie, ada):
    # Given Offer configured at 90 % while history shows 20 %
    stages = make_stages(offer=90)
    replay_history(stages, alice, charlie)

    # When the admin backtests Q3's window (only Q2 has snapshots)
    total, north, south = backtest(ReportScope(ada, Q3))

    # Whole scope: 3,000 won. Configured 7,000 x 0.9 = 6,300 (+110 %); observed
    # 7,000 x 0.2 = 1,400 (-53.3 %); commit 1,000 (-66.7 %).
    assert (total.team_id, total.currency) == (None, "EUR")
    [point] = total.points
    assert (point.period, point.actual) == ("2026-Q2", Decimal("3000.00"))
    assert point.forecasts == {
        "configured": Decimal("6300.00"),
        "observed": Decimal("1400.00"),
        "commit": Decimal("1000.00"),
    }
    assert methods(total) == {
        "configured": (1, Decimal("110.0"), Decimal("110.0")),
        "observed": (1, Decimal("53.3"), Decimal("-53.3")),
        "commit": (1, Decimal("66.7"), Decimal("-66.7")),
    }
    # North: 1,000 won; configured 4,500 (+350 %), observed 1,000 (0 %).
    assert north.team_name == "North"
    assert methods(north)["configured"] == (1, Decimal("350.0"), Decimal("350.0"))
    assert methods(north)["observed"] == (1, Decimal("0.0"), Decimal("0.0"))
    assert north.best_method == "observed"
    # South: 2,000 won; configured 1,800 (-10 %), observed 400 (-80 %).
    assert south.team_name == "South"
    assert methods(south)["configured"] == (1, Decimal("10.0"), Decimal("-10.0"))
    assert methods(south)["observed"] == (1, Decimal("80.0"), Decimal("-80.0"))


def test_the_wins_read_from_rollups_are_those_the_deals_give(db, alice, charlie, ada):
    stages = make_stages(offer=90)
    replay_history(stages, alice, charlie)
    from_deals = backtest(ReportScope(ada, Q3))

    rebuild()
    scope = ReportScope(ada, Q3)
    from_rollups = backtest(scope)

    assert rollup_zone(scope) == "UTC"
    assert from_rollups == from_deals
    assert [row.points[0].actual for row in from_rollups] == [
        Decimal("3000.00"),
        Decimal("1000.00"),
        Decimal("2000.00"),
    ]


def test_right_configured_probabilities_are_as_accurate_as_history(db, alice, charlie, maria):
    # Given Offer configured at 20 %, what history shows
    stages = make_stages(offer=20)
    replay_history(stages, alice, charlie)

    # When North's manager backtests: South is not theirs
    rows = backtest(ReportScope(maria, Q3))

    assert [(row.team_id is None, row.team_name) for row in rows] == [(True, ""), (False, "North")]
    # 5,000 x 0.2 = 1,000 = what was won, by either method.
    assert methods(rows[0])["configured"] == (1, Decimal("0.0"), Decimal("0.0"))
    assert methods(rows[0])["observed"] == (1, Decimal("0.0"), Decimal("0.0"))


def test_without_snapshots_nothing_is_replayed(db, alice, maria):
    stages = make_stages()
    deal_with(stages, alice, [("offer", at(2026, 3, 20)), ("won", at(2026, 5, 20))])

    assert backtest(ReportScope(maria, Q3)) == []


def test_query_count_does_not_grow_with_snapshots(
    db, alice, charlie, ada, django_assert_num_queries
):
    stages = make_stages()

    def count_with(rounds):
        for _ in range(rounds):
            replay_history(stages, alice, charlie)
        # Observed chances for Q2 (stages, whether the zone is kept: it is not, so also not
        # for the wins; 4 quarters counted), the stored snapshot readings and their rows,
        # wins, teams.
        backtest(ReportScope(ada, Q3))  # the snapshot readings, read once for every owner
        with django_assert_num_queries(10):
            backtest(ReportScope(ada, Q3))

    count_with(1)
    count_with(4)


def test_a_period_with_nothing_won_has_no_error():
    row = BacktestRow(team_id=None, team_name="", currency="EUR")
    row.points.append(
        BacktestPoint(
            "2026-Q2",
            Decimal("0.00"),
            dict.fromkeys(("configured", "observed", "commit"), Decimal("5.00")),
        )
    )
    assert methods(row)["configured"] == (0, None, None)
    assert row.best_method is None
