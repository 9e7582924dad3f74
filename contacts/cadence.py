"""Where an open lead stands in its contact cadence.

A lead gets ``LeadPolicy.max_contact_attempts`` calls or emails; once they are used up, the
rep sends a last-chance email. A lead that has been tried at least once and has not been
touched for ``days_before_disqualification`` days is proposed for disqualification.

The rules are written once as ``Q`` objects, so the nightly job applies them in one UPDATE
and the lead page explains them with the same thresholds.
"""

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from contacts.models import Lead, LeadPolicy, LeadStatus

OPEN_STATUSES = (LeadStatus.NEW, LeadStatus.CONTACTED)


class CadenceStep(StrEnum):
    NOT_CONTACTED = "not_contacted"
    IN_CADENCE = "in_cadence"
    LAST_CHANCE = "last_chance"
    PROPOSE_DISQUALIFICATION = "propose_disqualification"
    DONE = "done"


STEP_LABELS = {
    CadenceStep.NOT_CONTACTED: _("Not contacted yet"),
    CadenceStep.IN_CADENCE: _("In cadence"),
    CadenceStep.LAST_CHANCE: _("Send the last-chance email"),
    CadenceStep.PROPOSE_DISQUALIFICATION: _("Proposed for disqualification"),
    CadenceStep.DONE: _("Out of the cadence"),
}


def silent_since(policy: LeadPolicy, today: dt.date) -> dt.date:
    """The last day a touch must have happened on for a lead not to count as silent."""
    return today - dt.timedelta(days=policy.days_before_disqualification)


def last_chance_q(policy: LeadPolicy) -> Q:
    return Q(status__in=OPEN_STATUSES, contact_attempts__gte=policy.max_contact_attempts)


def disqualification_q(policy: LeadPolicy, today: dt.date) -> Q:
    """Open, tried at least once, and untouched for ``days_before_disqualification`` days.

    Exactly that many days counts: a lead last touched on 1 March with a 14-day limit is
    proposed on 15 March. ``last_touch_at`` is compared by its UTC date.
    """
    return Q(
        status__in=OPEN_STATUSES,
        contact_attempts__gte=1,
        last_touch_at__date__lte=silent_since(policy, today),
    )


@dataclass(frozen=True)
class CadencePosition:
    step: CadenceStep
    attempts: int
    max_attempts: int
    days_silent: int | None
    days_allowed: int

    @property
    def label(self) -> str:
        return str(STEP_LABELS[self.step])

    @property
    def attempts_left(self) -> int:
        return max(self.max_attempts - self.attempts, 0)


def cadence_position(lead: Lead, policy: LeadPolicy, today: dt.date) -> CadencePosition:
    """The same rules as the nightly job, evaluated for one lead on ``today``."""
    days_silent = (today - lead.last_touch_at.date()).days if lead.last_touch_at else None
    if lead.status not in OPEN_STATUSES:
        step = CadenceStep.DONE
    elif (
        lead.contact_attempts >= 1
        and days_silent is not None
        and days_silent >= policy.days_before_disqualification
    ):
        step = CadenceStep.PROPOSE_DISQUALIFICATION
    elif lead.contact_attempts >= policy.max_contact_attempts:
        step = CadenceStep.LAST_CHANCE
    elif lead.contact_attempts == 0:
        step = CadenceStep.NOT_CONTACTED
    else:
        step = CadenceStep.IN_CADENCE
    return CadencePosition(
        step=step,
        attempts=lead.contact_attempts,
        max_attempts=policy.max_contact_attempts,
        days_silent=days_silent,
        days_allowed=policy.days_before_disqualification,
    )
