"""Whom a user may give records and work to: the owner of a company, contact or deal, and
the assignee of a task.

One rule for every app, so a page, the API and a CSV import offer and accept the same
people: yourself; for a manager, also the members of the teams they manage; for an admin,
any active user. Leads follow a wider rule built on this one
(``contacts.services.leads.lead_owners``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.visibility import managed_team_ids


def assignable_users(by: User) -> QuerySet[User]:
    """Active users ``by`` may give records to: themselves, their managed teams, or anyone."""
    users = User.objects.filter(is_active=True)
    if by.is_admin:
        return users
    condition = Q(pk=by.pk)
    if by.is_manager:
        condition |= Q(team__in=managed_team_ids(by))
    return users.filter(condition)


def may_assign_to(by: User, user: User) -> bool:
    """Whether ``by`` may give a record to ``user`` (an in-memory check for themselves or an
    admin, one query otherwise)."""
    if user.pk == by.pk:
        # Anyone may keep their own work, even while their account is being wound down:
        # the caller decides whether an inactive owner is acceptable.
        return True
    if by.is_admin:
        return user.is_active
    return assignable_users(by).filter(pk=user.pk).exists()


def check_owner(by: User, value: object) -> User:
    """The user named by ``value`` (a User or a primary key), if ``by`` may give records to them.

    Raises ValidationError keyed ``owner`` otherwise, so forms, the API and imports name the
    field.
    """
    pk = value.pk if isinstance(value, User) else value
    owner = assignable_users(by).filter(pk=pk).first() if isinstance(pk, int) else None
    if owner is None:
        raise ValidationError({"owner": _("Choose yourself or a member of a team you manage.")})
    return owner


def apply_owner(by: User, record: Any, fields: Mapping[str, object]) -> None:
    """Give ``record`` to the owner ``fields["owner"]`` names, if ``by`` may choose them.

    Naming the current owner changes nothing and is always accepted: an edit must not fail
    because the record's owner is someone ``by`` could not pick (a manager editing a deal of
    a rep who has since moved team).
    """
    if "owner" not in fields:
        return
    value = fields["owner"]
    if (value.pk if isinstance(value, User) else value) != record.owner_id:
        record.owner = check_owner(by, value)
