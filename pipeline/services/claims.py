"""Claiming a deal for an edit: the lock, the permission and the version check every edit
of a deal shares (its details, line items, buying team and custom fields).

An edit locks the deal's row, checks that the actor may change it and that the version the
actor saw is still the deal's, makes its change, then claims the deal with one conditional
UPDATE that bumps ``version``. A board move begun before the edit then loses with a 409
instead of silently undoing it, and an edit begun before a move loses the same way.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from pipeline.models import Opportunity
from pipeline.services.moves import MoveConflict
from pipeline.services.reporting import deals_changing, reports_follow


def _conflict(opportunity_id: int) -> MoveConflict:
    return MoveConflict(
        Opportunity.objects.select_related("stage", "updated_by").get(pk=opportunity_id)
    )


def may_edit_deal(user: User, deal: Opportunity) -> bool:
    """Whether ``user`` may change ``deal``: its owner, or someone whose edits reach it.

    No query for the owner, or when the deal was read with a ``can_edit`` annotation (the
    deal panel's query has one); one query otherwise.
    """
    if deal.owner_id == user.pk:
        return True
    annotated = getattr(deal, "can_edit", None)
    if annotated is not None:
        return bool(annotated)
    return Opportunity.objects.editable_by(user).filter(pk=deal.pk).exists()


def lock_editable_deal(*, by: User, opportunity_id: int, version: int | None) -> Opportunity:
    """The deal, locked until commit, if ``by`` may change it and it is still at ``version``.

    Raises Opportunity.DoesNotExist when ``by`` cannot see it (404), PermissionDenied when
    they may only see it (403) and MoveConflict when ``version`` is given and no longer the
    deal's (409). ``version`` None skips the check (imports, admin).
    """
    # Only the deal's row: visibility joins the owner, whose row an edit does not change.
    opportunity = (
        Opportunity.objects.visible_to(by).select_for_update(of=("self",)).get(pk=opportunity_id)
    )
    if not may_edit_deal(by, opportunity):
        raise PermissionDenied(_("You may not change this deal."))
    if version is not None and opportunity.version != version:
        raise _conflict(opportunity.pk)
    return opportunity


def claim_deal(
    *,
    by: User,
    opportunity: Opportunity,
    version: int | None,
    columns: Mapping[str, object] | None = None,
) -> None:
    """Write ``columns`` (by attname) to the deal and bump its version, as ``by``.

    Precondition: the deal came from ``lock_editable_deal`` in this transaction. Raises
    MoveConflict if the version moved on all the same (SQLite takes no row locks, so there
    the conditional UPDATE is what decides the race). Updates the in-memory deal's
    ``version``, ``updated_by`` and ``updated_at``.
    """
    now = timezone.now()
    rows = Opportunity.objects.filter(pk=opportunity.pk)
    if version is not None:
        rows = rows.filter(version=version)
    columns = columns or {}
    watched = [opportunity.pk] if reports_follow(columns) else []
    with deals_changing(watched):
        claimed = rows.update(**columns, version=F("version") + 1, updated_by=by, updated_at=now)
    if not claimed:
        raise _conflict(opportunity.pk)
    opportunity.version = (version if version is not None else opportunity.version) + 1
    opportunity.updated_by, opportunity.updated_at = by, now
