"""What a sales team adds to a deal as it works it: products, a buying team, custom values.

Drawn from a stream of their own, so the deals, their history and activity stay those the
seed always gave; only a deal with line items takes a new value, their total.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from crm.demo.catalogue import ProductRef
from crm.demo.companies import CompanyRef
from crm.demo.custom_fields import DemoFields
from crm.demo.pipelines import Layout
from crm.demo.timeline import Timeline
from pipeline.models import BuyingRole, LineItem

LINE_ITEM_SHARE = 0.7
DISCOUNTS = (Decimal(0), Decimal(0), Decimal(0), Decimal(5), Decimal(10), Decimal(15))
# A deal that reached past the middle of its pipeline has met its decision maker this often.
DECISION_MAKER_SHARE = 0.85


@dataclass(frozen=True)
class Roles:
    deciding: list[int]
    others: list[int]

    @classmethod
    def load(cls) -> Roles:
        roles = list(BuyingRole.objects.filter(is_active=True).order_by("position", "pk"))
        return cls(
            deciding=[role.pk for role in roles if role.decides],
            others=[role.pk for role in roles if not role.decides],
        )


@dataclass
class Extras:
    """A deal's line items and buying team rows (without the deal id) and custom values."""

    value: Decimal | None = None
    # (product_id, quantity, unit_price, discount, position)
    line_items: list[tuple[int, Decimal, Decimal, Decimal, int]] = field(default_factory=list)
    # (contact_id, role_id, is_primary)
    team: list[tuple[int, int | None, bool]] = field(default_factory=list)
    custom_fields: dict[str, Any] = field(default_factory=dict)


class ExtrasDrafter:
    def __init__(
        self, rng: random.Random, products: list[ProductRef], roles: Roles, fields: DemoFields
    ) -> None:
        self.rng, self.roles, self.fields = rng, roles, fields
        self.core = [product for product in products if product.is_core]
        self.add_ons = [product for product in products if not product.is_core]

    def draft(
        self,
        *,
        layout: Layout,
        company: CompanyRef,
        timeline: Timeline,
        value: Decimal,
        currency: str,
        contact_id: int | None,
    ) -> Extras:
        rng = self.rng
        extras = Extras(custom_fields=self.fields.deal_values(rng))
        if rng.random() < LINE_ITEM_SHARE:
            self._line_items(extras, value, currency)
        if contact_id is not None:
            reached = max(stage for stage in timeline.stages if stage <= layout.open_count)
            past_middle = reached >= (layout.open_count + 1) // 2
            self._team(extras, company, contact_id, past_middle)
        return extras

    def _line_items(self, extras: Extras, value: Decimal, currency: str) -> None:
        """A core product in about the quantity the quoted value buys, and maybe add-ons."""
        rng = self.rng
        # Not a product that alone costs more than the deal was quoted at.
        affordable = [product for product in self.core if product.prices[currency] <= value]
        core = rng.choice(affordable or [min(self.core, key=lambda p: p.prices[currency])])
        price = core.prices[currency]
        quantity = Decimal(max(1, round(value / price)))
        items = [(core.pk, quantity, price, rng.choice(DISCOUNTS))]
        for add_on in rng.sample(self.add_ons, rng.choice((0, 0, 1, 2))):
            items.append((add_on.pk, Decimal(1), add_on.prices[currency], Decimal(0)))
        extras.line_items = [
            (pk, quantity, price, discount, position)
            for position, (pk, quantity, price, discount) in enumerate(items, start=1)
        ]
        # The deal's value is the sum of its lines' totals, as LineItem computes them.
        extras.value = sum(
            (
                LineItem(quantity=quantity, unit_price=price, discount=discount).total
                for _pk, quantity, price, discount in items
            ),
            Decimal("0.00"),
        )

    def _team(
        self, extras: Extras, company: CompanyRef, contact_id: int, past_middle: bool
    ) -> None:
        """The primary contact and one or two colleagues; past the middle, a decision maker."""
        rng, roles = self.rng, self.roles
        others = [contact.pk for contact in company.contacts if contact.pk != contact_id]
        members = [contact_id, *rng.sample(others, min(len(others), rng.choice((1, 1, 2))))]
        assigned = [rng.choice(roles.others) if roles.others else None for _member in members]
        if roles.deciding and past_middle and rng.random() < DECISION_MAKER_SHARE:
            assigned[rng.randrange(len(members))] = rng.choice(roles.deciding)
        extras.team = [
            (member, role, index == 0)
            for index, (member, role) in enumerate(zip(members, assigned, strict=True))
        ]
