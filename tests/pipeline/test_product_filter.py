"""The board and the deals list narrowed to deals with a product (``?product=<id>``)."""

from decimal import Decimal

import pytest
from django.urls import reverse

from pipeline.models import LineItem, Opportunity
from tests.factories import (
    CompanyFactory,
    LineItemFactory,
    OpportunityFactory,
    ProductFactory,
    StageFactory,
)
from tests.html import elements

# As the unfiltered pages (tests/pipeline/test_views.py, test_deal_list.py): the filter is
# a condition on the same queries.
BOARD_QUERIES = 9
LIST_QUERIES = 8


@pytest.fixture
def stage(db):
    return StageFactory(name="Qualification")


@pytest.fixture
def licence(db):
    return ProductFactory(name="Licence")


def board(client, stage, **params):
    return client.get(reverse("pipeline:board", args=[stage.pipeline_id]), params)


def card_titles(response):
    return sorted(link.text for link in elements(response.content, "a", class_="deal-card-title"))


def grow(stage, owner, product, count):
    """``count`` more deals in the stage, each with the product on it."""
    company = CompanyFactory(owner=owner)
    start = Opportunity.objects.count()
    deals = Opportunity.objects.bulk_create(
        Opportunity(
            title=f"Bulk {start + n}",
            company=company,
            owner=owner,
            pipeline=stage.pipeline,
            stage=stage,
            value=Decimal("10.00"),
            position=(start + n + 10) * 65536,
        )
        for n in range(count)
    )
    LineItem.objects.bulk_create(
        LineItem(opportunity=deal, product=product, quantity=1, unit_price=10) for deal in deals
    )


def test_the_board_shows_only_deals_with_the_product(client, alice, stage, licence):
    twice = OpportunityFactory(owner=alice, stage=stage, title="Twice")
    LineItemFactory.create_batch(2, opportunity=twice, product=licence)
    LineItemFactory(opportunity=OpportunityFactory(owner=alice, stage=stage, title="Other"))
    OpportunityFactory(owner=alice, stage=stage, title="None")
    client.force_login(alice)

    assert card_titles(board(client, stage)) == ["None", "Other", "Twice"]
    response = board(client, stage, product=licence.pk)

    assert card_titles(response) == ["Twice"]
    options = elements(response.content, "option", value=str(licence.pk))
    assert [option.text for option in options if "selected" in option.attrs] == [str(licence)]


def test_another_teams_deals_stay_out_of_the_filtered_board(client, alice, charlie, stage, licence):
    LineItemFactory(opportunity=OpportunityFactory(owner=charlie, stage=stage), product=licence)
    client.force_login(alice)

    assert card_titles(board(client, stage, product=licence.pk)) == []


def test_an_unreadable_product_is_reported_and_ignored(client, alice, stage):
    OpportunityFactory(owner=alice, stage=stage, title="Mine")
    client.force_login(alice)

    response = board(client, stage, product="abc")

    assert response.status_code == 200
    assert card_titles(response) == ["Mine"]


def test_filtered_board_costs_the_same_at_ten_and_a_thousand_deals(
    client, alice, stage, licence, django_assert_num_queries
):
    client.force_login(alice)

    grow(stage, alice, licence, 10)
    with django_assert_num_queries(BOARD_QUERIES):
        board(client, stage, product=licence.pk)
    grow(stage, alice, licence, 990)
    with django_assert_num_queries(BOARD_QUERIES):
        response = board(client, stage, product=licence.pk)

    assert response.status_code == 200


def test_filtered_deal_list_costs_the_same_at_ten_and_a_thousand_deals(
    client, alice, stage, licence, django_assert_num_queries
):
    client.force_login(alice)
    url = reverse("pipeline:deal_list")

    grow(stage, alice, licence, 10)
    with django_assert_num_queries(LIST_QUERIES):
        few = client.get(url, {"product": licence.pk})
    grow(stage, alice, licence, 990)
    with django_assert_num_queries(LIST_QUERIES):
        many = client.get(url, {"product": licence.pk})

    assert few.context["page_obj"].paginator.count == 10
    assert many.context["page_obj"].paginator.count == 1000
