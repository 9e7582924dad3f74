"""Writes of the forecasting app: a manager's adjustment of a rep's or a team's call."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Team, User
from forecasting.forecast import category_total
from forecasting.models import ForecastAdjustment
from forecasting.periods import Period
from forecasting.scope import ReportScope


def may_adjust(user: User, *, rep: User | None = None, team: Team | None = None) -> bool:
    """Admins adjust any call; a manager the calls of the teams they manage and their reps."""
    if user.is_admin:
        return True
    if not user.is_manager:
        return False
    team_id = team.pk if team is not None else (rep.team_id if rep is not None else None)
    return team_id is not None and Team.objects.filter(pk=team_id, manager=user).exists()


def adjust_forecast(
    *,
    by: User,
    period: Period,
    category: str,
    currency: str,
    amount: Decimal,
    note: str = "",
    rep: User | None = None,
    team: Team | None = None,
) -> ForecastAdjustment:
    """Record that ``by`` moved the call of ``rep`` or ``team`` (exactly one) for
    ``category`` in ``period`` to ``amount``.

    The call it moved from is the latest adjustment of the same call, or else the
    submitted figure: the open deals of that rep or team closing in the period in that
    category, in ``currency``, as ``by`` sees them. PermissionDenied when ``by`` may not
    adjust the call.
    """
    if (rep is None) == (team is None):
        raise ValidationError({"rep": _("Adjust the call of a rep or of a team: give one.")})
    if not may_adjust(by, rep=rep, team=team):
        raise PermissionDenied(_("Only the team's manager or an admin can adjust this call."))
    call = {"rep": rep, "team": team, "period": period.token, "category": category}
    with transaction.atomic():
        latest = (
            ForecastAdjustment.objects.filter(**call, currency=currency)
            .order_by("-adjusted_at", "-pk")
            .values_list("amount", flat=True)
            .first()
        )
        if latest is None:
            scope = ReportScope(
                by,
                period,
                rep_id=rep.pk if rep is not None else None,
                team_id=team.pk if team is not None else None,
            )
            latest = category_total(scope, category).get(currency, Decimal("0.00"))
        return ForecastAdjustment.objects.create(
            **call,
            currency=currency,
            adjusted_by=by,
            previous_amount=latest,
            amount=amount,
            note=note.strip(),
        )
