"""The products on a deal (line items): adding, changing and removing them.

Each is an edit of the deal: it locks the deal, checks that the actor may change it and
that the version they saw is still the deal's (``lock_editable_deal``), changes the line
items, then claims the deal (``claim_deal``), which bumps the version so that a move or an
edit begun before it loses with a 409. A deal with line items takes its value from them;
removing the last one leaves the value it had as a typed value. The history records the
line items before and after, and the value, in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from pipeline.models import LineItem, Opportunity, Product, ProductPrice
from pipeline.services.claims import claim_deal, lock_editable_deal
from pipeline.services.history import record_deal_changes
from pipeline.services.products import PRICE_LIMIT, clean_money, parse_decimal

# LineItem.quantity: 12 digits, 2 after the point; Opportunity.value: 14 and 2.
QUANTITY_LIMIT = Decimal(10) ** 10
VALUE_LIMIT = Decimal(10) ** 12
HUNDRED = Decimal(100)

CHANGEABLE_FIELDS = frozenset({"quantity", "unit_price", "discount"})


@dataclass(frozen=True)
class LineItemInput:
    """One product to put on a deal, as a form or the API gives it.

    ``unit_price`` None takes the catalogue price in the deal's currency.
    """

    product: Product | int
    quantity: object = Decimal(1)
    unit_price: object | None = None
    discount: object = Decimal(0)


def _clean_quantity(value: object) -> Decimal:
    quantity = parse_decimal(value, limit=QUANTITY_LIMIT)
    if quantity <= 0:
        raise ValidationError(_("Quantity must be more than 0."))
    return quantity


def _clean_discount(value: object) -> Decimal:
    if value is None or value == "":
        return Decimal(0)
    discount = parse_decimal(value, limit=Decimal(1000))
    if not 0 <= discount <= HUNDRED:
        raise ValidationError(_("A discount is between 0 and 100%."))
    return discount


def _summary(items: Sequence[LineItem]) -> list[dict[str, object]]:
    """The line items as the history keeps them; the product's name as it was then."""
    return [
        {
            "product": item.product_id,
            "name": item.product.name,
            "quantity": item.quantity,
            "unit_price": item.unit_price,
            "discount": item.discount,
            "total": item.total,
        }
        for item in items
    ]


def _current_items(opportunity: Opportunity) -> list[LineItem]:
    return list(
        LineItem.objects.filter(opportunity=opportunity)
        .select_related("product")
        .order_by("position", "pk")
    )


def _edit_line_items(
    *,
    by: User,
    opportunity_id: int,
    version: int | None,
    change: Callable[[Opportunity, list[LineItem]], None],
) -> Opportunity:
    """Lock and check the deal, ``change`` its line items, then claim it and record history.

    ``change`` raises ValidationError before it writes anything; the caller's transaction
    undoes whatever it wrote if a later check fails.
    """
    opportunity = lock_editable_deal(by=by, opportunity_id=opportunity_id, version=version)
    items = _current_items(opportunity)
    before: dict[str, object] = {"line_items": _summary(items), "value": opportunity.value}
    change(opportunity, items)
    items = _current_items(opportunity)
    if items:
        value = sum((item.total for item in items), Decimal("0.00"))
        if value >= VALUE_LIMIT:
            raise ValidationError({"value": _("The line items add up to more than a deal holds.")})
        opportunity.value = value
    claim_deal(
        by=by, opportunity=opportunity, version=version, columns={"value": opportunity.value}
    )
    record_deal_changes(
        opportunity=opportunity,
        by=by,
        before=before,
        after={"line_items": _summary(items), "value": opportunity.value},
        at=opportunity.updated_at,
    )
    return opportunity


def _new_rows(
    opportunity: Opportunity, inputs: Sequence[LineItemInput], *, prefix: str
) -> list[LineItem]:
    """Checked, unsaved line items for ``inputs``; ValidationError naming each bad field.

    Errors are keyed ``<prefix><field>`` for one input and ``<prefix><index>.<field>`` for
    several, the index counting from 0 as the inputs were given.
    """
    product_ids = {
        item.product.pk if isinstance(item.product, Product) else item.product for item in inputs
    }
    products = Product.objects.in_bulk([pk for pk in product_ids if isinstance(pk, int)])
    prices = {
        price.product_id: price.unit_price
        for price in ProductPrice.objects.filter(
            product_id__in=products, currency=opportunity.currency
        )
    }
    errors: dict[str, str] = {}
    rows: list[LineItem] = []
    for index, given in enumerate(inputs):
        key = prefix if len(inputs) == 1 else f"{prefix}{index}."
        pk = given.product.pk if isinstance(given.product, Product) else given.product
        product = products.get(pk) if isinstance(pk, int) else None
        if product is None:
            errors[f"{key}product"] = _("Choose a product from the catalogue.")
        elif not product.is_active:
            errors[f"{key}product"] = _("%(product)s is retired; choose an active product.") % {
                "product": product
            }
        row = LineItem(opportunity=opportunity, product=product)
        try:
            row.quantity = _clean_quantity(given.quantity)
        except ValidationError as error:
            errors[f"{key}quantity"] = error.messages[0]
        try:
            row.discount = _clean_discount(given.discount)
        except ValidationError as error:
            errors[f"{key}discount"] = error.messages[0]
        if given.unit_price is not None and given.unit_price != "":
            try:
                row.unit_price = clean_money(given.unit_price, limit=PRICE_LIMIT)
            except ValidationError as error:
                errors[f"{key}unit_price"] = error.messages[0]
        elif product is not None and product.pk in prices:
            row.unit_price = prices[product.pk]
        elif product is not None:
            errors[f"{key}unit_price"] = _(
                "%(product)s has no price in %(currency)s; type a unit price."
            ) % {"product": product, "currency": opportunity.currency}
        rows.append(row)
    if errors:
        raise ValidationError(errors)
    return rows


@transaction.atomic
def add_line_items(
    *,
    by: User,
    opportunity_id: int,
    version: int | None,
    items: Sequence[LineItemInput],
    prefix: str = "",
) -> list[LineItem]:
    """Put ``items`` on the deal after the ones it has; the deal's value becomes their sum.

    Only active products are added. A unit price left out is the product's catalogue
    price in the deal's currency, refused when it has none. Quantity is more than 0, the
    discount 0 to 100 %. One bad item writes nothing: ValidationError names each bad field
    (``<prefix><index>.<field>`` when several were given, ``<prefix><field>`` for one).
    Raises Opportunity.DoesNotExist (404), PermissionDenied (403) and MoveConflict (409)
    as every edit of a deal does. The deal create form calls this after creating the deal,
    in the same transaction, with ``version`` None and ``prefix="line_items."``.
    """
    added: list[LineItem] = []

    def change(opportunity: Opportunity, current: list[LineItem]) -> None:
        if not items:
            return
        rows = _new_rows(opportunity, items, prefix=prefix)
        last = current[-1].position if current else -1
        for offset, row in enumerate(rows, start=1):
            row.position = last + offset
        added.extend(LineItem.objects.bulk_create(rows))

    _edit_line_items(by=by, opportunity_id=opportunity_id, version=version, change=change)
    return added


def add_line_item(
    *,
    by: User,
    opportunity_id: int,
    version: int | None,
    product: Product | int,
    quantity: object = Decimal(1),
    unit_price: object | None = None,
    discount: object = Decimal(0),
) -> LineItem:
    """One product on the deal; see ``add_line_items``. Errors are keyed by field."""
    item = LineItemInput(
        product=product, quantity=quantity, unit_price=unit_price, discount=discount
    )
    (added,) = add_line_items(by=by, opportunity_id=opportunity_id, version=version, items=[item])
    return added


def _line_item_of(current: list[LineItem], line_item_id: int) -> LineItem:
    for item in current:
        if item.pk == line_item_id:
            return item
    raise LineItem.DoesNotExist


@transaction.atomic
def change_line_item(
    *,
    by: User,
    opportunity_id: int,
    version: int | None,
    line_item_id: int,
    fields: Mapping[str, object],
) -> LineItem:
    """Change the quantity, unit price or discount of one of the deal's line items.

    The product stays (remove the line item and add another to change it), retired or not.
    Raises LineItem.DoesNotExist when the line item is not the deal's, and the errors of
    ``add_line_items`` otherwise.
    """
    changed: list[LineItem] = []

    def change(opportunity: Opportunity, current: list[LineItem]) -> None:
        item = _line_item_of(current, line_item_id)
        errors = {name: _("There is no such field.") for name in set(fields) - CHANGEABLE_FIELDS}
        cleaners: dict[str, Callable[[object], Decimal]] = {
            "quantity": _clean_quantity,
            "unit_price": clean_money,
            "discount": _clean_discount,
        }
        for name, clean in cleaners.items():
            if name not in fields:
                continue
            try:
                setattr(item, name, clean(fields[name]))
            except ValidationError as error:
                errors[name] = error.messages[0]
        if errors:
            raise ValidationError(errors)
        item.save(update_fields=sorted(set(fields)))
        changed.append(item)

    _edit_line_items(by=by, opportunity_id=opportunity_id, version=version, change=change)
    return changed[0]


@transaction.atomic
def remove_line_item(
    *, by: User, opportunity_id: int, version: int | None, line_item_id: int
) -> Opportunity:
    """Take a line item off the deal. Without line items the deal keeps its last value."""

    def change(opportunity: Opportunity, current: list[LineItem]) -> None:
        _line_item_of(current, line_item_id).delete()

    return _edit_line_items(by=by, opportunity_id=opportunity_id, version=version, change=change)
