"""A deal row's product: the catalogue entry it names becomes a line item of the deal.

The product cell matches a product's name, code or one of its other names (``aliases``,
set on the product settings page), whatever the case and spaces: "pro x", "ProX" and
"PRO X" are all "Pro X". The line item follows the line item rules
(``pipeline.services.line_items``): an active product, a quantity above 0 (1 when the
file has none), and the catalogue's unit price in the deal's currency, refused when it has
none. A row that gives the deal's value keeps it: the unit price is then the value divided
by the quantity, so imported won revenue stays what the old CRM said. A deal with line
items takes its value from them; a deal the row updates keeps its other line items, and
its line item for the same product is changed rather than doubled.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

from core.bulk_insert import insert_records
from core.new_records import RecordMaker
from crm.imports.bulk import update_records
from crm.imports.parsing import CellError
from pipeline.models import LineItem, Opportunity, Product, ProductPrice
from pipeline.services.line_items import VALUE_LIMIT
from pipeline.services.products import product_key

if TYPE_CHECKING:
    from crm.imports.writers.base import BatchPlan, Planned, Writer

CENT = Decimal("0.01")


@dataclass(frozen=True)
class CatalogueEntry:
    pk: int
    name: str
    is_active: bool


class ProductLookup:
    """The whole catalogue, read once per import: products are few, rows are many."""

    def __init__(self) -> None:
        self._by_key: dict[str, list[CatalogueEntry]] = defaultdict(list)
        self._prices: dict[tuple[int, str], Decimal] = {}
        self._loaded = False

    def _load(self) -> None:
        self._loaded = True
        for pk, name, code, aliases, is_active in Product.objects.values_list(
            "pk", "name", "code", "aliases", "is_active"
        ):
            entry = CatalogueEntry(pk, name, is_active)
            keys = {product_key(name), product_key(code)}
            keys.update(product_key(alias) for alias in aliases or () if isinstance(alias, str))
            for key in keys - {""}:
                self._by_key[key].append(entry)
        self._prices = {
            (product_id, currency): unit_price
            for product_id, currency, unit_price in ProductPrice.objects.values_list(
                "product_id", "currency", "unit_price"
            )
        }

    def product(self, value: str) -> CatalogueEntry:
        if not self._loaded:
            self._load()
        matches = self._by_key.get(product_key(value), [])
        active = [entry for entry in matches if entry.is_active]
        if len(active) > 1:
            raise CellError(
                _("“%(value)s” names several products: %(products)s; give one of their codes.")
                % {"value": value, "products": ", ".join(sorted(e.name for e in active))}
            )
        if active:
            return active[0]
        if matches:
            raise CellError(
                _("%(product)s is retired; choose an active product.")
                % {"product": matches[0].name}
            )
        raise CellError(
            _(
                "No product “%(value)s” in the catalogue: add it, or add “%(value)s” to a "
                "product's other names."
            )
            % {"value": value}
        )

    def price(self, product_id: int, currency: str) -> Decimal | None:
        return self._prices.get((product_id, currency))


class DealProducts:
    """The product hook of the deal writer: plan each row's line item, then write them."""

    def __init__(self, writer: Writer) -> None:
        self.writer = writer
        self.catalogue = ProductLookup()
        # The line item each accepted deal gets, by the deal record's id() until it is saved.
        self._lines: dict[int, LineItem] = {}
        # LineItem(...) per row was a third of planning a deal with a product.
        self._new_line = RecordMaker(LineItem)

    def apply(self, planned: Planned, values: dict[str, Any]) -> None:
        """Plan the row's line item and the deal's value; problems are reported."""
        writer = self.writer
        name = values.get("product")
        if name is None:
            if "quantity" in values and not writer.has_problem("product"):
                writer.report("quantity", _("A quantity needs a product."))
            return
        entry = writer._resolve("product", self.catalogue.product, name)
        if entry is None:
            writer.note_not_found("product", name, key=product_key(name))
            return
        deal: Opportunity = planned.record
        quantity: Decimal = values.get("quantity", Decimal(1))
        if "value" in values:
            unit_price = (values["value"] / quantity).quantize(CENT, rounding=ROUND_HALF_UP)
            if unit_price * quantity != values["value"]:
                writer.report(
                    "quantity",
                    _(
                        "The value %(value)s is not %(quantity)s times a price to the cent; "
                        "give the quantity the value is for."
                    )
                    % {"value": values["value"], "quantity": quantity},
                )
                return
        else:
            price = self.catalogue.price(entry.pk, deal.currency)
            if price is None:
                writer.report(
                    "product",
                    _(
                        "%(product)s has no price in %(currency)s; add one to the catalogue or "
                        "give the deal's value."
                    )
                    % {"product": entry.name, "currency": deal.currency},
                )
                return
            unit_price = price
        line = self._new_line(product_id=entry.pk, quantity=quantity, unit_price=unit_price)
        if line.total >= VALUE_LIMIT:
            writer.report("quantity", _("The line items add up to more than a deal holds."))
            return
        if planned.is_new:
            deal.value = line.total
        self._lines[id(deal)] = line

    def write(self, plan: BatchPlan) -> None:
        """The accepted rows' line items; updated deals' values follow all their items.

        Bulk: one INSERT for the new line items; for updated deals, one read of their line
        items, one UPDATE of the changed ones and one of the deals' values.
        """
        new: list[LineItem] = []
        updated: dict[int, LineItem] = {}
        for planned in plan.accepted:
            line = self._lines.get(id(planned.record))
            if line is None:
                continue
            line.opportunity_id = planned.record.pk
            if planned.is_new:
                new.append(line)
            else:
                updated[planned.record.pk] = line
        # Rejected rows' line items too: their records are gone with the batch.
        self._lines.clear()
        changed: list[LineItem] = []
        values: list[Opportunity] = []
        if updated:
            items: dict[int, list[LineItem]] = defaultdict(list)
            for item in LineItem.objects.filter(opportunity_id__in=updated).order_by(
                "opportunity_id", "position", "pk"
            ):
                items[item.opportunity_id].append(item)
            for deal_id, line in updated.items():
                current = items[deal_id]
                same = next((item for item in current if item.product_id == line.product_id), None)
                if same is None:
                    line.position = current[-1].position + 1 if current else 0
                    new.append(line)
                    current.append(line)
                else:
                    same.quantity, same.unit_price = line.quantity, line.unit_price
                    changed.append(same)
                total = sum((item.total for item in current), Decimal("0.00"))
                values.append(Opportunity(pk=deal_id, value=total))
        # COPY on PostgreSQL (core.bulk_insert): a line item per deal, like the deals.
        insert_records(LineItem, new)
        update_records(LineItem, changed, ["quantity", "unit_price"])
        update_records(Opportunity, values, ["value"])
