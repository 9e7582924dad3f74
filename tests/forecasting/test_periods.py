"""Reporting periods: months and quarters, their URL names and their bounds in the user's zone."""

import datetime as dt
import zoneinfo

import pytest
from django.utils import timezone

from forecasting.periods import month_of, parse_period, quarter_of


def test_a_quarter_is_named_and_bounded():
    period = parse_period("2026-Q1")
    assert (period.start, period.end) == (dt.date(2026, 1, 1), dt.date(2026, 3, 31))
    assert period.token == "2026-Q1"
    assert period.days == 90
    assert [month.token for month in period.months()] == ["2026-01", "2026-02", "2026-03"]


def test_a_month_is_named_and_bounded():
    period = parse_period("2024-02")
    assert (period.start, period.end) == (dt.date(2024, 2, 1), dt.date(2024, 2, 29))
    assert period.token == "2024-02"
    assert not period.is_quarter


def test_neighbours_keep_the_kind_of_period_and_cross_years():
    assert quarter_of(dt.date(2026, 11, 5)).following().token == "2027-Q1"
    assert quarter_of(dt.date(2026, 2, 5)).preceding().token == "2025-Q4"
    assert month_of(dt.date(2026, 12, 31)).following().token == "2027-01"
    assert month_of(dt.date(2026, 1, 1)).preceding().token == "2025-12"


@pytest.mark.parametrize("token", ["2026-Q5", "2026-13", "2026-7", "Q3", "", "2026-Q3x"])
def test_anything_else_is_refused_with_the_value_named(token):
    with pytest.raises(ValueError, match="is not a period"):
        parse_period(token)


def test_bounds_are_instants_in_the_current_zone():
    period = parse_period("2026-Q1")
    with timezone.override(zoneinfo.ZoneInfo("America/New_York")):
        assert period.end_before == dt.datetime(
            2026, 4, 1, 4, 0, tzinfo=dt.UTC
        )  # midnight in New York is 04:00 UTC in April (daylight time)
        assert period.start_at == dt.datetime(2026, 1, 1, 5, 0, tzinfo=dt.UTC)
