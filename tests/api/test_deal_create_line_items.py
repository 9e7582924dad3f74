"""POST /api/opportunities/ with line_items: created in the deal's transaction."""

from decimal import Decimal

import pytest

from pipeline.models import DealChange, LineItem, Opportunity
from tests.factories import CompanyFactory, ProductFactory, ProductPriceFactory

URL = "/api/opportunities/"


@pytest.fixture
def catalogue():
    licence, support = ProductFactory(name="Licence"), ProductFactory(name="Support")
    ProductPriceFactory(product=licence, currency="EUR", unit_price=Decimal("480.00"))
    ProductPriceFactory(product=support, currency="EUR", unit_price=Decimal("9000.00"))
    return licence, support


def payload(company, sales, items, **extra):
    return {
        "title": "Acme rollout",
        "company": company.pk,
        "pipeline": sales.pipeline.pk,
        "currency": "EUR",
        "line_items": items,
        **extra,
    }


@pytest.mark.parametrize("username", ["alice", "bob", "maria", "ada"])
def test_the_deal_is_created_with_its_line_items_and_worth_their_total(
    request, api_as, alice, sales, catalogue, username
):
    licence, support = catalogue
    company = CompanyFactory(owner=alice)
    items = [
        {"product": licence.pk, "quantity": "25", "discount": "10"},
        {"product": support.pk, "quantity": "1", "unit_price": "8000.00"},
    ]

    response = api_as(request.getfixturevalue(username)).post(
        URL, payload(company, sales, items, value="1.00"), format="json"
    )

    assert response.status_code == 201, response.json()
    assert response.json()["value"] == "18800.00"  # 25 x 480 less 10 %, plus 8,000
    assert "line_items" not in response.json()
    deal = Opportunity.objects.get(pk=response.json()["id"])
    assert [
        (item.product, item.quantity, item.unit_price, item.discount, item.position)
        for item in deal.line_items.order_by("position")
    ] == [
        (licence, Decimal("25.00"), Decimal("480.00"), Decimal("10.00"), 0),
        (support, Decimal("1.00"), Decimal("8000.00"), Decimal("0.00"), 1),
    ]
    assert deal.value == sum(item.total for item in deal.line_items.all())
    assert DealChange.objects.filter(opportunity=deal, field="line_items").count() == 1


def test_another_teams_company_is_refused_and_no_line_item_written(
    api_as, alice, charlie, sales, catalogue
):
    items = [{"product": catalogue[0].pk, "quantity": "1"}]

    response = api_as(charlie).post(
        URL, payload(CompanyFactory(owner=alice), sales, items), format="json"
    )

    assert response.status_code == 400
    assert "company" in response.json()
    assert not Opportunity.objects.exists()
    assert not LineItem.objects.exists()


@pytest.mark.parametrize(
    ("items", "named"),
    [
        # Refused by the request's types...
        (
            [{"product": 1, "quantity": "2"}, {"product": 1, "quantity": "0"}],
            "line_items[1].quantity",
        ),
        ([{"quantity": "1"}], "line_items[0].product"),
        ([{"product": 1, "quantity": "1", "discount": "120"}], "line_items[0].discount"),
        # ... and by the catalogue, in the service.
        (
            [{"product": 1, "quantity": "1"}, {"product": 999999, "quantity": "1"}],
            "line_items[1].product",
        ),
        ([{"product": "retired", "quantity": "1"}], "line_items[0].product"),
        ([{"product": "unpriced", "quantity": "1"}], "line_items[0].unit_price"),
    ],
)
def test_a_bad_item_is_named_and_nothing_is_written(api_as, alice, sales, catalogue, items, named):
    licence = catalogue[0]
    retired = ProductFactory(is_active=False)
    ProductPriceFactory(product=retired, currency="EUR")
    unpriced = ProductFactory()
    ProductPriceFactory(product=unpriced, currency="USD")
    stand_ins = {1: licence.pk, "retired": retired.pk, "unpriced": unpriced.pk}
    for item in items:
        if "product" in item:
            item["product"] = stand_ins.get(item["product"], item["product"])
    company = CompanyFactory(owner=alice)

    response = api_as(alice).post(URL, payload(company, sales, items), format="json")

    assert response.status_code == 400
    assert set(response.json()) == {named}
    assert not Opportunity.objects.exists()
    assert not LineItem.objects.exists()
    assert not DealChange.objects.exists()


def test_items_must_be_a_list_of_objects(api_as, alice, sales):
    response = api_as(alice).post(
        URL, payload(CompanyFactory(owner=alice), sales, "1 licence"), format="json"
    )

    assert response.status_code == 400
    assert "line_items" in response.json()
    assert not Opportunity.objects.exists()
