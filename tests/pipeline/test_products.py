"""The product catalogue: admins create and change products and their prices per currency.

North: manager Maria, reps Alice and Bob. South: manager Sam, rep Charlie. Ada is admin.
"""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from pipeline.models import Product, ProductPrice
from pipeline.services.products import (
    create_product,
    remove_product,
    set_product_active,
    update_product,
)
from tests.factories import LineItemFactory, ProductFactory, ProductPriceFactory


def prices_of(product):
    return dict(ProductPrice.objects.filter(product=product).values_list("currency", "unit_price"))


def test_admin_creates_a_product_with_a_price_per_currency(ada):
    product = create_product(
        by=ada,
        name="  Support   plan ",
        code="SUP-1",
        description=" Yearly ",
        prices={"eur": "1200.00", "USD": Decimal("1300.5")},
    )

    assert (product.name, product.code, product.description) == ("Support plan", "SUP-1", "Yearly")
    assert product.is_active
    assert prices_of(product) == {"EUR": Decimal("1200.00"), "USD": Decimal("1300.50")}


@pytest.mark.parametrize("who", ["alice", "maria"])
def test_only_admins_change_the_catalogue(request, who):
    user = request.getfixturevalue(who)
    product = ProductFactory(name="Licence")

    with pytest.raises(PermissionDenied):
        create_product(by=user, name="Licence 2")
    with pytest.raises(PermissionDenied):
        update_product(by=user, product_id=product.pk, fields={"name": "Renamed"})
    with pytest.raises(PermissionDenied):
        remove_product(by=user, product_id=product.pk)

    assert list(Product.objects.values_list("name", flat=True)) == ["Licence"]


def test_codes_are_unique_without_regard_to_case(ada):
    ProductFactory(code="LIC-1")

    with pytest.raises(ValidationError) as error:
        create_product(by=ada, name="Licence", code="lic-1")

    assert set(error.value.message_dict) == {"code"}
    assert Product.objects.count() == 1


def test_bad_input_names_each_field_and_writes_nothing(ada):
    with pytest.raises(ValidationError) as error:
        create_product(
            by=ada,
            name="  ",
            prices={"EUR": "-1", "XYZ": "10", "USD": "1.234", "CHF": "abc"},
        )

    assert set(error.value.message_dict) == {
        "name",
        "prices.EUR",
        "prices.XYZ",
        "prices.USD",
        "prices.CHF",
    }
    assert not Product.objects.exists()
    assert not ProductPrice.objects.exists()


def test_given_prices_replace_the_old_ones(ada):
    product = ProductFactory()
    ProductPriceFactory(product=product, currency="EUR", unit_price=Decimal("10.00"))
    ProductPriceFactory(product=product, currency="USD", unit_price=Decimal("11.00"))

    update_product(by=ada, product_id=product.pk, prices={"EUR": "12.00", "GBP": "9.00"})

    assert prices_of(product) == {"EUR": Decimal("12.00"), "GBP": Decimal("9.00")}


def test_leaving_prices_out_keeps_them(ada):
    product = ProductFactory()
    ProductPriceFactory(product=product, currency="EUR", unit_price=Decimal("10.00"))

    update_product(by=ada, product_id=product.pk, fields={"name": "Renamed"})

    assert Product.objects.get(pk=product.pk).name == "Renamed"
    assert prices_of(product) == {"EUR": Decimal("10.00")}


def test_a_failed_update_leaves_the_product_as_it_was(ada):
    product = ProductFactory(name="Licence")
    ProductPriceFactory(product=product, currency="EUR", unit_price=Decimal("10.00"))

    with pytest.raises(ValidationError):
        update_product(by=ada, product_id=product.pk, fields={"name": "New"}, prices={"EUR": "-5"})

    assert Product.objects.get(pk=product.pk).name == "Licence"
    assert prices_of(product) == {"EUR": Decimal("10.00")}


def test_a_sold_product_is_retired_not_deleted(ada):
    sold = LineItemFactory().product
    unsold = ProductFactory()

    assert remove_product(by=ada, product_id=sold.pk) is False
    assert remove_product(by=ada, product_id=unsold.pk) is True

    assert list(Product.objects.values_list("pk", "is_active")) == [(sold.pk, False)]


def test_retire_and_reactivate(ada):
    product = ProductFactory()

    set_product_active(by=ada, product_id=product.pk, is_active=False)
    assert not Product.objects.get(pk=product.pk).is_active

    set_product_active(by=ada, product_id=product.pk, is_active=True)
    assert Product.objects.get(pk=product.pk).is_active
