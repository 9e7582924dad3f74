"""The contact page's "Buying teams" card: the deals the contact is on, with their role.

Registered into contacts' panel extension point (``contacts/extensions.py``) by
``PipelineConfig.ready()``. One query whatever the number of deals: the contact's places on
buying teams of deals the user can see, with deal, stage and role, newest deal first.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from contacts.extensions import Panel, RecordPage, Slot, register_panel
from contacts.models import Contact
from pipeline.models import DealContact

# A contact on more teams than this is listed up to here; the deals list has the rest.
TEAMS_SHOWN = 200


def buying_teams_card(page: RecordPage) -> dict[str, Any]:
    memberships = list(
        DealContact.objects.visible_to(page.user)
        .filter(contact_id=page.record.pk)
        .select_related("opportunity__stage", "opportunity__owner", "role")
        .order_by("-opportunity__created_at", "-opportunity_id")[:TEAMS_SHOWN]
    )
    return {"memberships": memberships}


def register() -> None:
    """Fill the contact page's side column; ``PipelineConfig.ready()`` calls this."""
    register_panel(
        Contact,
        slot=Slot.SIDE,
        panel=Panel(
            name="buying-teams",
            title=_("Buying teams"),
            template="pipeline/_record_buying_teams.html",
            context=buying_teams_card,
        ),
    )
