"""The deals list's filters a dashboard figure links to, and the way back to it."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from pipeline.models import OpportunityStatus
from tests.factories import OpportunityFactory, TaskFactory
from tests.html import element, elements


def titles(response):
    return {deal.title for deal in response.context["page_obj"]}


def deals(client, user, **query):
    client.force_login(user)
    response = client.get(reverse("pipeline:deal_list"), query)
    assert response.status_code == 200
    return response


def test_team_filter_keeps_the_deals_of_that_teams_sellers(client, ada, alice, charlie, north):
    OpportunityFactory(owner=alice, title="North deal")
    OpportunityFactory(owner=charlie, title="South deal")

    assert titles(deals(client, ada, team=north.pk)) == {"North deal"}


def test_closed_range_keeps_deals_won_or_lost_on_those_days(client, alice):
    def closed(title, day, status=OpportunityStatus.WON):
        OpportunityFactory(
            owner=alice,
            title=title,
            status=status,
            lost_reason="Price" if status == OpportunityStatus.LOST else "",
            closed_at=dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC),
        )

    closed("Before", dt.date(2026, 6, 30))
    closed("First day", dt.date(2026, 7, 1))
    closed("Lost inside", dt.date(2026, 8, 15), OpportunityStatus.LOST)
    closed("Last day", dt.date(2026, 9, 30))
    closed("After", dt.date(2026, 10, 1))
    OpportunityFactory(owner=alice, title="Open")

    response = deals(client, alice, closed_from="2026-07-01", closed_to="2026-09-30")

    assert titles(response) == {"First day", "Lost inside", "Last day"}


def test_overdue_filter_keeps_deals_with_an_open_overdue_task_once(client, alice):
    late = OpportunityFactory(owner=alice, title="Late")
    TaskFactory.create_batch(2, opportunity=late, overdue_since=timezone.localdate())
    TaskFactory(opportunity=OpportunityFactory(owner=alice, title="Done"), done_at=timezone.now())
    TaskFactory(opportunity=OpportunityFactory(owner=alice, title="Due"))

    response = deals(client, alice, overdue="on")

    assert [deal.title for deal in response.context["page_obj"]] == ["Late"]


@pytest.mark.parametrize("code", ["EUR", "eur"])
def test_currency_filter_keeps_that_currencys_deals_and_is_kept(client, alice, code):
    OpportunityFactory(owner=alice, title="Euro deal", currency="EUR")
    OpportunityFactory(owner=alice, title="Dollar deal", currency="USD")

    response = deals(client, alice, currency=code)

    assert titles(response) == {"Euro deal"}
    [total] = elements(response.content, "span", class_="record-total")
    assert "EUR" in total.text
    # Refining the list further keeps the currency.
    assert elements(response.content, "input", type="hidden", name="currency", value="EUR")


def test_an_unknown_currency_is_dropped_like_any_unreadable_filter(client, alice):
    OpportunityFactory(owner=alice, title="Euro deal", currency="EUR")
    OpportunityFactory(owner=alice, title="Dollar deal", currency="USD")

    assert titles(deals(client, alice, currency="XYZ")) == {"Euro deal", "Dollar deal"}


def test_a_link_from_the_dashboard_offers_the_way_back_and_keeps_it(client, alice):
    OpportunityFactory(owner=alice, value=Decimal("5.00"))
    back = "/dashboard/?period=2026-Q3&team=1"

    response = deals(client, alice, stale="", next=back, team=1)

    assert element(response.content, "a", class_="deal-list-back").attrs["href"] == back
    # The filter form carries it on, so refining the list keeps the way back.
    [kept] = elements(response.content, "input", type="hidden", name="next", value=back)
    assert kept.attrs["value"] == back


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/", "javascript:alert(1)", "dashboard/"]
)
def test_a_next_that_leaves_the_site_is_ignored(client, alice, target):
    response = deals(client, alice, next=target)

    assert elements(response.content, "a", class_="deal-list-back") == []
    assert response.context["back_url"] == ""
