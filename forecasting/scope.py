"""What a report covers: whose deals, which period, and the filters a dashboard passes on.

Every figure in ``forecasting`` starts from ``ReportScope.deals()``: the deals the user may
see (``visible_to``), narrowed to the user's own scope (a rep's own deals, a manager's
teams, everything for an admin) and to the filters picked in the URL. ``people()`` is the
matching list of sellers, so per-rep tables list every rep in scope, including those with
no deals at all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TypeVar, cast

from django.db.models import Exists, OuterRef, Q, QuerySet

from accounts.models import Role, User
from accounts.visibility import visible_owners, visible_users
from forecasting.periods import Period
from pipeline.models import LineItem, Opportunity
from pipeline.querysets import OpportunityQuerySet

T = TypeVar("T")


def owner_scope_q(user: User, path: str) -> Q:
    """Records whose owner at ``path`` is the user (rep), in their teams (manager), or any;
    with an empty ``path``, the users themselves."""
    if user.is_admin:
        return Q()
    mine = Q(**{path: user}) if path else Q(pk=user.pk)
    if user.is_manager:
        return mine | Q(**{f"{_prefix(path)}team__manager": user})
    return mine


def _prefix(path: str) -> str:
    return f"{path}__" if path else ""


@dataclass(frozen=True)
class ReportScope:
    user: User
    period: Period
    rep_id: int | None = None
    team_id: int | None = None
    pipeline_id: int | None = None
    product_id: int | None = None
    lead_source: str | None = None
    # Reads several figures of one report share (``remembered``). Not an init field, so
    # ``replace()`` (``with_period``, ``for_rep``) gives a new scope an empty memo: a
    # scope of another period or rep has other answers.
    _memo: dict[str, object] = field(
        default_factory=dict, init=False, compare=False, hash=False, repr=False
    )

    def with_period(self, period: Period) -> ReportScope:
        return replace(self, period=period)

    def remembered(self, key: str, read: Callable[[], T]) -> T:
        """``read()``'s answer, read once for this scope: every figure of a report asking
        for ``key`` gets the same answer. A scope lives for one request, so the memo never
        outlives the data it was read from by more than that request."""
        if key not in self._memo:
            self._memo[key] = read()
        return cast(T, self._memo[key])

    def for_rep(self, rep_id: int) -> ReportScope:
        return replace(self, rep_id=rep_id)

    def owner_q(self, path: str = "owner") -> Q:
        """Rows whose owner at ``path`` is in scope (the visibility rules are applied by
        ``visible_to`` on the queryset this narrows); with an empty ``path``, users."""
        condition = owner_scope_q(self.user, path)
        if self.rep_id is not None:
            condition &= Q(**{f"{path}_id" if path else "pk": self.rep_id})
        if self.team_id is not None:
            condition &= Q(**{f"{_prefix(path)}team_id": self.team_id})
        return condition

    def owners(self) -> QuerySet[User]:
        """The users, active or not, whose deals the scope covers (``visible_owners``
        narrowed as ``owner_q`` narrows their records)."""
        return visible_owners(self.user).filter(self.owner_q(""))

    def deals(self) -> OpportunityQuerySet:
        """Deals in scope, of any status and any time; each metric narrows them further."""
        deals = Opportunity.objects.visible_to(self.user).filter(self.owner_q())
        if self.pipeline_id is not None:
            deals = deals.filter(pipeline_id=self.pipeline_id)
        return deals.filter(self.deal_filter_q())

    def deal_filter_q(self, path: str = "") -> Q:
        """The product and lead-source filters on the deal at ``path`` (empty: the deal
        itself): what the deal is, whoever owned it, for rows of a deal's past (snapshots)."""
        condition = Q()
        if self.product_id is not None:
            # EXISTS, not a join: a deal with the product on two lines still counts once,
            # and sums over the deals stay right.
            lines = LineItem.objects.filter(
                opportunity_id=OuterRef(f"{path}_id" if path else "pk"),
                product_id=self.product_id,
            )
            condition &= Q(Exists(lines))
        if self.lead_source:
            condition &= Q(
                **{f"{path}__lead__source" if path else "lead__source": self.lead_source}
            )
        return condition

    def people(self) -> QuerySet[User]:
        """Active sellers in scope, whether or not they own a deal: reps and managers
        (admins configure the CRM and are left out unless the scope names one)."""
        people = visible_users(self.user)
        if self.user.is_manager:
            people = people.filter(Q(pk=self.user.pk) | Q(team__manager=self.user))
        elif not self.user.is_admin:
            people = people.filter(pk=self.user.pk)
        if self.rep_id is not None:
            people = people.filter(pk=self.rep_id)
        else:
            people = people.exclude(role=Role.ADMIN).exclude(is_superuser=True)
        if self.team_id is not None:
            people = people.filter(team_id=self.team_id)
        return people.order_by("first_name", "last_name", "username")
