"""What the deal panel's products section shows: the deal's line items and, for those who
may change the deal, the active products to add with their price in the deal's currency.

Three queries whatever the number of line items or products: the line items with their
products, whether the viewer may change the deal, and the catalogue.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import OuterRef, Subquery

from accounts.models import User
from pipeline.forms.products import LineItemChangeForm, LineItemForm
from pipeline.models import LineItem, Opportunity, Product, ProductPrice
from pipeline.services.claims import may_edit_deal


@dataclass
class LineItemSection:
    items: list[LineItem]
    can_change: bool
    # Active products, each with ``deal_price`` (None when it has no price in the currency).
    products: list[Product] = field(default_factory=list)
    add_form: LineItemForm | None = None

    @property
    def total(self) -> Decimal:
        return sum((item.total for item in self.items), Decimal("0.00"))


def line_item_section(user: User, deal: Opportunity) -> LineItemSection:
    items = list(
        LineItem.objects.visible_to(user)
        .filter(opportunity=deal)
        .select_related("product")
        .order_by("position", "pk")
    )
    section = LineItemSection(items=items, can_change=may_edit_deal(user, deal))
    if not section.can_change:
        return section
    for item in items:
        item.change_form = LineItemChangeForm(
            auto_id=f"line-item-{item.pk}-%s",
            initial={
                "quantity": item.quantity,
                "unit_price": item.unit_price,
                "discount": item.discount,
                "version": deal.version,
            },
        )
    price = ProductPrice.objects.filter(product=OuterRef("pk"), currency=deal.currency)
    section.products = list(
        Product.objects.active()
        .annotate(deal_price=Subquery(price.values("unit_price")[:1]))
        .order_by("name", "pk")
    )
    section.add_form = LineItemForm(
        auto_id=f"deal-{deal.pk}-line-item-%s", initial={"version": deal.version}
    )
    return section
