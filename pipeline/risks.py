"""Why a deal is flagged: each flag's rule, since when, and what would clear it.

The card and the panel show badges (stale, overdue task, close date passed, no decision
maker); a rep who sees one needs to know what to do about it. Everything here is read from
what ``pipeline.board.decorate_card`` already set on the deal, so explaining costs no query,
and the explanation never disagrees with the badge it explains.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from pipeline.models import Opportunity


@dataclass(frozen=True)
class DealRisk:
    kind: str  # "stale", "overdue_task", "past_close", "no_decision_maker"
    rule: str
    since: dt.date | None
    clears: str


def deal_risks(deal: Opportunity, now: dt.datetime) -> list[DealRisk]:
    """The flags on a decorated card, each explained; the order of the card's badges."""
    risks: list[DealRisk] = []
    if getattr(deal, "is_stale", False):
        risks += _stale(deal)
    due = getattr(deal, "next_task_due", None)
    if getattr(deal, "has_overdue_task", False) and due is not None:
        risks.append(
            DealRisk(
                "overdue_task",
                _("A task on this deal was due and is not done."),
                timezone.localdate(due),
                _("Complete the task or give it a new due date."),
            )
        )
    if getattr(deal, "is_past_close", False) and deal.expected_close_date:
        risks.append(
            DealRisk(
                "past_close",
                _("The expected close date has passed with the deal still open."),
                deal.expected_close_date + dt.timedelta(days=1),
                _("Set a new expected close date, or mark the deal won or lost."),
            )
        )
    if getattr(deal, "lacks_decision_maker", False):
        risks.append(
            DealRisk(
                "no_decision_maker",
                _(
                    "The deal is past the middle of its pipeline and nobody on its buying "
                    "team has a role that decides."
                ),
                None,
                _("Add the decision maker to the buying team, or give a member a deciding role."),
            )
        )
    return risks


def _stale(deal: Opportunity) -> list[DealRisk]:
    """The stale rule (see ``pipeline.jobs.flag_stale_deals``): more days in the stage, or
    without a touchpoint, than the stage's ``rotting_days``. Each clock that ran out is its
    own reason, since each is cleared by something else."""
    limit = deal.stage.rotting_days
    risks: list[DealRisk] = []
    if limit and deal.days_in_stage > limit:  # type: ignore[attr-defined]
        risks.append(
            DealRisk(
                "stale",
                ngettext(
                    "In “%(stage)s” for %(days)d days; the stage allows %(limit)d day.",
                    "In “%(stage)s” for %(days)d days; the stage allows %(limit)d days.",
                    limit,
                )
                % {"stage": deal.stage.name, "days": deal.days_in_stage, "limit": limit},  # type: ignore[attr-defined]
                timezone.localdate(deal.stage_entered_at + dt.timedelta(days=limit)),
                _("Move the deal to its next stage (or back, if that is where it stands)."),
            )
        )
    if limit and deal.days_untouched > limit:  # type: ignore[attr-defined]
        last = deal.last_touch_at or deal.created_at
        rule = (
            ngettext(
                "No call, email, meeting or note for %(days)d days; the stage allows "
                "%(limit)d day.",
                "No call, email, meeting or note for %(days)d days; the stage allows "
                "%(limit)d days.",
                limit,
            )
            if deal.last_touch_at
            else ngettext(
                "Never touched in the %(days)d days since it was created; the stage allows "
                "%(limit)d day.",
                "Never touched in the %(days)d days since it was created; the stage allows "
                "%(limit)d days.",
                limit,
            )
        )
        risks.append(
            DealRisk(
                "stale",
                rule % {"days": deal.days_untouched, "limit": limit},  # type: ignore[attr-defined]
                timezone.localdate(last + dt.timedelta(days=limit)),
                _("Log a call, email, meeting or note with the customer."),
            )
        )
    if not risks and deal.stale_since is not None:
        # Flagged by the nightly check under a rule that no longer holds (the stage's limit
        # was raised, or a touch was logged since): the next night clears it.
        risks.append(
            DealRisk(
                "stale",
                _("Flagged stale by the nightly check; it is within its stage's limits now."),
                deal.stale_since,
                _("Nothing to do: the next nightly check clears the flag."),
            )
        )
    return risks
