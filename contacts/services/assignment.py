"""Who gets a new lead that nobody owns: the rule an admin picked in the lead settings.

- manual: nobody; the lead waits in the managers' queue.
- round-robin: the active rep of the policy's default team who has waited longest for a lead.
- territory: the team whose territory covers the lead's country (a matching region wins over
  the whole country), else the default team; then round-robin within that team.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from accounts.models import Role, Team, Territory, User
from contacts.models import AssignmentRule, Lead, LeadPolicy

# Reps who never had a lead wait longest of all.
_NEVER = dt.datetime.min.replace(tzinfo=dt.UTC)


def territory_team(lead: Lead) -> Team | None:
    """The team covering the lead's country and region, or None when no territory does."""
    country = lead.country.strip().upper()
    if not country:
        return None
    region = lead.region.strip().casefold()
    best: Territory | None = None
    for territory in Territory.objects.filter(country=country).select_related("team"):
        if territory.region and territory.region.casefold() == region:
            return territory.team
        if not territory.region:
            best = territory
    return best.team if best is not None else None


def next_rep(team: Team, now: dt.datetime) -> User | None:
    """The team's active rep who waited longest for a lead, marked as served at ``now``.

    The team's reps are locked in primary-key order, so two leads assigned at the same
    moment queue up here and go to two different reps instead of both to the same one.
    """
    reps = list(
        User.objects.select_for_update()
        .filter(team=team, role=Role.REP, is_active=True)
        .order_by("pk")
    )
    if not reps:
        return None
    rep = min(reps, key=lambda user: (user.last_lead_assigned_at or _NEVER, user.pk))
    User.objects.filter(pk=rep.pk).update(last_lead_assigned_at=now)
    rep.last_lead_assigned_at = now
    return rep


@transaction.atomic
def assign_owner(lead: Lead, *, policy: LeadPolicy) -> User | None:
    """The rep the policy gives ``lead`` to, or None (manual rule, or no rep to give it to).

    Records the assignment on the rep (``last_lead_assigned_at``) but not on the lead: the
    caller saves the lead with its owner in the same transaction.
    """
    if policy.assignment_rule == AssignmentRule.MANUAL:
        return None
    team: Team | None = None
    if policy.assignment_rule == AssignmentRule.TERRITORY:
        team = territory_team(lead)
    if team is None:
        team = policy.default_team
    if team is None:
        return None
    return next_rep(team, timezone.now())
