"""The product catalogue settings pages: admins only, search, add, edit, retire.

North: manager Maria, reps Alice and Bob. South: manager Sam, rep Charlie. Ada is admin.
"""

from decimal import Decimal

import pytest
from django.urls import reverse

from pipeline.models import Product, ProductPrice
from tests.factories import LineItemFactory, ProductFactory, ProductPriceFactory
from tests.html import elements

HTMX = {"HTTP_HX_REQUEST": "true"}
LIST_QUERIES = 5  # session, user, count, a page of products, their prices


def names_listed(response):
    return [cell.text for cell in elements(response.content, "td", class_="fw-semibold")]


@pytest.fixture
def admin_client(client, ada):
    client.force_login(ada)
    return client


@pytest.mark.parametrize("who", ["alice", "bob", "maria", "charlie", "sam"])
def test_catalogue_pages_are_for_admins_only(db, client, request, who):
    product = ProductFactory()
    client.force_login(request.getfixturevalue(who))

    for url in (
        reverse("pipeline:product_settings"),
        reverse("pipeline:add_product"),
        reverse("pipeline:edit_product", args=[product.pk]),
    ):
        assert client.get(url).status_code == 403, url
    response = client.post(
        reverse("pipeline:set_product_active", args=[product.pk]), {"active": "0"}
    )

    assert response.status_code == 403
    assert Product.objects.get(pk=product.pk).is_active


def test_settings_link_to_the_catalogue(admin_client):
    response = admin_client.get(reverse("crm:settings"))

    links = elements(response.content, "a", href=reverse("pipeline:product_settings"))
    assert links


def test_list_searches_name_and_code_and_filters_by_status(admin_client):
    ProductFactory(name="Licence", code="LIC")
    ProductFactory(name="Support", code="SUP-LIC")
    ProductFactory(name="Training", code="TRN")
    ProductFactory(name="Old licence", code="OLD", is_active=False)
    url = reverse("pipeline:product_settings")

    assert names_listed(admin_client.get(url)) == ["Licence", "Support", "Training"]
    assert names_listed(admin_client.get(url, {"q": "lic"})) == ["Licence", "Support"]
    assert names_listed(admin_client.get(url, {"status": "retired"})) == ["Old licence"]
    assert names_listed(admin_client.get(url, {"q": "lic", "status": "all"})) == [
        "Licence",
        "Old licence",
        "Support",
    ]


def test_htmx_search_answers_the_table_only(admin_client):
    ProductFactory(name="Licence")

    response = admin_client.get(reverse("pipeline:product_settings"), {"q": "lic"}, **HTMX)

    assert elements(response.content, "div", id="product-table")
    assert not elements(response.content, "h1")


def test_admin_adds_a_product_with_prices(admin_client):
    response = admin_client.post(
        reverse("pipeline:add_product"),
        {
            "name": "Licence",
            "code": "LIC",
            "description": "",
            "is_active": "on",
            "price_currency_0": "eur",
            "price_amount_0": "250.00",
            "price_currency_1": "USD",
            "price_amount_1": "270",
            "price_currency_2": "",
            "price_amount_2": "",
        },
    )

    assert response.status_code == 302
    product = Product.objects.get()
    assert (product.name, product.code, product.is_active) == ("Licence", "LIC", True)
    assert dict(product.prices.values_list("currency", "unit_price")) == {
        "EUR": Decimal("250.00"),
        "USD": Decimal("270.00"),
    }


def test_bad_input_answers_422_naming_the_field_and_writes_nothing(admin_client):
    ProductFactory(code="LIC")

    response = admin_client.post(
        reverse("pipeline:add_product"),
        {"name": "Licence", "code": "lic", "price_currency_0": "XYZ", "price_amount_0": "5"},
    )

    assert response.status_code == 422
    messages = [error.text for error in elements(response.content, class_="invalid-feedback")]
    assert any(message.startswith("Code:") for message in messages)
    assert any(message.startswith("XYZ:") for message in messages)
    assert Product.objects.count() == 1
    assert not ProductPrice.objects.exists()


def test_a_price_without_a_currency_is_refused(admin_client):
    response = admin_client.post(
        reverse("pipeline:add_product"), {"name": "Licence", "price_amount_0": "5"}
    )

    assert response.status_code == 422
    assert not Product.objects.exists()


def test_admin_edits_a_product_and_its_prices(admin_client):
    product = ProductFactory(name="Licence")
    ProductPriceFactory(product=product, currency="EUR", unit_price=Decimal("10.00"))
    url = reverse("pipeline:edit_product", args=[product.pk])

    page = admin_client.get(url)
    assert elements(page.content, "input", name="price_currency_0", value="EUR")

    response = admin_client.post(
        url,
        {
            "name": "Licence Pro",
            "code": "LIC-PRO",
            "price_currency_0": "EUR",
            "price_amount_0": "12.50",
            "price_currency_1": "",
            "price_amount_1": "",
        },
    )

    assert response.status_code == 302
    product.refresh_from_db()
    assert (product.name, product.is_active) == ("Licence Pro", False)
    assert dict(product.prices.values_list("currency", "unit_price")) == {"EUR": Decimal("12.50")}


def test_retire_and_reactivate_swap_the_row(admin_client):
    product = LineItemFactory().product
    url = reverse("pipeline:set_product_active", args=[product.pk])

    response = admin_client.post(url, {"active": "0"}, **HTMX)

    (row,) = elements(response.content, "tr", id=f"product-{product.pk}")
    assert "table-secondary" in row.classes
    assert not Product.objects.get(pk=product.pk).is_active

    response = admin_client.post(url, {"active": "1"})
    assert response.status_code == 302
    assert Product.objects.get(pk=product.pk).is_active


def test_list_query_count_does_not_grow(admin_client, django_assert_num_queries):
    url = reverse("pipeline:product_settings")

    def grow(count):
        start = Product.objects.count()
        products = Product.objects.bulk_create(
            Product(name=f"Product {start + n:05d}", code=f"P{start + n:05d}") for n in range(count)
        )
        ProductPrice.objects.bulk_create(
            ProductPrice(product=product, currency=currency, unit_price=Decimal("1.00"))
            for product in products
            for currency in ("EUR", "USD")
        )

    grow(10)
    with django_assert_num_queries(LIST_QUERIES):
        response = admin_client.get(url)
    assert len(names_listed(response)) == 10
    grow(990)
    with django_assert_num_queries(LIST_QUERIES):
        response = admin_client.get(url)
    assert len(names_listed(response)) == 50
