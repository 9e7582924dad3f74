"""GET /api/opportunities/<id>/history/: a deal's moves and edits, newest first, paged."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from pipeline.models import DealChange, StageChange
from pipeline.services import update_opportunity
from tests.factories import OpportunityFactory, StageFactory


@pytest.fixture
def deal(alice):
    first = StageFactory(name="Qualification", position=1)
    deal = OpportunityFactory(owner=alice, stage=first, value=Decimal("10000"), currency="EUR")
    StageChange.objects.create(
        opportunity=deal, to_stage=first, by=alice, at=timezone.now() - dt.timedelta(days=1)
    )
    return deal


def history_url(deal):
    return reverse("api:opportunity-history", args=[deal.pk])


def test_history_lists_edits_and_moves_newest_first(api_as, alice, maria, deal):
    update_opportunity(
        by=maria, opportunity_id=deal.pk, version=deal.version, fields={"value": "12000"}
    )

    response = api_as(alice).get(history_url(deal))

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    edit, move = body["results"]
    assert edit["kind"] == "field"
    assert edit["by"] == str(maria)
    assert (edit["field"], edit["field_label"]) == ("value", "Value")
    assert (edit["old"], edit["new"]) == ("10,000.00 EUR", "12,000.00 EUR")
    assert (edit["old_value"], edit["new_value"]) == ("10000.00", "12000")
    assert move["kind"] == "stage"
    assert (move["field"], move["old"], move["new"]) == ("stage", "", "Qualification")
    assert move["old_value"] is None


@pytest.mark.parametrize(("user", "expected"), [("bob", 200), ("maria", 200), ("charlie", 404)])
def test_history_as_teammate_manager_and_other_team(api_as, request, deal, user, expected):
    response = api_as(request.getfixturevalue(user)).get(history_url(deal))

    assert response.status_code == expected


def test_history_keeps_a_deactivated_users_name(api_as, alice, maria, deal):
    update_opportunity(
        by=maria, opportunity_id=deal.pk, version=deal.version, fields={"title": "B"}
    )
    maria.is_active = False
    maria.save()

    response = api_as(alice).get(history_url(deal))

    assert response.json()["results"][0]["by"] == str(maria)


def test_history_pages_by_number(api_as, alice, deal):
    DealChange.objects.bulk_create(
        DealChange(opportunity=deal, field="title", old_value=str(n), new_value=str(n + 1))
        for n in range(4)
    )

    first = api_as(alice).get(history_url(deal), {"page_size": 2}).json()
    last = api_as(alice).get(history_url(deal), {"page_size": 2, "page": 3}).json()

    assert first["count"] == 5
    assert len(first["results"]) == 2
    assert first["next"] is not None
    assert len(last["results"]) == 1
    assert last["next"] is None


def test_history_refuses_a_bad_page_size_naming_it(api_as, alice, deal):
    response = api_as(alice).get(history_url(deal), {"page_size": "lots"})

    assert response.status_code == 400
    assert "page_size" in response.json()


@pytest.mark.parametrize("count", [10, 1000])
def test_history_costs_the_same_at_any_length(
    api_as, alice, deal, count, django_assert_num_queries
):
    DealChange.objects.bulk_create(
        DealChange(
            opportunity=deal, field="value", old_value=str(n), new_value=str(n + 1), by=alice
        )
        for n in range(count)
    )
    client = api_as(alice)

    # Session, user, the deal, the count, the page.
    with django_assert_num_queries(5):
        response = client.get(history_url(deal))

    assert len(response.json()["results"]) == min(count + 1, 100)
