"""Managers adjust a rep's or team's call; the call shows the latest, history keeps all."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from forecasting.adjustments import CallKey, adjusted_calls, adjustment_history
from forecasting.models import ForecastAdjustment
from forecasting.periods import parse_period
from forecasting.scope import ReportScope
from forecasting.services import adjust_forecast
from pipeline.models import ForecastCategory
from tests.factories import OpportunityFactory, StageFactory

Q3 = parse_period("2026-Q3")


@pytest.fixture
def commit_deals(alice, bob):
    stage = StageFactory(probability=60)
    for owner, value in ((alice, "10000.00"), (alice, "2500.00"), (bob, "4000.00")):
        OpportunityFactory(
            owner=owner,
            stage=stage,
            value=Decimal(value),
            forecast_category=ForecastCategory.COMMIT,
            expected_close_date=dt.date(2026, 8, 1),
        )


def adjust(by, amount, **target):
    return adjust_forecast(
        by=by,
        period=Q3,
        category=ForecastCategory.COMMIT,
        currency="EUR",
        amount=Decimal(amount),
        note="After the pipeline review",
        **target,
    )


def test_first_adjustment_moves_from_the_submitted_call_then_from_the_last(
    commit_deals, maria, alice
):
    first = adjust(maria, "9000.00", rep=alice)
    second = adjust(maria, "11000.00", rep=alice)

    # Alice's commit deals closing in Q3: 10,000 + 2,500.
    assert (first.previous_amount, first.amount) == (Decimal("12500.00"), Decimal("9000.00"))
    assert (second.previous_amount, second.amount) == (Decimal("9000.00"), Decimal("11000.00"))
    assert (first.adjusted_by, first.period, first.note) == (
        maria,
        "2026-Q3",
        "After the pipeline review",
    )
    calls = adjusted_calls(ReportScope(maria, Q3))
    assert calls == {CallKey("rep", alice.pk, "commit", "EUR"): Decimal("11000.00")}
    assert [row.pk for row in adjustment_history(ReportScope(maria, Q3))] == [second.pk, first.pk]


def test_manager_adjusts_their_team_and_admin_any(commit_deals, maria, ada, north, south):
    team_call = adjust(maria, "20000.00", team=north)
    admin_call = adjust(ada, "1.00", team=south)

    # North's commit deals: 10,000 + 2,500 + 4,000; South has none.
    assert team_call.previous_amount == Decimal("16500.00")
    assert admin_call.previous_amount == Decimal("0.00")
    assert adjusted_calls(ReportScope(maria, Q3)) == {
        CallKey("team", north.pk, "commit", "EUR"): Decimal("20000.00")
    }


@pytest.mark.parametrize("who", ["alice", "sam", "charlie"])
def test_reps_and_other_managers_cannot_adjust(commit_deals, request, who, alice, north):
    user = request.getfixturevalue(who)

    with pytest.raises(PermissionDenied):
        adjust(user, "1.00", rep=alice)
    with pytest.raises(PermissionDenied):
        adjust(user, "1.00", team=north)
    assert not ForecastAdjustment.objects.exists()


def test_an_adjustment_names_a_rep_or_a_team(maria, alice, north):
    with pytest.raises(ValidationError) as raised:
        adjust(maria, "1.00", rep=alice, team=north)
    assert "rep" in raised.value.message_dict
    with pytest.raises(ValidationError):
        adjust(maria, "1.00")


def test_other_teams_do_not_see_the_adjustments(commit_deals, maria, alice, charlie, sam):
    adjust(maria, "9000.00", rep=alice)

    assert adjusted_calls(ReportScope(charlie, Q3)) == {}
    assert adjustment_history(ReportScope(sam, Q3)) == []
    assert len(adjustment_history(ReportScope(alice, Q3))) == 1


def test_reads_cost_one_query_each(maria, alice, bob, django_assert_num_queries):
    def count_with(adjustments):
        for index in range(adjustments):
            adjust(maria, f"{index}.00", rep=alice if index % 2 else bob)
        with django_assert_num_queries(1):
            adjusted_calls(ReportScope(maria, Q3))
        with django_assert_num_queries(1):
            adjustment_history(ReportScope(maria, Q3))

    count_with(2)
    count_with(20)
