"""Quotas: the one home of which quota counts for a seller, a team or a report's scope.

Definitions, the same in the settings editor, the API, the import and every report:

- A quota is set for one user or one team over one calendar month or quarter
  (``forecasting.periods.Period``). Within one calendar year an owner's quotas are all
  monthly or all quarterly: a year split both ways would count some months twice.
- The quota of an owner for a period is the sum, per currency, of the owner's quotas lying
  within it: a quarter of a monthly year is the sum of its months; a month of a quarterly
  year has no quota (None), because spreading a quarter over its months would invent a
  seasonality nobody set.
- A team's quota for a period is its own when it has any quota of its own touching the
  period; otherwise it defaults to the sum of its members' quotas for the period (the
  "default", shown greyed in the editor). A rep's quota is part of a team's own quota,
  never added on top.
- A report's quotas: a named rep's own, else a rep's own, the teams a manager manages, and
  every team for an admin (a named team narrows both).
- Admins set any quota; managers set those of the teams they manage and of those teams'
  members other than themselves (nobody sets their own target); reps only read.
  Amounts are Decimal and not negative; the currency is the one the owner's other quotas
  of the year use, else the CRM's default (``settings.DEFAULT_CURRENCY``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet
from django.utils.translation import gettext as _

from accounts.models import Role, Team, User
from forecasting.models import Quota
from forecasting.periods import Period, month_of, quarter_of
from forecasting.scope import ReportScope

Owner = User | Team
MONTH = "month"
QUARTER = "quarter"
KINDS = (QUARTER, MONTH)


@dataclass(frozen=True)
class QuotaRow:
    """One stored quota, reduced to what the rules read."""

    team_id: int | None
    user_id: int | None
    member_of: int | None  # the user's team, for a user's quota
    start: dt.date
    end: dt.date
    amount: Decimal
    currency: str


@dataclass(frozen=True)
class QuotaFigure:
    """An owner's quota for a period: amounts per currency, and whether it is a team default."""

    amounts: dict[str, Decimal]
    is_default: bool = False

    @property
    def amount(self) -> Decimal | None:
        """The amount when the figure is in one currency (the usual case), else None."""
        if len(self.amounts) != 1:
            return None
        return next(iter(self.amounts.values()))

    @property
    def currency(self) -> str | None:
        return next(iter(self.amounts)) if len(self.amounts) == 1 else None


def year_periods(year: int, kind: str) -> list[Period]:
    """The quarters or the months of a calendar year, in order."""
    if kind == QUARTER:
        return [quarter_of(dt.date(year, month, 1)) for month in (1, 4, 7, 10)]
    return [month_of(dt.date(year, month, 1)) for month in range(1, 13)]


def whole_year(year: int) -> Period:
    return Period(start=dt.date(year, 1, 1), end=dt.date(year, 12, 31))


def period_kind(period: Period) -> str:
    """``quarter`` or ``month``; ValidationError naming ``period`` for any other span."""
    if period.is_quarter:
        return QUARTER
    if period.is_month:
        return MONTH
    raise ValidationError(
        {"period": _("A quota is for a calendar month or quarter, such as 2026-07 or 2026-Q3.")}
    )


# The rules, on rows already fetched: every caller below goes through these.


def amounts_within(rows: Iterable[QuotaRow], period: Period) -> dict[str, Decimal]:
    """The sum per currency of the rows lying within ``period``."""
    amounts: dict[str, Decimal] = {}
    for row in rows:
        if period.start <= row.start and row.end <= period.end:
            amounts[row.currency] = amounts.get(row.currency, Decimal(0)) + row.amount
    return amounts


def touches(rows: Iterable[QuotaRow], period: Period) -> bool:
    return any(row.start <= period.end and period.start <= row.end for row in rows)


def figure_for(
    own: list[QuotaRow], period: Period, members: list[QuotaRow] | None = None
) -> QuotaFigure | None:
    """The owner's quota for ``period`` from its own rows, a team's from its members' when
    it has none of its own touching the period (``members`` given for teams only)."""
    if members is not None and not touches(own, period):
        amounts = amounts_within(members, period)
        return QuotaFigure(amounts, is_default=True) if amounts else None
    amounts = amounts_within(own, period)
    return QuotaFigure(amounts) if amounts else None


ROW_FIELDS = (
    "team_id",
    "user_id",
    "user__team_id",
    "period_start",
    "period_end",
    "amount",
    "currency",
)


def _rows(quotas: QuerySet[Quota]) -> list[QuotaRow]:
    return [
        QuotaRow(*values)
        for values in quotas.values_list(*ROW_FIELDS).order_by("period_start", "pk")
    ]


def _touching(period: Period) -> Q:
    return Q(period_start__lte=period.end, period_end__gte=period.start)


# Reads


def quota_for(owner: Owner, period: Period) -> QuotaFigure | None:
    """The quota of a user or a team for a month or quarter (one query); None without one.

    Reads every stored quota (callers scope what they show); a team without its own quota
    gets the sum of its active and inactive members' quotas, as the reports do.
    """
    if isinstance(owner, Team):
        rows = _rows(
            Quota.objects.filter(_touching(period)).filter(Q(team=owner) | Q(user__team=owner))
        )
        own = [row for row in rows if row.team_id == owner.pk]
        return figure_for(own, period, [row for row in rows if row.user_id is not None])
    return figure_for(_rows(Quota.objects.filter(_touching(period), user=owner)), period)


@dataclass(frozen=True)
class ScopeQuotas:
    """A report's quotas for its period, per currency: the scope's total and each seller's."""

    total: dict[str, Decimal]
    by_person: dict[int, dict[str, Decimal]]


def quotas_in_scope(scope: ReportScope) -> dict[str, Decimal]:
    """The quota per currency of a report's scope for its period (one query per scope).

    A named rep (or a rep's own report): that rep's quotas. Otherwise the teams in scope
    (those a manager manages, every team for an admin; a named team narrows them), each
    with its own quota or, without one, the sum of its members'.
    """
    return scope_quotas(scope).total


def quotas_by_person(scope: ReportScope) -> dict[int, dict[str, Decimal]]:
    """Each seller's own quota per currency for the scope's period (one query per scope);
    sellers without one are left out. The quotas the viewer may see, of ``scope.people()``."""
    return scope_quotas(scope).by_person


def scope_quotas(scope: ReportScope) -> ScopeQuotas:
    """The scope's quotas, read once however many of its figures ask (one query)."""
    return scope.remembered("quotas", lambda: _read_scope_quotas(scope))


def _read_scope_quotas(scope: ReportScope) -> ScopeQuotas:
    # One query for both answers: each row says which of them it counts towards.
    counts_for_scope, of_person = _total_filter(scope), Q(user__in=scope.people())
    flagged = (
        Quota.objects.visible_to(scope.user)
        .filter(_touching(scope.period))
        .filter(counts_for_scope | of_person)
        .annotate(
            counts_for_scope=ExpressionWrapper(counts_for_scope, output_field=BooleanField()),
            of_person=ExpressionWrapper(of_person, output_field=BooleanField()),
        )
        .values_list(*ROW_FIELDS, "counts_for_scope", "of_person")
        .order_by("period_start", "pk")
    )
    scope_rows: list[QuotaRow] = []
    person_rows: list[QuotaRow] = []
    for *values, in_total, in_person in flagged:
        row = QuotaRow(*values)
        # NULL (a condition on a missing join) is false, as in the WHERE clause.
        if in_total:
            scope_rows.append(row)
        if in_person:
            person_rows.append(row)
    return ScopeQuotas(_total(scope, scope_rows), _by_person(scope.period, person_rows))


def _is_sellers_report(scope: ReportScope) -> bool:
    """A named rep's report, or a rep's own: its total is that seller's quotas."""
    return scope.rep_id is not None or not (scope.user.is_admin or scope.user.is_manager)


def _total_filter(scope: ReportScope) -> Q:
    """The quotas ``quotas_in_scope`` adds up: the seller's, else the teams' and their members'."""
    user = scope.user
    if _is_sellers_report(scope):
        condition = Q(user_id=scope.rep_id if scope.rep_id is not None else user.pk)
        if scope.team_id is not None:
            condition &= Q(user__team_id=scope.team_id)
        return condition
    if user.is_admin:
        condition = Q(team__isnull=False) | Q(user__team__isnull=False)
    else:
        condition = Q(team__manager=user) | Q(user__team__manager=user)
    if scope.team_id is not None:
        condition &= Q(team_id=scope.team_id) | Q(user__team_id=scope.team_id)
    return condition


def _total(scope: ReportScope, rows: list[QuotaRow]) -> dict[str, Decimal]:
    period = scope.period
    if _is_sellers_report(scope):
        return amounts_within(rows, period)
    by_team: dict[int, tuple[list[QuotaRow], list[QuotaRow]]] = {}
    for row in rows:
        team_id = row.team_id if row.team_id is not None else row.member_of
        assert team_id is not None  # the filter keeps team rows and team members' rows
        own, members = by_team.setdefault(team_id, ([], []))
        (own if row.team_id is not None else members).append(row)
    totals: dict[str, Decimal] = {}
    for own, members in by_team.values():
        figure = figure_for(own, period, members)
        for currency, amount in (figure.amounts if figure else {}).items():
            totals[currency] = totals.get(currency, Decimal(0)) + amount
    return totals


def _by_person(period: Period, rows: list[QuotaRow]) -> dict[int, dict[str, Decimal]]:
    by_person: dict[int, list[QuotaRow]] = {}
    for row in rows:
        assert row.user_id is not None  # the filter keeps sellers' quotas only
        by_person.setdefault(row.user_id, []).append(row)
    return {
        user_id: amounts
        for user_id, rows in by_person.items()
        if (amounts := amounts_within(rows, period))
    }


# Writes


def may_set_quota(actor: User, owner: Owner) -> bool:
    """Admins set any quota; a manager their teams' and those teams' members' but their own."""
    if not (actor.is_authenticated and actor.is_active):
        return False
    if actor.is_admin:
        return True
    if not actor.is_manager:
        return False
    if isinstance(owner, Team):
        return owner.manager_id == actor.pk
    return owner.pk != actor.pk and owner.team is not None and owner.team.manager_id == actor.pk


def _owner_filter(owner: Owner) -> Q:
    return Q(team=owner) if isinstance(owner, Team) else Q(user=owner)


def check_quota(
    owner: Owner,
    period: Period,
    amount: Decimal,
    currency: str | None,
    *,
    replacing: Quota | None = None,
) -> str:
    """The currency the quota is stored in, once the domain rules hold (ValidationError
    naming the field otherwise): a month or quarter, not negative, the year's kind and
    currency kept. ``replacing`` is a stored quota this one replaces (an API update)."""
    kind = period_kind(period)
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise ValidationError({"amount": _("Enter the amount as a number, such as 150000.")})
    if amount < 0:
        raise ValidationError({"amount": _("A quota cannot be negative.")})
    year = (
        Quota.objects.filter(_owner_filter(owner), _touching(whole_year(period.start.year)))
        .exclude(period_start=period.start, period_end=period.end)
        .exclude(pk=replacing.pk if replacing is not None else None)
        .values_list("period_start", "period_end", "currency")
    )
    for start, end, existing_currency in year:
        stored = Period(start, end)
        stored_kind = QUARTER if stored.is_quarter else MONTH if stored.is_month else None
        # Spans set before the rule (neither a month nor a quarter) do not decide the year.
        if stored_kind is not None and stored_kind != kind:
            message = (
                _("This year's quotas are quarterly: set a quarter such as %(example)s.")
                if kind == MONTH
                else _("This year's quotas are monthly: set a month such as %(example)s.")
            )
            example = f"{period.start.year}-Q1" if kind == MONTH else f"{period.start.year}-01"
            raise ValidationError({"period": message % {"example": example}})
        if currency and currency != existing_currency:
            raise ValidationError(
                {
                    "currency": _("This year's quotas are in %(currency)s.")
                    % {"currency": existing_currency}
                }
            )
        currency = existing_currency
    return currency or settings.DEFAULT_CURRENCY


def set_quota(
    *,
    actor: User,
    owner: Owner,
    period: Period,
    amount: Decimal | None,
    currency: str | None = None,
) -> Quota | None:
    """Set (or, with ``amount`` None, remove) the owner's quota for a month or quarter.

    PermissionDenied when ``actor`` may not set it; ValidationError naming the field when a
    rule fails. One transaction; the owner's row is locked so two editors saving cells of
    the same year cannot mix monthly and quarterly quotas.
    """
    if not may_set_quota(actor, owner):
        raise PermissionDenied(_("You may not set this quota."))
    with transaction.atomic():
        # Lock the owner (user or team row): the year's kind is checked, then written.
        type(owner).objects.select_for_update().filter(pk=owner.pk).first()
        existing = Quota.objects.filter(_owner_filter(owner), period_start=period.start)
        if amount is None:
            period_kind(period)
            existing.delete()
            return None
        stored_currency = check_quota(owner, period, amount, currency)
        quota = existing.first()
        if quota is None:
            quota = Quota(period_start=period.start, **{_owner_field(owner): owner})
        quota.period_end = period.end
        quota.amount = amount
        quota.currency = stored_currency
        # The owner was just locked: no need to check again that it exists.
        quota.full_clean(
            exclude=["user", "team"], validate_unique=False, validate_constraints=False
        )
        quota.save()
        return quota


def _owner_field(owner: Owner) -> str:
    return "team" if isinstance(owner, Team) else "user"


# The settings editor: a year of quotas for the teams a viewer may set and their members


@dataclass
class QuotaCell:
    """One owner's quota for one month or quarter, as the editor shows and edits it.

    ``stored`` is the amount set for exactly this period (what the input holds); ``figure``
    what counts (a quarter summed from months, a team's default from its members).
    """

    key: str
    period: Period
    stored: Decimal | None
    figure: QuotaFigure | None
    value: str = ""
    error: str = ""

    @property
    def name(self) -> str:
        return f"{self.key}:{self.period.token}"


@dataclass
class QuotaLine:
    """An owner's year: its cells and its total, the sum of its four quarters' figures
    (whichever kind the editor shows, so a month view of a quarterly year keeps its total)."""

    owner: Owner
    team_id: int
    cells: list[QuotaCell]
    total: QuotaFigure | None

    @property
    def key(self) -> str:
        return owner_key(self.owner)

    @property
    def is_team(self) -> bool:
        return isinstance(self.owner, Team)

    def cell(self, period: Period) -> QuotaCell:
        return next(cell for cell in self.cells if cell.period == period)


@dataclass
class QuotaTable:
    year: int
    kind: str
    periods: list[Period]
    lines: list[QuotaLine]

    def line(self, key: str) -> QuotaLine | None:
        return next((line for line in self.lines if line.key == key), None)

    def team_line(self, team_id: int) -> QuotaLine:
        return next(line for line in self.lines if line.is_team and line.team_id == team_id)


def owner_key(owner: Owner) -> str:
    """How the editor names an owner in its fields: ``team-3`` or ``user-7``."""
    return f"team-{owner.pk}" if isinstance(owner, Team) else f"user-{owner.pk}"


def settable_teams(viewer: User) -> QuerySet[Team]:
    """The teams whose quotas ``viewer`` sets: every team for an admin, a manager's own."""
    if viewer.is_admin:
        return Team.objects.order_by("name", "pk")
    if viewer.is_manager:
        return Team.objects.filter(manager=viewer).order_by("name", "pk")
    return Team.objects.none()


def quota_table(viewer: User, year: int, kind: str, *, team_id: int | None = None) -> QuotaTable:
    """The teams ``viewer`` may set quotas for, each followed by its members, with the
    year's months or quarters (three queries at any size). ``team_id`` keeps one team."""
    teams = settable_teams(viewer)
    if team_id is not None:
        teams = teams.filter(pk=team_id)
    team_list = list(teams)
    members = list(
        User.objects.filter(is_active=True, team__in=[team.pk for team in team_list])
        .exclude(role=Role.ADMIN)
        .exclude(is_superuser=True)
        .exclude(pk=viewer.pk)  # nobody sets their own target
        .order_by("first_name", "last_name", "username")
    )
    rows = _rows(
        Quota.objects.filter(_touching(whole_year(year))).filter(
            Q(team__in=[team.pk for team in team_list])
            | Q(user__team__in=[team.pk for team in team_list])
        )
    )
    periods = year_periods(year, kind)
    lines = []
    for team in team_list:
        own = [row for row in rows if row.team_id == team.pk]
        members_rows = [row for row in rows if row.member_of == team.pk and row.user_id]
        lines.append(
            QuotaLine(
                team,
                team.pk,
                _cells(team, own, periods, members_rows),
                _year_total(year, own, members_rows),
            )
        )
        for member in (user for user in members if user.team_id == team.pk):
            mine = [row for row in rows if row.user_id == member.pk]
            lines.append(
                QuotaLine(member, team.pk, _cells(member, mine, periods), _year_total(year, mine))
            )
    return QuotaTable(year=year, kind=kind, periods=periods, lines=lines)


def _cells(
    owner: Owner, own: list[QuotaRow], periods: list[Period], members: list[QuotaRow] | None = None
) -> list[QuotaCell]:
    cells = []
    for period in periods:
        stored = next(
            (row.amount for row in own if (row.start, row.end) == (period.start, period.end)),
            None,
        )
        cells.append(
            QuotaCell(
                key=owner_key(owner),
                period=period,
                stored=stored,
                figure=figure_for(own, period, members),
                value="" if stored is None else f"{stored:f}",
            )
        )
    return cells


def _year_total(
    year: int, own: list[QuotaRow], members: list[QuotaRow] | None = None
) -> QuotaFigure | None:
    amounts: dict[str, Decimal] = {}
    is_default = False
    for quarter in year_periods(year, QUARTER):
        figure = figure_for(own, quarter, members)
        if figure is None:
            continue
        is_default = is_default or figure.is_default
        for currency, amount in figure.amounts.items():
            amounts[currency] = amounts.get(currency, Decimal(0)) + amount
    return QuotaFigure(amounts, is_default=is_default) if amounts else None
