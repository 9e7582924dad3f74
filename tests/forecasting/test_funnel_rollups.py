"""The funnel and time-in-stage rollups: what a stage history adds (answers written by
hand), kept exact by the services and imports, and read by ``stage_flow`` with the same
figures as the history gives."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import F, Value
from django.utils import timezone

from forecasting.days import WholeDays
from forecasting.funnel import stage_flow
from forecasting.models import FunnelStage, ReportZone, StayMonth
from forecasting.periods import month_of, parse_period
from forecasting.rollup_reads import funnel_zone, rollup_zone
from forecasting.rollup_rows import (
    FUNNEL_STAGE,
    STAY_MONTH,
    DealFacts,
    StageVisit,
    tally,
    whole_days,
)
from forecasting.rollup_upkeep import drift, rebuild
from forecasting.scope import ReportScope
from pipeline.models import StageChange, StageKind
from pipeline.services.moves import move_opportunity
from pipeline.services.stages import delete_stage, reorder_stages
from tests.factories import StageFactory
from tests.forecasting.histories import deal_with
from tests.forecasting.test_rollups import edit, move, new_deal

UTC = dt.UTC
NY = "America/New_York"
OPEN, WON, LOST = StageKind.OPEN.value, StageKind.WON.value, StageKind.LOST.value


def utc(month, day, hour=12, year=2026):
    return dt.datetime(year, month, day, hour, tzinfo=UTC)


def visit(pk, at, stage_id, kind, position):
    return StageVisit(at=at, pk=pk, stage_id=stage_id, kind=kind, position=position)


# Qualify (1, open, position 1), Offer (2, open, 2), Lost (4, lost, 4): Qualify on 30 Mar,
# Offer on 1 Apr at 02:00 UTC (31 Mar, 22:00 in New York), back to Qualify 10 Apr, lost 4 May.
BACK_AND_FORTH = DealFacts(
    pk=1,
    owner_id=7,
    pipeline_id=9,
    currency="EUR",
    value=Decimal("100.00"),
    status="lost",
    created_at=utc(3, 30),
    closed_at=utc(5, 4),
    first_engaged_at=None,
    changes=(
        visit(11, utc(3, 30), 1, OPEN, 1),
        visit(12, utc(4, 1, hour=2), 2, OPEN, 2),
        visit(13, utc(4, 10), 1, OPEN, 1),
        visit(14, utc(5, 4), 4, LOST, 4),
    ),
)


def funnel_rows(zone):
    rows = tally([BACK_AND_FORTH], [zone]).rows[FUNNEL_STAGE]
    return {(key[2], key[3], key[5]): sums for key, sums in rows.items()}


def stay_rows(zone):
    rows = tally([BACK_AND_FORTH], [zone]).rows[STAY_MONTH]
    return {(key[2], key[4], key[5]): sums for key, sums in rows.items()}


def test_a_deal_moving_back_and_forth_counts_once_per_stage_and_period_in_utc():
    assert funnel_rows("UTC") == {
        # Qualify in March, then Offer (higher): advanced; Offer, then back: not advanced.
        ("month", dt.date(2026, 3, 1), 1): [1, 1, 0],
        ("month", dt.date(2026, 4, 1), 2): [1, 0, 0],
        ("month", dt.date(2026, 4, 1), 1): [1, 0, 0],
        ("quarter", dt.date(2026, 1, 1), 1): [1, 1, 0],
        ("quarter", dt.date(2026, 4, 1), 2): [1, 0, 0],
        ("quarter", dt.date(2026, 4, 1), 1): [1, 0, 0],
    }


def test_stays_that_ended_and_straddled_a_month_end_in_utc():
    assert stay_rows("UTC") == {
        # Qualify 30 Mar 12:00 to 1 Apr 02:00: 1 day 14 h, and 1 day 12 h at March's end.
        (dt.date(2026, 4, 1), 1, 1): [1, 0],
        (dt.date(2026, 3, 1), 1, 1): [0, 1],
        # Offer 1 Apr 02:00 to 10 Apr 12:00: 9 days 10 h, within April.
        (dt.date(2026, 4, 1), 2, 9): [1, 0],
        # Qualify 10 Apr to 4 May: 24 days; 20 days 12 h at April's end.
        (dt.date(2026, 5, 1), 1, 24): [1, 0],
        (dt.date(2026, 4, 1), 1, 20): [0, 1],
    }


def test_months_and_stays_are_bounded_at_midnight_in_the_zone():
    # New York (UTC-4 then): Offer was entered on 31 March, so in March and Q1.
    assert funnel_rows(NY) == {
        ("month", dt.date(2026, 3, 1), 1): [1, 1, 0],
        ("month", dt.date(2026, 3, 1), 2): [1, 0, 0],
        ("month", dt.date(2026, 4, 1), 1): [1, 0, 0],
        ("quarter", dt.date(2026, 1, 1), 1): [1, 1, 0],
        ("quarter", dt.date(2026, 1, 1), 2): [1, 0, 0],
        ("quarter", dt.date(2026, 4, 1), 1): [1, 0, 0],
    }
    assert stay_rows(NY) == {
        (dt.date(2026, 3, 1), 1, 1): [1, 0],  # Qualify ended within March
        (dt.date(2026, 4, 1), 2, 9): [1, 0],
        # March ended at 04:00 UTC, two hours after Offer was entered: 0 days.
        (dt.date(2026, 3, 1), 2, 0): [0, 1],
        (dt.date(2026, 5, 1), 1, 24): [1, 0],
        # April ended at 04:00 UTC on 1 May: 20 days 16 h after 10 Apr 12:00 UTC.
        (dt.date(2026, 4, 1), 1, 20): [0, 1],
    }


def test_changes_at_one_instant_are_not_later_than_each_other():
    # Offer and Won recorded at the same instant: Won is not after the Offer entry.
    tied = BACK_AND_FORTH._replace(
        changes=(
            visit(11, utc(4, 1), 1, OPEN, 1),
            visit(12, utc(4, 20), 2, OPEN, 2),
            visit(13, utc(4, 20), 3, WON, 3),
        )
    )
    rows = tally([tied], ["UTC"]).rows
    months = {key[5]: sums for key, sums in rows[FUNNEL_STAGE].items() if key[2] == "month"}
    assert months == {1: [1, 1, 1], 2: [1, 0, 0]}
    # The Offer stay ended at once: 0 days.
    assert {key[4:]: sums for key, sums in rows[STAY_MONTH].items()} == {
        (1, 19): [1, 0],
        (2, 0): [1, 0],
    }


def test_whole_days_round_down_elapsed_time_as_the_database_does(db, alice):
    assert whole_days(utc(4, 2) - dt.timedelta(seconds=1), utc(4, 1)) == 0
    assert whole_days(utc(4, 2), utc(4, 1)) == 1
    # The same spans counted by the database (SQLite's julianday keeps milliseconds only).
    stages = {"open": StageFactory(), "won": StageFactory(kind=StageKind.WON, probability=100)}
    deal = deal_with(stages, alice, [("open", utc(4, 1))])
    days = (
        StageChange.objects.filter(opportunity=deal)
        .annotate(
            short=WholeDays(Value(utc(4, 2) - dt.timedelta(seconds=1)), F("at")),
            exact=WholeDays(Value(utc(4, 2)), F("at")),
        )
        .values_list("short", "exact")
        .get()
    )
    assert tuple(int(value) for value in days) == (0, 1)


# --- kept by the services, read by stage_flow ---------------------------------------------


@pytest.fixture
def funnel(db):
    from tests.factories import PipelineFactory

    pipeline = PipelineFactory(name="Sales", position=0)
    return {
        "pipeline": pipeline,
        "qualify": StageFactory(pipeline=pipeline, name="Qualify", position=1, probability=20),
        "offer": StageFactory(pipeline=pipeline, name="Offer", position=2, probability=60),
        "won": StageFactory(
            pipeline=pipeline, name="Won", position=3, kind=StageKind.WON, probability=100
        ),
        "lost": StageFactory(
            pipeline=pipeline, name="Lost", position=4, kind=StageKind.LOST, probability=0
        ),
    }


@pytest.fixture
def histories(funnel, alice, bob):
    # Back and forth: Qualify 1 Apr, Offer 11 Apr, Qualify 25 Apr, still there.
    back = deal_with(funnel, bob, [("qualify", utc(4, 5)), ("offer", utc(4, 15))])
    StageChange.objects.create(opportunity=back, to_stage=funnel["qualify"], at=utc(4, 25))
    back.stage, back.stage_entered_at = funnel["qualify"], utc(4, 25)
    back.save(update_fields=["stage", "stage_entered_at"])
    # Lost and reopened and won: Qualify 1 May, lost 31 May, Offer 10 Jun, won 30 Jun.
    deal_with(
        funnel,
        alice,
        [("qualify", utc(5, 1)), ("lost", utc(5, 31)), ("offer", utc(6, 10)), ("won", utc(6, 30))],
    )
    # Won straight through, over a month end: Qualify 20 Jan, Offer 3 Mar, won 1 Apr.
    deal_with(funnel, alice, [("qualify", utc(1, 20)), ("offer", utc(3, 3)), ("won", utc(4, 1))])
    # Entered Qualify in a past quarter and still there: a stay going on since February.
    return {"waiting": deal_with(funnel, bob, [("qualify", utc(2, 2, hour=23))])}


PERIODS = ["2026-Q1", "2026-Q2", "2026-Q4", "2026-02", "2026-04", "2026-06", "2026-12"]


def live_and_rolled_up(user, token, now, zone="UTC"):
    """``stage_flow`` from the rollups, then from the history (the zone made not ready)."""
    with timezone.override(zone):
        scope = ReportScope(user, parse_period(token))
        assert rollup_zone(scope) == zone
        rolled_up = stage_flow(scope, now=now)
        ReportZone.objects.update(ready=False)
        live = stage_flow(ReportScope(user, parse_period(token)), now=now)
        ReportZone.objects.update(ready=True)
    return rolled_up, live


def test_rollups_give_the_figures_the_history_gives(histories, maria):
    rebuild()
    assert drift() == []
    for token in PERIODS:
        # Times after every change, as now always is.
        for now in (utc(7, 1), utc(7, 1) + dt.timedelta(hours=11), timezone.now()):
            rolled_up, live = live_and_rolled_up(maria, token, now)
            assert rolled_up == live, (token, now)


def test_rollups_in_another_zone_give_the_figures_the_history_gives(histories, alice, maria):
    maria.time_zone = NY
    maria.save(update_fields=["time_zone"])
    rebuild()
    assert set(ReportZone.objects.values_list("name", flat=True)) == {NY, "UTC"}
    for token in PERIODS:
        rolled_up, live = live_and_rolled_up(maria, token, utc(7, 1), zone=NY)
        assert rolled_up == live, token


def test_the_read_figures_are_those_written_by_hand(histories, maria):
    rebuild()
    with timezone.override("UTC"):
        flows = {
            flow.stage_name: flow
            for flow in stage_flow(ReportScope(maria, parse_period("2026-Q2")), now=utc(8, 1))
        }
    # Qualify entered in Q2 by the back-and-forth and the reopened deal; the reopened one
    # was won from it, the other advanced to Offer. Offer: both entered, one won.
    assert (flows["Qualify"].entered, flows["Qualify"].advanced, flows["Qualify"].won) == (2, 2, 1)
    assert (flows["Offer"].entered, flows["Offer"].advanced, flows["Offer"].won) == (2, 1, 1)
    # Qualify stays ending in Q2 or going at its end: 10 (5-15 Apr), 30 (1-31 May), 66
    # (25 Apr-1 Jul), 148 (2 Feb 23:00-1 Jul): median 48, 80th percentile 66 + 0.4 x 82.
    assert (flows["Qualify"].median_days, flows["Qualify"].p80_days) == (
        Decimal("48.0"),
        Decimal("98.8"),
    )
    # Offer: 29 (3 Mar-1 Apr), 10 (15-25 Apr), 20 (10-30 Jun): median 20, p80 25.4.
    assert (flows["Offer"].median_days, flows["Offer"].p80_days) == (
        Decimal("20.0"),
        Decimal("25.4"),
    )


def test_an_entry_in_a_past_quarter_advanced_today_counts_as_advanced(histories, bob, maria):
    rebuild()
    q1 = ReportScope(maria, parse_period("2026-Q1"))
    before = {flow.stage_name: flow for flow in stage_flow(q1)}
    assert (before["Qualify"].entered, before["Qualify"].advanced) == (2, 1)

    waiting = histories["waiting"]
    move(waiting, waiting.pipeline.stages.get(name="Offer"), bob)

    assert drift() == []
    rolled_up, live = live_and_rolled_up(maria, "2026-Q1", timezone.now())
    assert rolled_up == live
    after = {flow.stage_name: flow for flow in rolled_up}
    assert (after["Qualify"].entered, after["Qualify"].advanced) == (2, 2)
    assert FunnelStage.objects.filter(stage__name="Qualify", start=dt.date(2026, 1, 1)).exists()


def test_every_stage_change_keeps_the_rollups_equal_to_a_recount(funnel, alice, bob, maria):
    rebuild()
    first, second = new_deal(funnel, alice), new_deal(funnel, alice)
    assert drift() == []
    move(first, funnel["offer"], alice)
    move(first, funnel["qualify"], alice)  # back
    move(second, funnel["lost"], alice, lost_reason="Price")
    assert drift() == []
    move(second, funnel["offer"], alice)  # reopened
    move(second, funnel["won"], alice)
    assert drift() == []
    edit(first, maria, owner=bob)
    assert drift() == []
    month = month_of(timezone.localdate()).start.strftime("%Y-%m")
    rolled_up, live = live_and_rolled_up(maria, month, timezone.now())
    assert rolled_up == live
    assert StayMonth.objects.filter(finished__gt=0).exists()


def test_an_imported_history_is_in_the_funnel_rollups(funnel, alice, maria):
    from tests.factories import CompanyFactory
    from tests.forecasting.test_rollups import IMPORT
    from tests.imports.importing import run_import

    StageFactory(pipeline=funnel["pipeline"], name="Proposal", position=5, probability=50)
    rebuild()
    CompanyFactory(name="Acme", owner=alice)
    result = run_import(alice, "deals", IMPORT)
    assert result.rejections == []
    assert drift() == []


def test_deleting_a_stage_moves_its_deals_in_the_rollups(funnel, histories, ada, maria):
    extra = StageFactory(pipeline=funnel["pipeline"], name="Extra", position=5, probability=30)
    deal = deal_with(funnel | {"extra": extra}, maria, [("extra", utc(3, 1))])
    rebuild()

    delete_stage(stage=extra, move_deals_to=funnel["qualify"], by=ada)

    assert drift() == []
    deal.refresh_from_db()
    assert deal.stage == funnel["qualify"]
    rolled_up, live = live_and_rolled_up(maria, "2026-Q1", timezone.now())
    assert rolled_up == live


def test_a_reorder_falls_back_to_the_history_until_the_rebuild(funnel, histories, maria):
    rebuild()
    stages = [funnel[name].pk for name in ("offer", "qualify", "won", "lost")]

    reorder_stages(pipeline=funnel["pipeline"], stage_ids=stages)

    scope = ReportScope(maria, parse_period("2026-Q1"))
    # The funnel counts from the history meanwhile; the won and lost days compare no
    # stage positions and are still read from their rollups.
    assert (funnel_zone(scope), rollup_zone(scope)) == (None, "UTC")
    flows = {flow.stage_name: flow for flow in stage_flow(scope, now=utc(7, 1))}
    # Offer now comes first: the deal that went Qualify -> Offer did not advance.
    assert (flows["Qualify"].entered, flows["Qualify"].advanced) == (2, 1)
    assert (flows["Offer"].entered, flows["Offer"].advanced) == (1, 1)

    assert rebuild() > 0  # the rows of the old order were rewritten
    assert drift() == []
    assert funnel_zone(ReportScope(maria, parse_period("2026-Q1"))) == "UTC"
    rolled_up, live = live_and_rolled_up(maria, "2026-Q1", utc(7, 1))
    assert rolled_up == live


def test_a_move_within_a_column_sends_no_change(funnel, alice):
    deal = new_deal(funnel, alice)
    rebuild()
    deal.refresh_from_db()
    move_opportunity(
        opportunity_id=deal.pk, by=alice, to_stage_id=funnel["qualify"].pk, version=deal.version
    )
    assert drift() == []
