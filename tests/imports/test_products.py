"""Importing the product catalogue: one row per product, its prices in one cell."""

from decimal import Decimal

from pipeline.models import Product, ProductPrice
from tests.factories import ProductFactory
from tests.imports.importing import run_import

PRODUCTS = """external_id,name,code,prices,is_active
P-1,Licence,LIC,EUR 250.00; USD 270,yes
P-2,Support,SUP,eur 99.5,
P-3,Old plan,OLD,,no
"""


def prices_of(external_id):
    return dict(
        ProductPrice.objects.filter(product__external_id=external_id).values_list(
            "currency", "unit_price"
        )
    )


def test_admin_imports_products_with_their_prices(ada):
    result = run_import(ada, "products", PRODUCTS)

    assert (result.outcome.created, result.outcome.rejected) == (3, 0), result.reasons
    assert prices_of("P-1") == {"EUR": Decimal("250.00"), "USD": Decimal("270.00")}
    assert prices_of("P-2") == {"EUR": Decimal("99.50")}
    assert dict(Product.objects.values_list("code", "is_active")) == {
        "LIC": True,
        "SUP": True,
        "OLD": False,
    }


def test_reimporting_updates_and_replaces_the_prices(ada):
    run_import(ada, "products", PRODUCTS)

    result = run_import(ada, "products", "external_id,name,prices\nP-1,Licence Pro,GBP 200\n")

    assert (result.outcome.created, result.outcome.updated) == (0, 1)
    assert Product.objects.get(external_id="P-1").name == "Licence Pro"
    assert prices_of("P-1") == {"GBP": Decimal("200.00")}


def test_bad_rows_name_their_line_and_column_and_write_nothing_of_themselves(ada):
    ProductFactory(code="TAKEN")
    content = (
        "name,code,prices,is_active\n"
        "Good,G-1,EUR 10,\n"
        "Bad price,B-1,EUR ten,\n"
        "Bad currency,B-2,XYZ 10,\n"
        "No pair,B-3,EUR,\n"
        "Bad flag,B-4,,maybe\n"
        "Taken,taken,,\n"
        ",B-5,,\n"
        "Twice,G-1,,\n"
    )

    result = run_import(ada, "products", content)

    assert result.outcome.created == 1
    assert {
        line: [reason.split(":")[0] for reason in reasons]
        for line, reasons in result.reasons.items()
    } == {
        3: ["prices"],
        4: ["prices"],
        5: ["prices"],
        6: ["is_active"],
        7: ["code"],
        8: ["name"],
        9: ["code"],
    }
    assert set(Product.objects.values_list("code", flat=True)) == {"TAKEN", "G-1"}
    assert prices_of("") == {"EUR": Decimal("10.00")}


def test_only_admins_import_products(maria):
    result = run_import(maria, "products", PRODUCTS)

    assert (result.outcome.created, result.outcome.rejected) == (0, 3)
    assert not Product.objects.exists()
