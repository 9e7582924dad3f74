"""Quotas per user or team and month or quarter; the rules are ``forecasting.quotas``'."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models.functions import Lower
from django.utils.translation import gettext as _

from accounts.models import Team, User
from accounts.visibility import visible_users
from crm.imports.kinds import CleanRow, missing_required
from crm.imports.models import ImportKind
from crm.imports.writers.base import BatchPlan, Planned, Writer
from forecasting import quotas
from forecasting.models import Quota
from forecasting.periods import Period


@dataclass(frozen=True)
class PlannedQuota:
    owner: User | Team
    period: Period
    amount: Decimal
    currency: str | None
    pk: int | None = None  # what Planned.record offers the runner


class QuotaWriter(Writer):
    """Sets each row's quota with ``set_quota``: admins any, managers their teams' and
    members'. A row whose owner, period, amount or currency breaks a rule is rejected
    whole, naming its field; the other rows are written."""

    model = Quota
    kind = ImportKind.QUOTAS
    has_owner = False

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # (owner, period start) -> line, and (owner, year) -> (kind, currency), over the
        # whole file: its own rows must agree with each other as with the stored quotas.
        self._lines: dict[tuple[str, Any], int] = {}
        self._years: dict[tuple[str, int], tuple[str, str]] = {}

    def plan(self, rows: list[CleanRow]) -> BatchPlan:
        plan = BatchPlan()
        if not (self.by.is_admin or self.by.is_manager):
            for row in rows:
                plan.reject(row.line, "owner", _("Only admins and managers import quotas."))
            return plan
        owners = self._owners(rows)
        for row in rows:
            problems = {problem.field: problem.message for problem in row.problems}
            for problem in missing_required(self.kind, row.values):
                problems.setdefault(problem.field, problem.message)
            if not problems:
                planned = self._plan_quota(row, owners, problems)
                if planned is not None and not problems:
                    plan.accepted.append(planned)
            for field_name, message in problems.items():
                plan.reject(row.line, field_name, message)
        return plan

    def _owners(self, rows: list[CleanRow]) -> dict[str, User | Team]:
        """Owner cells (case-folded) to the users (by e-mail) or teams (by name) they name."""
        names = {row.values["owner"].casefold() for row in rows if "owner" in row.values}
        found: dict[str, User | Team] = {}
        for team in Team.objects.annotate(key=Lower("name")).filter(key__in=names):
            found[team.name.casefold()] = team
        users = (
            visible_users(self.by)
            .select_related("team")
            .annotate(key=Lower("email"))
            .filter(key__in={name for name in names if "@" in name})
        )
        for user in users:
            found[user.email.casefold()] = user
        return found

    def _plan_quota(
        self, row: CleanRow, owners: dict[str, User | Team], problems: dict[str, str]
    ) -> Planned | None:
        values = row.values
        owner = owners.get(values["owner"].casefold())
        if owner is None:
            problems["owner"] = _(
                "“%(value)s” is neither a user's e-mail address nor a team's name."
            ) % {"value": values["owner"]}
            return None
        if not quotas.may_set_quota(self.by, owner):
            problems["owner"] = _("You may not set the quota of %(owner)s.") % {"owner": owner}
            return None
        period: Period = values["period"]
        key = quotas.owner_key(owner)
        earlier = self._lines.get((key, period.start))
        if earlier is not None:
            problems["period"] = _("This quota is also on line %(line)s.") % {"line": earlier}
            return None
        try:
            currency = quotas.check_quota(owner, period, values["amount"], values.get("currency"))
        except ValidationError as error:
            for field_name, messages in error.message_dict.items():
                problems[field_name] = " ".join(messages)
            return None
        kind = quotas.period_kind(period)
        year = self._years.get((key, period.start.year))
        if year is not None and year[0] != kind:
            problems["period"] = _("Another row makes this year's quotas %(kind)s.") % {
                "kind": _("quarterly") if year[0] == quotas.QUARTER else _("monthly")
            }
            return None
        if year is not None and year[1] != currency:
            problems["currency"] = _("Another row sets this year's quotas in %(currency)s.") % {
                "currency": year[1]
            }
            return None
        self._lines[(key, period.start)] = row.line
        self._years[(key, period.start.year)] = (kind, currency)
        quota = PlannedQuota(owner, period, values["amount"], currency)
        return Planned(row.line, quota, is_new=True)

    def write(self, plan: BatchPlan) -> tuple[int, int]:
        created = updated = 0
        for planned in plan.accepted:
            quota: PlannedQuota = planned.record
            field = "team" if isinstance(quota.owner, Team) else "user"
            exists = Quota.objects.filter(
                **{field: quota.owner, "period_start": quota.period.start}
            ).exists()
            quotas.set_quota(
                actor=self.by,
                owner=quota.owner,
                period=quota.period,
                amount=quota.amount,
                currency=quota.currency,
            )
            updated, created = (updated + 1, created) if exists else (updated, created + 1)
        return created, updated
