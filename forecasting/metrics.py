"""Dashboard figures: each one a single aggregate query, whatever the number of deals.

Every figure starts from ``visible_to(user)`` and is then narrowed to the user's own
scope: a rep's own records, a manager's teams, everything for an admin. Money is summed
per currency and never converted: amounts in different currencies are not added up.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from forecasting.periods import Period
from forecasting.quotas import quotas_in_scope
from forecasting.scope import ReportScope, owner_scope_q
from pipeline.models import Opportunity, Task

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def scope_label(user: User) -> str:
    if user.is_admin:
        return str(_("All teams"))
    if user.is_manager:
        return str(_("Your teams"))
    return str(_("Your deals"))


@dataclass
class PipelineTotal:
    pipeline_id: int
    pipeline_name: str
    currency: str
    count: int = 0
    value: Decimal = ZERO
    weighted: Decimal = ZERO


@dataclass(frozen=True)
class OpenPipeline:
    totals: list[PipelineTotal]
    stale_count: int


def open_pipeline(user: User) -> OpenPipeline:
    """Open value and weighted value per pipeline and currency, and the stale-deal count.

    Grouped by stage probability as well, so that weighting happens on exact Decimal sums
    in Python instead of on per-row products in SQL (SQLite computes those in floats).
    """
    rows = (
        Opportunity.objects.visible_to(user)
        .open()
        .filter(owner_scope_q(user, "owner"))
        .values(
            "pipeline_id", "pipeline__name", "pipeline__position", "stage__probability", "currency"
        )
        .annotate(
            count=Count("pk"),
            value=Sum("value"),
            stale=Count("pk", filter=Q(stale_since__isnull=False)),
        )
        .order_by("pipeline__position", "pipeline__name", "currency")
    )
    totals: dict[tuple[int, str], PipelineTotal] = {}
    stale_count = 0
    for row in rows:
        key = (row["pipeline_id"], row["currency"])
        total = totals.setdefault(
            key, PipelineTotal(row["pipeline_id"], row["pipeline__name"], row["currency"])
        )
        total.count += row["count"]
        total.value += row["value"]
        total.weighted += row["value"] * row["stage__probability"] / 100
        stale_count += row["stale"]
    for total in totals.values():
        total.weighted = total.weighted.quantize(CENT)
    return OpenPipeline(totals=list(totals.values()), stale_count=stale_count)


@dataclass
class Attainment:
    currency: str
    won_count: int = 0
    won: Decimal = ZERO
    quota: Decimal | None = None

    @property
    def percent(self) -> int | None:
        if not self.quota:
            return None
        return int(self.won * 100 / self.quota)


def won_against_quota(user: User, period: Period) -> list[Attainment]:
    """Closed-won in ``period`` against the quota, per currency (2 queries).

    The quota is the scope's as ``forecasting.quotas.quotas_in_scope`` defines it: the
    user's own for a rep, their teams' for a manager and every team's for an admin, a
    team without its own quota counting the sum of its members'.
    """
    won = (
        Opportunity.objects.visible_to(user)
        .won()
        .filter(owner_scope_q(user, "owner"))
        .filter(closed_at__gte=period.start_at, closed_at__lt=period.end_before)
        .values("currency")
        .annotate(count=Count("pk"), value=Sum("value"))
        .order_by("currency")
    )
    by_currency: dict[str, Attainment] = defaultdict(lambda: Attainment(currency=""))
    for row in won:
        attainment = by_currency[row["currency"]]
        attainment.currency = row["currency"]
        attainment.won_count = row["count"]
        attainment.won = row["value"]
    for currency, amount in quotas_in_scope(ReportScope(user, period)).items():
        attainment = by_currency[currency]
        attainment.currency = currency
        attainment.quota = amount
    return sorted(by_currency.values(), key=lambda attainment: attainment.currency)


def overdue_task_count(user: User) -> int:
    return Task.objects.visible_to(user).overdue().filter(owner_scope_q(user, "assignee")).count()
