"""A deal row's product becomes a line item: matched by name, code or another name, whatever
the case and spaces; unknown products are row errors, listed in the preview."""

import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from pipeline.models import LineItem, Opportunity
from tests.factories import LineItemFactory, OpportunityFactory, ProductFactory, ProductPriceFactory
from tests.imports.importing import run_import


@pytest.fixture
def pro_x(db):
    product = ProductFactory(name="Pro X", code="PX-1", aliases=["Professional X"])
    ProductPriceFactory(product=product, currency="EUR", unit_price=Decimal("250.00"))
    return product


def line_items():
    return list(
        LineItem.objects.order_by("opportunity__title").values_list(
            "opportunity__title", "product__name", "quantity", "unit_price"
        )
    )


def test_a_product_matches_by_name_code_or_other_name_whatever_the_case_and_spaces(
    alice, acme, pipeline, pro_x
):
    content = """title,company,product,quantity,currency
A,Acme,ProX,2,EUR
B,Acme,pro x,,eur
C,Acme,px-1,1,EUR
D,Acme,PROFESSIONAL  X,3,EUR
"""
    result = run_import(alice, "deals", content)

    assert result.outcome.rejected == 0, result.reasons
    assert line_items() == [
        ("A", "Pro X", Decimal("2.00"), Decimal("250.00")),
        ("B", "Pro X", Decimal("1.00"), Decimal("250.00")),
        ("C", "Pro X", Decimal("1.00"), Decimal("250.00")),
        ("D", "Pro X", Decimal("3.00"), Decimal("250.00")),
    ]
    # The deal's value follows its line items.
    assert dict(Opportunity.objects.values_list("title", "value")) == {
        "A": Decimal("500.00"),
        "B": Decimal("250.00"),
        "C": Decimal("250.00"),
        "D": Decimal("750.00"),
    }


def test_a_value_in_the_file_is_kept_and_sets_the_unit_price(alice, acme, pipeline, pro_x):
    result = run_import(
        alice, "deals", "title,company,product,quantity,value\nA,Acme,Pro X,4,900\n"
    )

    assert result.outcome.rejected == 0, result.reasons
    assert line_items() == [("A", "Pro X", Decimal("4.00"), Decimal("225.00"))]
    assert Opportunity.objects.get().value == Decimal("900.00")


def test_problems_with_products_are_row_errors(alice, acme, pipeline, pro_x):
    ProductFactory(name="Old plan", is_active=False)
    ProductFactory(name="Gold")
    content = """title,company,product,quantity,value,currency
Unknown,Acme,Pro Y,,,
Retired,Acme,Old plan,,,
No price,Acme,Pro X,1,,USD
Uneven,Acme,Pro X,3,100,
Zero,Acme,Pro X,0,,
Alone,Acme,,2,,
No price at all,Acme,Gold,,,
"""
    result = run_import(alice, "deals", content)

    assert result.outcome.created == 0
    assert result.reasons == {
        2: [
            "product: No product “Pro Y” in the catalogue: add it, or add “Pro Y” to a "
            "product's other names."
        ],
        3: ["product: Old plan is retired; choose an active product."],
        4: [
            "product: Pro X has no price in USD; add one to the catalogue or give the deal's value."
        ],
        5: [
            "quantity: The value 100.00 is not 3.00 times a price to the cent; give the "
            "quantity the value is for."
        ],
        6: ["quantity: Quantity must be more than 0."],
        7: ["quantity: A quantity needs a product."],
        8: [
            "product: Gold has no price in EUR; add one to the catalogue or give the deal's value."
        ],
    }
    assert not LineItem.objects.exists()


def test_a_name_two_products_answer_to_is_a_row_error_naming_both(alice, acme, pipeline):
    ProductFactory(name="Pro X")
    ProductFactory(name="ProX")

    result = run_import(alice, "deals", "title,company,product,value\nA,Acme,pro x,10\n")

    assert result.reasons == {
        2: ["product: “pro x” names several products: Pro X, ProX; give one of their codes."]
    }


def test_a_reimport_changes_the_deals_line_item_and_keeps_its_others(alice, acme, pipeline, pro_x):
    deal = OpportunityFactory(external_id="D-1", owner=alice, company=acme, currency="EUR")
    other = LineItemFactory(opportunity=deal, quantity=1, unit_price=Decimal("40.00"))
    LineItemFactory(opportunity=deal, product=pro_x, quantity=1, unit_price=Decimal("250.00"))

    result = run_import(
        alice, "deals", "external_id,title,company,product,quantity\nD-1,,,Pro X,2\n"
    )

    assert result.outcome.updated == 1, result.reasons
    items = list(deal.line_items.order_by("position", "pk").values_list("product", "quantity"))
    assert items == [(other.product_id, Decimal("1.00")), (pro_x.pk, Decimal("2.00"))]
    deal.refresh_from_db()
    assert deal.value == Decimal("540.00")


def test_a_reimport_adds_a_product_the_deal_did_not_have(alice, acme, pipeline, pro_x):
    deal = OpportunityFactory(external_id="D-1", owner=alice, company=acme, currency="EUR")
    LineItemFactory(opportunity=deal, quantity=1, unit_price=Decimal("40.00"))

    run_import(alice, "deals", "external_id,title,company,product\nD-1,,,PX-1\n")

    assert deal.line_items.count() == 2
    deal.refresh_from_db()
    assert deal.value == Decimal("290.00")


def test_the_command_lists_the_products_it_did_not_find(alice, acme, pipeline, pro_x, tmp_path):
    path = tmp_path / "deals.csv"
    path.write_text(
        "title,company,product\nA,Acme,Pro X\nB,Acme,Pro Y\nC,Acme,Pro Z\nD,Acme,Pro Y\n"
    )
    out = io.StringIO()

    with pytest.raises(CommandError) as exit_status:
        call_command(
            "import_csv", "deals", str(path), "--user", "alice", stdout=out, stderr=io.StringIO()
        )

    assert exit_status.value.returncode == 2
    assert "Not found (product): Pro Y, Pro Z" in out.getvalue()
