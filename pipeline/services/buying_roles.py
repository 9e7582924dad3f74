"""The buying roles admins keep: add, rename, reorder, mark as deciding, retire, restore.

A role in use is retired (inactive), not deleted: the teams that have it keep it, and it is
no longer offered. A role nobody has is deleted outright. Names are unique whatever their
case; the database's unique constraint decides, not a lookup before the write.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from accounts.models import User
from pipeline.models import BuyingRole, DealContact

NAME_MAX_LENGTH = BuyingRole._meta.get_field("name").max_length or 60


def _check_admin(by: User) -> None:
    if not by.is_admin:
        raise PermissionDenied(_("Only admins change the buying roles."))


def _clean_name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise ValidationError({"name": _("Give the role a name.")})
    if len(name) > NAME_MAX_LENGTH:
        raise ValidationError(
            {"name": _("Keep the name to %(limit)d characters.") % {"limit": NAME_MAX_LENGTH}}
        )
    return name


def _save_name(role: BuyingRole, fields: list[str]) -> None:
    try:
        with transaction.atomic():
            role.save(update_fields=fields) if role.pk else role.save()
    except IntegrityError:
        raise ValidationError(
            {"name": _("A role named “%(name)s” exists already.") % {"name": role.name}}
        ) from None


def _role(role_id: int) -> BuyingRole:
    """The role, locked until commit (BuyingRole.DoesNotExist: 404)."""
    return BuyingRole.objects.select_for_update().get(pk=role_id)


@transaction.atomic
def add_buying_role(
    *, by: User, name: str, decides: bool = False, is_active: bool = True
) -> BuyingRole:
    """A new role at the end of the list (offered unless ``is_active`` is False)."""
    _check_admin(by)
    last = BuyingRole.objects.aggregate(last=Max("position"))["last"]
    role = BuyingRole(
        name=_clean_name(name),
        decides=decides,
        is_active=is_active,
        position=0 if last is None else last + 1,
    )
    _save_name(role, [])
    return role


@transaction.atomic
def rename_buying_role(*, by: User, role_id: int, name: str) -> BuyingRole:
    _check_admin(by)
    role = _role(role_id)
    role.name = _clean_name(name)
    _save_name(role, ["name"])
    return role


@transaction.atomic
def set_buying_role_decides(*, by: User, role_id: int, decides: bool) -> BuyingRole:
    """Whether members with the role count as the decision maker a stage may ask for."""
    _check_admin(by)
    role = _role(role_id)
    role.decides = decides
    role.save(update_fields=["decides"])
    return role


@transaction.atomic
def reorder_buying_roles(*, by: User, role_ids: Sequence[int]) -> list[BuyingRole]:
    """Put the roles in the given order: every role, each once (ValidationError otherwise)."""
    _check_admin(by)
    # Locked in primary-key order, so two reorders do not deadlock.
    roles = {role.pk: role for role in BuyingRole.objects.select_for_update().order_by("pk")}
    if len(role_ids) != len(set(role_ids)) or set(role_ids) != roles.keys():
        raise ValidationError({"order": _("List every role once.")})
    ordered = [roles[pk] for pk in role_ids]
    for position, role in enumerate(ordered):
        role.position = position
    BuyingRole.objects.bulk_update(ordered, ["position"])
    return ordered


@transaction.atomic
def retire_buying_role(*, by: User, role_id: int) -> bool:
    """Retire the role: deleted when nobody has it (True), else made inactive (False)."""
    _check_admin(by)
    role = _role(role_id)
    if DealContact.objects.filter(role=role).exists():
        role.is_active = False
        role.save(update_fields=["is_active"])
        return False
    role.delete()
    return True


@transaction.atomic
def restore_buying_role(*, by: User, role_id: int) -> BuyingRole:
    """Offer a retired role again."""
    _check_admin(by)
    role = _role(role_id)
    role.is_active = True
    role.save(update_fields=["is_active"])
    return role


# The roles a sales team starts with, as migration 0010 adds them (a migration keeps its own
# copy: it must not change when this list does). The economic buyer signs off the budget, so
# a deal knows who decides once either of the first two is on its team.
DEFAULT_ROLES = (
    ("Decision maker", True),
    ("Economic buyer", True),
    ("Champion", False),
    ("Influencer", False),
    ("User", False),
    ("Blocker", False),
)


def add_default_buying_roles() -> int:
    """The default roles, when there are none (a flushed demo database); how many added."""
    if BuyingRole.objects.exists():
        return 0
    return len(
        BuyingRole.objects.bulk_create(
            BuyingRole(name=name, decides=decides, position=position)
            for position, (name, decides) in enumerate(DEFAULT_ROLES, start=1)
        )
    )
