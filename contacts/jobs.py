"""The contacts app's nightly job: where each open lead stands in its contact cadence.

The rules are ``contacts.cadence``'s Q objects, applied in one UPDATE each. Like the
pipeline's jobs it takes the day it runs for and returns the number of rows it changed;
dates are UTC dates, so the comparisons run with UTC as the current time zone.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Coalesce, Concat, Trim, TruncDate
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import NotificationKind
from accounts.services.notifications import key_of, notify, text_of
from contacts.cadence import disqualification_q, last_chance_q
from contacts.models import Lead, LeadPolicy

# As for deals and tasks: a step reached within a week is news; older ones are in the digest.
NOTIFY_WITHIN_DAYS = 7


def apply_lead_cadence(day: dt.date) -> int:
    """Set ``last_chance_since`` and ``disqualification_proposed_since`` where the rules hold
    on ``day``, keeping the first date, and clear them where they no longer hold.

    The dates are when the step was reached: the last-chance email is due from the last
    contact attempt (the one that used the cadence up), and disqualification is proposed
    ``days_before_disqualification`` days after the last touch, on the day
    ``disqualification_q`` first holds.
    """
    policy = LeadPolicy.current()
    last_chance = last_chance_q(policy)
    proposal = disqualification_q(policy, day)
    silence = dt.timedelta(days=policy.days_before_disqualification)
    with timezone.override(dt.UTC), transaction.atomic():
        changed = Lead.objects.filter(last_chance, last_chance_since__isnull=True).update(
            last_chance_since=Coalesce(TruncDate("last_touch_at"), Value(day))
        )
        changed += (
            Lead.objects.filter(last_chance_since__isnull=False)
            .exclude(last_chance)
            .update(last_chance_since=None)
        )
        changed += Lead.objects.filter(
            proposal, disqualification_proposed_since__isnull=True
        ).update(disqualification_proposed_since=TruncDate(F("last_touch_at") + silence))
        changed += (
            Lead.objects.filter(disqualification_proposed_since__isnull=False)
            .exclude(proposal)
            .update(disqualification_proposed_since=None)
        )
        changed += _notify_owners(day)
    return changed


def _notify_owners(day: dt.date) -> int:
    recent = day - dt.timedelta(days=NOTIFY_WITHIN_DAYS)
    leads = Lead.objects.filter(owner__is_active=True).alias(
        name=Trim(Concat("first_name", Value(" "), "last_name"))
    )
    lead_list = Value(reverse("contacts:lead_list"))
    created = notify(
        leads.filter(last_chance_since__gt=recent, disqualification_proposed_since__isnull=True),
        kind=NotificationKind.LEAD_CADENCE,
        recipient="owner_id",
        message=text_of(
            _("Contact attempts used up for %(lead)s: send the last-chance email."),
            lead=F("name"),
        ),
        url=lead_list,
        dedupe_key=key_of("last_chance:", F("pk"), ":", F("last_chance_since")),
    )
    created += notify(
        leads.filter(disqualification_proposed_since__gt=recent),
        kind=NotificationKind.LEAD_CADENCE,
        recipient="owner_id",
        message=text_of(
            _("%(lead)s has not answered for too long: disqualify, or try once more."),
            lead=F("name"),
        ),
        url=lead_list,
        dedupe_key=key_of("disqualify:", F("pk"), ":", F("disqualification_proposed_since")),
    )
    return created
