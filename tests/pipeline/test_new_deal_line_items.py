"""Products on the new-deal form: rows that become the deal's line items in the same
transaction, a refused row named with nothing written, and the form's cost at any catalogue
size."""

from decimal import Decimal

import pytest

from contacts.models import Company
from pipeline.models import DealChange, LineItem, Opportunity, Product
from tests.factories import ProductFactory, ProductPriceFactory
from tests.html import element, options
from tests.pipeline import test_new_deal
from tests.pipeline.test_new_deal import DIALOG, PAGE_QUERIES, URL, as_user, post_data

# The new-deal tests' fixtures: a pipeline's stages, and alice's company.
board = test_new_deal.board
northwind = test_new_deal.northwind


@pytest.fixture
def catalogue(db):
    licence = ProductFactory(name="Licence", code="LIC")
    support = ProductFactory(name="Support", code="SUP")
    ProductPriceFactory(product=licence, currency="EUR", unit_price=Decimal("250.00"))
    ProductPriceFactory(product=support, currency="EUR", unit_price=Decimal("99.50"))
    ProductPriceFactory(product=support, currency="USD", unit_price=Decimal("120.00"))
    return {"licence": licence, "support": support}


def rows(**fields):
    """POST data for the product rows: ``rows(**{"0-product": "1"})``."""
    return {f"line-item-{key}": value for key, value in fields.items()}


def error_of(response, row, field):
    return element(response.content, id=f"id_line-item-{row}-{field}_error").text


def test_the_form_offers_product_rows_without_javascript(client, alice, board, catalogue):
    response = as_user(client, alice).get(URL)

    for row in range(3):
        labels = [
            option.text for option in options(response.content, name=f"line-item-{row}-product")
        ]
        assert labels == ["No product", "Licence (LIC)", "Support (SUP)"]
        assert element(response.content, "input", name=f"line-item-{row}-quantity")
        assert element(response.content, "input", name=f"line-item-{row}-unit_price")


def test_products_become_line_items_and_the_value_their_sum(
    client, alice, board, northwind, catalogue
):
    licence, support = catalogue["licence"], catalogue["support"]
    data = post_data(board, company=str(northwind.pk), company_name="Northwind")
    # The second row is left empty; the third has a typed price and a discount.
    data.update(rows(**{"0-product": licence.pk, "0-quantity": "2", "0-unit_price": ""}))
    data.update(rows(**{"1-product": "", "1-quantity": "1"}))
    data.update(rows(**{"2-product": support.pk, "2-quantity": "1"}))
    data.update(rows(**{"2-unit_price": "80", "2-discount": "10"}))

    response = as_user(client, alice).post(URL, data)

    assert response.status_code == 303
    deal = Opportunity.objects.get()
    items = list(LineItem.objects.filter(opportunity=deal).order_by("position"))
    assert [(i.product, i.quantity, i.unit_price, i.discount) for i in items] == [
        (licence, Decimal("2.00"), Decimal("250.00"), Decimal("0.00")),
        (support, Decimal("1.00"), Decimal("80.00"), Decimal("10.00")),
    ]
    # 2 x 250 + 80 less 10 %
    assert deal.value == Decimal("572.00")
    assert DealChange.objects.filter(opportunity=deal, field="line_items").exists()


def test_the_catalogue_price_is_the_deals_currency(client, alice, board, northwind, catalogue):
    data = post_data(board, company=str(northwind.pk), company_name="Northwind", currency="USD")
    data.update(rows(**{"0-product": catalogue["support"].pk, "0-quantity": "3"}))

    as_user(client, alice).post(URL, data)

    item = LineItem.objects.get()
    assert item.unit_price == Decimal("120.00")
    assert Opportunity.objects.get().value == Decimal("360.00")


def test_without_products_the_typed_value_stays(client, alice, board, northwind, catalogue):
    data = post_data(board, company=str(northwind.pk), company_name="Northwind", value="900")

    as_user(client, alice).post(URL, data)

    assert Opportunity.objects.get().value == Decimal("900.00")
    assert not LineItem.objects.exists()


@pytest.mark.parametrize(
    ("row_fields", "field", "message"),
    [
        ({"1-quantity": "0"}, "quantity", "Quantity must be more than 0."),
        ({"1-discount": "120"}, "discount", "A discount is between 0 and 100%."),
        ({"1-quantity": "many"}, "quantity", "Enter a number."),
    ],
    ids=["quantity", "discount", "not-a-number"],
)
def test_a_bad_row_is_named_and_nothing_is_written(
    client, alice, board, catalogue, row_fields, field, message
):
    # A new company too: refused with the deal, it must not be left behind.
    data = post_data(board, company_name="Globex")
    data.update(rows(**{"0-product": catalogue["licence"].pk, "0-quantity": "1"}))
    data.update(rows(**{"1-product": catalogue["support"].pk, "1-quantity": "1"}))
    data.update(rows(**row_fields))

    response = as_user(client, alice).post(URL, data, **DIALOG)

    assert response.status_code == 422
    assert message in error_of(response, 1, field)
    assert not Opportunity.objects.exists()
    assert not LineItem.objects.exists()
    assert not Company.objects.filter(name="Globex").exists()


def test_a_product_without_a_price_in_the_currency_asks_for_one(client, alice, board, catalogue):
    data = post_data(board, company_name="Globex", currency="GBP")
    data.update(rows(**{"2-product": catalogue["licence"].pk, "2-quantity": "1"}))

    response = as_user(client, alice).post(URL, data)

    assert response.status_code == 422
    assert "has no price in GBP" in error_of(response, 2, "unit_price")
    assert not Opportunity.objects.exists()
    assert not Company.objects.filter(name="Globex").exists()


def test_a_retired_product_or_a_price_without_one_is_refused_on_its_row(
    client, alice, board, catalogue
):
    Product.objects.filter(pk=catalogue["support"].pk).update(is_active=False)
    data = post_data(board, company_name="Globex")
    # A retired product is not even offered: the choice is refused as the form parses it.
    data.update(rows(**{"0-product": catalogue["support"].pk}))
    data.update(rows(**{"1-product": "", "1-unit_price": "10"}))

    response = as_user(client, alice).post(URL, data)

    assert response.status_code == 422
    assert "Select a valid choice" in error_of(response, 0, "product")
    assert "Choose a product" in error_of(response, 1, "product")
    assert not Opportunity.objects.exists()


def bulk_products(count):
    start = Product.objects.count()
    Product.objects.bulk_create(
        Product(name=f"Product {start + n:05}", code=f"P{start + n:05}") for n in range(count)
    )


@pytest.mark.parametrize("headers", [{}, DIALOG], ids=["page", "dialog"])
def test_the_form_costs_the_same_at_10_and_1000_products(
    client, alice, board, headers, django_assert_num_queries
):
    as_user(client, alice)
    bulk_products(10)
    with django_assert_num_queries(PAGE_QUERIES):
        client.get(URL, **headers)

    bulk_products(990)
    with django_assert_num_queries(PAGE_QUERIES):
        response = client.get(URL, **headers)
    assert len(options(response.content, name="line-item-2-product")) == 1001
