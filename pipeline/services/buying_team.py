"""A deal's buying team: add a contact with a role, change the role, make one primary, remove.

Who may join: any contact the actor can see, of the deal's company or not. Buying teams
cross company lines (a parent company's procurement, an outside consultant), so the team
does not require the deal's company. The primary member is the deal's ``contact``, though,
and that one must belong to the deal's company when the deal has one, the rule every edit
of the deal's contact follows.

Each change is an edit of the deal: it locks and claims the deal (``lock_editable_deal``
and ``claim_deal``: permission, version, 409 on a stale one) and records its history in
the same transaction: "buying_team" always, and "contact" when the primary changes. The
primary member and the deal's ``contact`` stay equal both ways: these services set the
contact when the primary changes, and ``follow_primary_contact`` (called by the create and
edit services) moves the primary when the contact changes.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from accounts.models import User
from contacts.models import Contact
from pipeline.models import BuyingRole, DealContact, Opportunity
from pipeline.services.claims import claim_deal, lock_editable_deal
from pipeline.services.history import Shown, record_deal_changes

BUYING_TEAM = "buying_team"


def _members(opportunity: Opportunity) -> list[DealContact]:
    return list(
        DealContact.objects.filter(opportunity=opportunity)
        .select_related("contact", "role")
        .order_by("-is_primary", "pk")
    )


def team_snapshot(opportunity: Opportunity) -> Shown:
    """The team as history keeps it: contact, role and primary by id, with names to show."""
    members = _members(opportunity)
    value = [
        {"contact": member.contact_id, "role": member.role_id, "primary": member.is_primary}
        for member in members
    ]
    parts = []
    for member in members:
        text = member.contact.full_name
        if member.role is not None:
            text = f"{text} ({member.role.name})"
        parts.append(f"{text} ★" if member.is_primary else text)
    return Shown(value, ", ".join(parts))


def _active_role(role_id: int | None, *, kept: int | None = None) -> BuyingRole | None:
    """The active role ``role_id`` (or the retired role ``kept`` a member has already)."""
    if role_id is None:
        return None
    # Locked, so that an admin cannot delete the role between this check and the write.
    role = (
        BuyingRole.objects.select_for_update(no_key=True)
        .filter(Q(is_active=True) | Q(pk=kept), pk=role_id)
        .first()
    )
    if role is None:
        raise ValidationError({"role": _("Choose one of the buying roles.")})
    return role


def _member(opportunity: Opportunity, member_id: int) -> DealContact:
    member = (
        DealContact.objects.filter(opportunity=opportunity, pk=member_id)
        .select_related("contact")
        .first()
    )
    if member is None:
        raise ValidationError({"member": _("This person is not on the deal's buying team.")})
    return member


def _check_may_be_primary(opportunity: Opportunity, contact: Contact) -> None:
    if opportunity.company_id is not None and contact.company_id != opportunity.company_id:
        raise ValidationError(
            {"contact": _("The primary contact must work at the deal's company.")}
        )


def _set_primary(opportunity: Opportunity, member: DealContact | None) -> None:
    """Make ``member`` the only primary (None: nobody). The old primary stays a member."""
    # The old one first: the database allows one primary per deal at any moment.
    DealContact.objects.filter(opportunity=opportunity, is_primary=True).exclude(
        pk=getattr(member, "pk", None)
    ).update(is_primary=False)
    if member is not None and not member.is_primary:
        DealContact.objects.filter(pk=member.pk).update(is_primary=True)
        member.is_primary = True


def _finish(
    *,
    by: User,
    opportunity: Opportunity,
    version: int | None,
    before: Shown,
    contact_before: Contact | None = None,
    contact_after: Contact | None = None,
    contact_changed: bool = False,
) -> None:
    """Claim the deal (writing its contact when the primary changed) and record history."""
    columns = {"contact_id": getattr(contact_after, "pk", None)} if contact_changed else None
    claim_deal(by=by, opportunity=opportunity, version=version, columns=columns)
    before_fields: dict[str, object] = {BUYING_TEAM: before}
    after_fields: dict[str, object] = {BUYING_TEAM: team_snapshot(opportunity)}
    if contact_changed:
        opportunity.contact = contact_after
        before_fields["contact"], after_fields["contact"] = contact_before, contact_after
    record_deal_changes(
        opportunity=opportunity,
        by=by,
        before=before_fields,
        after=after_fields,
        at=opportunity.updated_at,
    )


@transaction.atomic
def add_deal_contact(
    *,
    by: User,
    opportunity_id: int,
    version: int | None,
    contact_id: int,
    role_id: int | None,
    is_primary: bool = False,
) -> DealContact:
    """Put a contact ``by`` can see on the deal's buying team, with an active role or none.

    Raises Opportunity.DoesNotExist (404), PermissionDenied (403), MoveConflict (409) as
    every edit of a deal does, and ValidationError naming ``contact`` (not visible, already
    on the team, or of another company when it is to be primary) or ``role``.
    """
    opportunity = lock_editable_deal(by=by, opportunity_id=opportunity_id, version=version)
    contact = Contact.objects.visible_to(by).filter(pk=contact_id).first()
    if contact is None:
        raise ValidationError({"contact": _("Choose a contact you can see.")})
    role = _active_role(role_id)
    if is_primary:
        _check_may_be_primary(opportunity, contact)
    before = team_snapshot(opportunity)
    try:
        # Savepoint: a duplicate must not break the transaction the caller may go on with.
        with transaction.atomic():
            member = DealContact.objects.create(opportunity=opportunity, contact=contact, role=role)
    except IntegrityError:
        raise ValidationError(
            {"contact": _("%(contact)s is already on the buying team.") % {"contact": contact}}
        ) from None
    contact_before = opportunity.contact
    if is_primary:
        _set_primary(opportunity, member)
    _finish(
        by=by,
        opportunity=opportunity,
        version=version,
        before=before,
        contact_before=contact_before,
        contact_after=contact,
        contact_changed=is_primary,
    )
    return member


@transaction.atomic
def change_deal_contact_role(
    *, by: User, opportunity_id: int, version: int | None, member_id: int, role_id: int | None
) -> DealContact:
    """Give a member of the deal's buying team another (active) role, or none.

    A member may keep a role that was retired since; it is not offered to anyone else.
    """
    opportunity = lock_editable_deal(by=by, opportunity_id=opportunity_id, version=version)
    member = _member(opportunity, member_id)
    role = _active_role(role_id, kept=member.role_id)
    before = team_snapshot(opportunity)
    DealContact.objects.filter(pk=member.pk).update(role=role)
    member.role = role
    _finish(by=by, opportunity=opportunity, version=version, before=before)
    return member


@transaction.atomic
def make_primary_deal_contact(
    *, by: User, opportunity_id: int, version: int | None, member_id: int
) -> DealContact:
    """Make a member the deal's primary contact: the deal's ``contact`` becomes theirs."""
    opportunity = lock_editable_deal(by=by, opportunity_id=opportunity_id, version=version)
    member = _member(opportunity, member_id)
    _check_may_be_primary(opportunity, member.contact)
    before = team_snapshot(opportunity)
    contact_before = opportunity.contact
    _set_primary(opportunity, member)
    _finish(
        by=by,
        opportunity=opportunity,
        version=version,
        before=before,
        contact_before=contact_before,
        contact_after=member.contact,
        contact_changed=contact_before is None or contact_before.pk != member.contact_id,
    )
    return member


@transaction.atomic
def remove_deal_contact(
    *, by: User, opportunity_id: int, version: int | None, member_id: int
) -> None:
    """Take a member off the deal's buying team; removing the primary clears the contact.

    A deal without a company needs its contact (the deal names a company or a contact), so
    its primary member cannot be removed until another is made primary: ValidationError.
    """
    opportunity = lock_editable_deal(by=by, opportunity_id=opportunity_id, version=version)
    member = _member(opportunity, member_id)
    if member.is_primary and opportunity.company_id is None:
        raise ValidationError(
            {
                "member": _(
                    "A deal without a company keeps its primary contact: "
                    "make someone else primary first."
                )
            }
        )
    before = team_snapshot(opportunity)
    contact_before = opportunity.contact
    member.delete()
    _finish(
        by=by,
        opportunity=opportunity,
        version=version,
        before=before,
        contact_before=contact_before,
        contact_after=None,
        contact_changed=member.is_primary and contact_before is not None,
    )


def follow_primary_contact(
    *, opportunity: Opportunity, by: User | None, at: dt.datetime | None, record: bool = True
) -> None:
    """Make the buying team's primary the deal's ``contact`` (adding them if need be).

    For the services that set a deal's contact directly (create, edit), inside their
    transaction, after the deal's row is written. A deal with no contact has no primary;
    the former primary stays on the team. ``record`` writes the "buying_team" history
    (an edit); a new deal's history starts with it as it is.
    """
    before = team_snapshot(opportunity) if record else None
    member = None
    if opportunity.contact_id is not None:
        member, _created = DealContact.objects.get_or_create(
            opportunity=opportunity, contact_id=opportunity.contact_id
        )
    _set_primary(opportunity, member)
    if before is not None:
        record_deal_changes(
            opportunity=opportunity,
            by=by,
            before={BUYING_TEAM: before},
            after={BUYING_TEAM: team_snapshot(opportunity)},
            at=at,
        )
