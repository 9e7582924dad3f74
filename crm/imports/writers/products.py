"""The product catalogue, with a price per currency."""

from __future__ import annotations

from typing import Any

from django.db.models.functions import Lower
from django.utils.translation import gettext as _

from crm.imports.kinds import CellProblem, CleanRow
from crm.imports.models import ImportKind
from crm.imports.writers.base import BatchPlan, Planned, Writer
from pipeline.models import Product, ProductPrice


class ProductWriter(Writer):
    """Products of the catalogue, with their prices; only an admin's import writes any."""

    model = Product
    kind = ImportKind.PRODUCTS
    plain_fields = ("external_id", "name", "code", "description", "is_active")
    has_owner = False

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # The prices of the rows planned, by record, until they are written.
        self._prices: dict[int, dict[str, Any]] = {}

    def plan(self, rows: list[CleanRow]) -> BatchPlan:
        if self.by.is_admin:
            return super().plan(rows)
        plan = BatchPlan()
        for row in rows:
            plan.reject(row.line, "name", _("Only admins import products."))
        return plan

    def _plan_row(self, row: CleanRow, record: Any) -> tuple[Planned, list[CellProblem]]:
        planned, problems = super()._plan_row(row, record)
        if "prices" in row.values and not problems:
            self._prices[id(planned.record)] = row.values["prices"]
        return planned, problems

    def check_batch(self, plan: BatchPlan) -> None:
        # The unique lower(code) constraint, as row rejections.
        with_code = [planned for planned in plan.accepted if planned.record.code]
        if not with_code:
            return
        taken = dict(
            Product.objects.annotate(code_key=Lower("code"))
            .filter(code_key__in={planned.record.code.lower() for planned in with_code})
            .values_list("code_key", "pk")
        )
        rejected = plan.reject_taken(
            with_code,
            key=lambda planned: planned.record.code.lower(),
            holders=taken,
            field_name="code",
            message=lambda planned: (
                _("Another product already has the code “%(code)s”.")
                % {"code": planned.record.code}
            ),
        )
        for planned in rejected:
            self._prices.pop(id(planned.record), None)

    def after_write(self, plan: BatchPlan) -> None:
        priced = {
            planned.record.pk: self._prices.pop(id(planned.record))
            for planned in plan.accepted
            if id(planned.record) in self._prices
        }
        ProductPrice.objects.filter(product_id__in=priced).delete()
        ProductPrice.objects.bulk_create(
            ProductPrice(product_id=pk, currency=code, unit_price=unit_price)
            for pk, by_currency in priced.items()
            for code, unit_price in by_currency.items()
        )
