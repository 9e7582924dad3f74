"""Who may see and change which records.

A rep sees their own records and their team's, and changes only their own. A manager sees
and changes everything owned by the teams they manage (and sees their own team's). An admin
sees and changes everything. Every model holding customer data exposes these rules as
``visible_to(user)`` and ``editable_by(user)`` on its queryset; views, the API, exports,
dashboards and search read records only through them, so a record outside them is a 404.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Self

from django.db import models
from django.db.models import Q

if TYPE_CHECKING:
    from accounts.models import User


def managed_team_ids(user: User) -> models.QuerySet:
    """The primary keys of the teams ``user`` manages, as a subquery (no round trip)."""
    from accounts.models import Team

    return Team.objects.filter(manager=user).values("pk")


def visible_users(user: User) -> models.QuerySet[User]:
    """Active users whose records ``user`` can see: themselves and their team, a manager's
    teams too, everyone for an admin. The people every owner filter and the API offer."""
    return visible_owners(user).filter(is_active=True)


def visible_owners(user: User) -> models.QuerySet[User]:
    """Every user, active or not, whose records ``user`` can see (``owner_visible_q`` as
    a set of users): a deactivated rep's deals stay visible, and so do they here."""
    from accounts.models import User as UserModel

    if not (user.is_authenticated and user.is_active):
        return UserModel.objects.none()
    users = UserModel.objects.all()
    if user.is_admin:
        return users
    condition = Q(pk=user.pk)
    if user.team_id is not None:
        condition |= Q(team_id=user.team_id)
    if user.is_manager:
        condition |= Q(team_id__in=managed_team_ids(user))
    return users.filter(condition)


def owner_visible_q(user: User, path: str) -> Q | None:
    """Q for rows whose owner at ``path`` is visible to ``user``; None means every row."""
    if user.is_admin:
        return None
    condition = Q(**{path: user.pk})
    if user.team_id is not None:
        condition |= Q(**{f"{path}__team_id": user.team_id})
    if user.is_manager:
        # A subquery, not a list: visibility costs no extra round trip.
        condition |= Q(**{f"{path}__team_id__in": managed_team_ids(user)})
    return condition


def owner_editable_q(user: User, path: str) -> Q | None:
    """Q for rows whose owner at ``path`` may be changed by ``user``; None means every row."""
    if user.is_admin:
        return None
    condition = Q(**{path: user.pk})
    if user.is_manager:
        condition |= Q(**{f"{path}__team_id__in": managed_team_ids(user)})
    return condition


class VisibleQuerySet(models.QuerySet):
    """A queryset for records owned by a user: the field named by ``owner_path``."""

    owner_path = "owner"

    def visibility_q(self, user: User) -> Q | None:
        return owner_visible_q(user, self.owner_path)

    def editability_q(self, user: User) -> Q | None:
        return owner_editable_q(user, self.owner_path)

    def visible_to(self, user: User) -> Self:
        if not (user.is_authenticated and user.is_active):
            return self.none()
        condition = self.visibility_q(user)
        return self.all() if condition is None else self.filter(condition)

    def editable_by(self, user: User) -> Self:
        if not (user.is_authenticated and user.is_active):
            return self.none()
        condition = self.editability_q(user)
        return self.all() if condition is None else self.filter(condition)
