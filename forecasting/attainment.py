"""Closed-won against quota for a report's scope, in total and per seller.

Definitions:

- Won: the scope's deals won in its period (``forecasting.outcomes.won_values``), per
  currency; amounts in different currencies are never added.
- Quota: for the whole scope, the quotas ``forecasting.quotas.quotas_in_scope`` reads
  (a named rep's own; else a rep's own, a manager's teams, every team for an admin); for
  one seller, the quotas set on that seller (``forecasting.quotas.quotas_by_person``).
- Percent: won x 100 ÷ quota, rounded down; no quota or a zero quota: None.

Every seller of ``ReportScope.people()`` appears, those without a deal or a quota too.
"""

from __future__ import annotations

from decimal import Decimal

from forecasting.metrics import Attainment
from forecasting.outcomes import won_values, won_values_by_person
from forecasting.quotas import quotas_by_person, quotas_in_scope
from forecasting.scope import ReportScope


def attainment(scope: ReportScope) -> list[Attainment]:
    """Won against the scope's quotas per currency, by currency (three queries)."""
    return _combine(
        {value.currency: (value.count, value.total) for value in won_values(scope, medians=False)},
        quotas_in_scope(scope),
    )


def attainment_by_person(scope: ReportScope) -> dict[int, list[Attainment]]:
    """``attainment`` of each seller in scope against their own quotas (five queries)."""
    won = won_values_by_person(scope, medians=False)
    quotas = quotas_by_person(scope)
    return {
        pk: _combine(
            {value.currency: (value.count, value.total) for value in values}, quotas.get(pk, {})
        )
        for pk, values in won.items()
    }


def _combine(won: dict[str, tuple[int, Decimal]], quotas: dict[str, Decimal]) -> list[Attainment]:
    attainments = []
    for currency in sorted(set(won) | set(quotas)):
        count, total = won.get(currency, (0, Decimal("0.00")))
        attainments.append(
            Attainment(currency=currency, won_count=count, won=total, quota=quotas.get(currency))
        )
    return attainments
