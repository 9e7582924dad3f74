"""Line items on a deal: each add, change and removal is an edit of the deal.

North: manager Maria, reps Alice and Bob. South: manager Sam, rep Charlie. Ada is admin.
"""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from pipeline.models import DealChange, LineItem, Opportunity
from pipeline.services import MoveConflict, create_opportunity, update_opportunity
from pipeline.services.line_items import (
    LineItemInput,
    add_line_item,
    add_line_items,
    change_line_item,
    remove_line_item,
)
from tests.factories import (
    CompanyFactory,
    LineItemFactory,
    OpportunityFactory,
    ProductFactory,
    ProductPriceFactory,
    StageFactory,
)


@pytest.fixture
def deal(alice):
    return OpportunityFactory(owner=alice, value=Decimal("5000.00"), currency="EUR")


@pytest.fixture
def licence(db):
    product = ProductFactory(name="Licence")
    ProductPriceFactory(product=product, currency="EUR", unit_price=Decimal("250.00"))
    ProductPriceFactory(product=product, currency="USD", unit_price=Decimal("270.00"))
    return product


@pytest.fixture
def support(db):
    product = ProductFactory(name="Support")
    ProductPriceFactory(product=product, currency="EUR", unit_price=Decimal("99.99"))
    return product


def snapshot(deal):
    return (
        Opportunity.objects.values("value", "version").get(pk=deal.pk),
        list(LineItem.objects.filter(opportunity=deal).values()),
        DealChange.objects.filter(opportunity=deal).count(),
    )


def test_a_line_item_takes_the_catalogue_price_and_sets_the_value(alice, deal, licence):
    item = add_line_item(
        by=alice, opportunity_id=deal.pk, version=deal.version, product=licence, quantity="3"
    )

    assert (item.unit_price, item.discount, item.position) == (Decimal("250.00"), 0, 0)
    deal.refresh_from_db()
    assert (deal.value, deal.version) == (Decimal("750.00"), 2)


def test_the_value_is_the_sum_of_the_totals_after_discount(alice, deal, licence, support):
    add_line_items(
        by=alice,
        opportunity_id=deal.pk,
        version=None,
        items=[
            LineItemInput(product=licence, quantity="2", discount="10"),
            LineItemInput(product=support.pk, quantity="1.5", unit_price="80.00"),
        ],
    )

    deal.refresh_from_db()
    # 2 x 250 less 10 % = 450.00; 1.5 x 80 = 120.00
    assert deal.value == Decimal("570.00")
    assert list(deal.line_items.values_list("position", flat=True)) == [0, 1]


def test_history_records_the_line_items_and_the_value(alice, deal, licence):
    add_line_item(by=alice, opportunity_id=deal.pk, version=None, product=licence)

    changes = {change.field: change for change in DealChange.objects.filter(opportunity=deal)}
    assert set(changes) == {"line_items", "value"}
    assert changes["value"].old_value == "5000.00"
    assert changes["value"].new_value == "250.00"
    assert changes["line_items"].old_value == []
    assert changes["line_items"].new_value == [
        {
            "product": licence.pk,
            "name": "Licence",
            "quantity": "1.00",
            "unit_price": "250.00",
            "discount": "0.00",
            "total": "250.00",
        }
    ]
    assert changes["line_items"].by == alice


def test_a_product_without_a_price_in_the_deals_currency_needs_a_typed_price(alice, support):
    deal = OpportunityFactory(owner=alice, currency="USD")
    before = snapshot(deal)

    with pytest.raises(ValidationError) as error:
        add_line_item(by=alice, opportunity_id=deal.pk, version=None, product=support)

    assert set(error.value.message_dict) == {"unit_price"}
    assert "USD" in error.value.message_dict["unit_price"][0]
    assert snapshot(deal) == before

    item = add_line_item(
        by=alice, opportunity_id=deal.pk, version=None, product=support, unit_price="110"
    )
    assert item.unit_price == Decimal("110.00")


def test_one_bad_line_item_writes_nothing_and_names_its_row(alice, deal, licence, support):
    retired = ProductFactory(is_active=False)
    LineItemFactory(opportunity=deal, product=support)
    before = snapshot(deal)

    with pytest.raises(ValidationError) as error:
        add_line_items(
            by=alice,
            opportunity_id=deal.pk,
            version=None,
            prefix="line_items.",
            items=[
                LineItemInput(product=licence, quantity="1"),
                LineItemInput(product=licence, quantity="0", discount="101"),
                LineItemInput(product=retired, unit_price="-1"),
                LineItemInput(product=999_999),
            ],
        )

    assert set(error.value.message_dict) == {
        "line_items.1.quantity",
        "line_items.1.discount",
        "line_items.2.product",
        "line_items.2.unit_price",
        "line_items.3.product",
    }
    assert snapshot(deal) == before


@pytest.mark.parametrize(
    ("field", "value"),
    [("quantity", "-1"), ("quantity", "abc"), ("discount", "-5"), ("unit_price", "1.001")],
)
def test_a_bad_change_names_the_field_and_writes_nothing(alice, deal, licence, field, value):
    item = add_line_item(by=alice, opportunity_id=deal.pk, version=None, product=licence)
    before = snapshot(deal)

    with pytest.raises(ValidationError) as error:
        change_line_item(
            by=alice,
            opportunity_id=deal.pk,
            version=None,
            line_item_id=item.pk,
            fields={field: value},
        )

    assert set(error.value.message_dict) == {field}
    assert snapshot(deal) == before


def test_changing_a_line_item_changes_the_value(alice, deal, licence):
    item = add_line_item(by=alice, opportunity_id=deal.pk, version=None, product=licence)

    changed = change_line_item(
        by=alice,
        opportunity_id=deal.pk,
        version=2,
        line_item_id=item.pk,
        fields={"quantity": "4", "discount": "25"},
    )

    assert (changed.quantity, changed.discount) == (Decimal("4.00"), Decimal("25.00"))
    deal.refresh_from_db()
    assert (deal.value, deal.version) == (Decimal("750.00"), 3)


def test_removing_the_last_line_item_keeps_the_last_value(alice, deal, licence, support):
    first = add_line_item(by=alice, opportunity_id=deal.pk, version=None, product=licence)
    second = add_line_item(by=alice, opportunity_id=deal.pk, version=None, product=support)

    remove_line_item(by=alice, opportunity_id=deal.pk, version=None, line_item_id=first.pk)
    deal.refresh_from_db()
    assert deal.value == Decimal("99.99")

    remove_line_item(by=alice, opportunity_id=deal.pk, version=None, line_item_id=second.pk)
    deal.refresh_from_db()
    assert deal.value == Decimal("99.99")
    assert not deal.line_items.exists()


def test_a_line_item_of_another_deal_is_not_found(alice, deal, licence):
    other = LineItemFactory(opportunity=OpportunityFactory(owner=alice))

    with pytest.raises(LineItem.DoesNotExist):
        remove_line_item(by=alice, opportunity_id=deal.pk, version=None, line_item_id=other.pk)
    assert LineItem.objects.filter(pk=other.pk).exists()


def test_a_stale_version_is_a_conflict_naming_who_changed_it(alice, maria, deal, licence):
    add_line_item(by=maria, opportunity_id=deal.pk, version=1, product=licence)
    before = snapshot(deal)

    with pytest.raises(MoveConflict) as conflict:
        add_line_item(by=alice, opportunity_id=deal.pk, version=1, product=licence)

    assert conflict.value.current.updated_by == maria
    assert snapshot(deal) == before


def test_manager_edits_their_reps_line_items(maria, deal, licence):
    add_line_item(by=maria, opportunity_id=deal.pk, version=None, product=licence)

    assert deal.line_items.count() == 1


def test_teammate_may_see_but_not_change_line_items(bob, deal, licence):
    before = snapshot(deal)

    with pytest.raises(PermissionDenied):
        add_line_item(by=bob, opportunity_id=deal.pk, version=None, product=licence)
    assert snapshot(deal) == before


@pytest.mark.parametrize("who", ["charlie", "sam"])
def test_other_team_cannot_see_the_deal(request, deal, licence, who):
    before = snapshot(deal)

    with pytest.raises(Opportunity.DoesNotExist):
        add_line_item(
            by=request.getfixturevalue(who), opportunity_id=deal.pk, version=None, product=licence
        )
    assert snapshot(deal) == before


def test_a_deal_with_line_items_refuses_a_typed_value_or_another_currency(alice, deal, licence):
    add_line_item(by=alice, opportunity_id=deal.pk, version=None, product=licence)
    before = snapshot(deal)

    with pytest.raises(ValidationError) as error:
        update_opportunity(
            by=alice,
            opportunity_id=deal.pk,
            version=None,
            fields={"value": "9999.00", "currency": "USD"},
        )

    assert set(error.value.message_dict) == {"value", "currency"}
    assert snapshot(deal) == before
    # Repeating them, as a form with every field does, is an edit like any other.
    edited = update_opportunity(
        by=alice,
        opportunity_id=deal.pk,
        version=None,
        fields={"value": "250.00", "currency": "EUR", "title": "Renamed"},
    )
    assert edited.title == "Renamed"


@transaction.atomic
def create_with_line_items(by, items):
    """How the deal create form takes line items: create, then add them, in one transaction."""
    stage = StageFactory()
    deal = create_opportunity(
        by=by,
        title="New",
        company=CompanyFactory(owner=by),
        pipeline=stage.pipeline,
        value=Decimal(0),
        currency="EUR",
    )
    add_line_items(by=by, opportunity_id=deal.pk, version=None, prefix="line_items.", items=items)
    return deal


def test_a_deal_created_with_a_bad_line_item_is_not_created(alice, licence):
    items = [LineItemInput(product=licence, quantity="2"), LineItemInput(licence, quantity="0")]

    with pytest.raises(ValidationError) as error:
        create_with_line_items(alice, items)

    assert set(error.value.message_dict) == {"line_items.1.quantity"}
    assert not Opportunity.objects.exists()
    assert not LineItem.objects.exists()


def test_a_deal_created_with_line_items_takes_its_value_from_them(alice, licence):
    deal = create_with_line_items(alice, [LineItemInput(product=licence, quantity="2")])

    deal.refresh_from_db()
    assert (deal.value, deal.version) == (Decimal("500.00"), 2)
