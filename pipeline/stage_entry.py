"""What entering a stage does to a deal: one rule for the board, the API, imports and new deals.

- A won stage closes the deal as won: closed now, forecast category Closed.
- A lost stage closes it as lost: closed now, with the reason, out of the forecast (Omitted).
- An open stage opens it: no closing time, no lost reason. A deal that comes back from a won
  or lost stage is back in the Pipeline category, since what it was forecast as when it closed
  says nothing about its chances now. Between open stages the rep's call (best case, commit,
  omitted) stays; only Closed, which no open deal can be, falls back to Pipeline.
- Every entry starts the stage's clock afresh and clears the stale flag: the nightly job
  would clear it anyway, but the board and My day should not show a deal that just moved as
  stale until then.

The same categories bound an edit of the forecast category (``forecast_category_problem``).
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from pipeline.models import ForecastCategory, Opportunity, OpportunityStatus, Stage, StageKind


def stage_entry_fields(
    deal: Opportunity, stage: Stage, *, at: dt.datetime, lost_reason: str = ""
) -> dict[str, object]:
    """The fields ``deal`` takes on entering ``stage`` at ``at``, by field name.

    ``deal`` is the deal as it stands before the move (its status and forecast category
    decide what reopening it means); nothing is set on it. A lost stage needs
    ``lost_reason``: without one, ValidationError names the field ``lost_reason``.
    """
    fields: dict[str, object] = {"stage": stage, "stage_entered_at": at, "stale_since": None}
    if stage.kind == StageKind.WON:
        return {
            **fields,
            "status": OpportunityStatus.WON,
            "closed_at": at,
            "lost_reason": "",
            "forecast_category": ForecastCategory.CLOSED,
        }
    if stage.kind == StageKind.LOST:
        if not lost_reason.strip():
            raise ValidationError({"lost_reason": _("Say why the deal was lost.")})
        return {
            **fields,
            "status": OpportunityStatus.LOST,
            "closed_at": at,
            "lost_reason": lost_reason.strip(),
            "forecast_category": ForecastCategory.OMITTED,
        }
    reopened = deal.status != OpportunityStatus.OPEN
    keeps_category = not reopened and deal.forecast_category != ForecastCategory.CLOSED
    return {
        **fields,
        "status": OpportunityStatus.OPEN,
        "closed_at": None,
        "lost_reason": "",
        "forecast_category": (
            deal.forecast_category if keeps_category else ForecastCategory.PIPELINE
        ),
    }


def forecast_category_problem(status: str, category: str) -> str | None:
    """Why a deal with ``status`` cannot be in forecast ``category``; None when it can be.

    A closed deal's category follows from its stage (won: Closed, lost: Omitted); an open
    deal may be in any category but Closed.
    """
    if status == OpportunityStatus.WON and category != ForecastCategory.CLOSED:
        return _("A won deal is in the Closed category.")
    if status == OpportunityStatus.LOST and category != ForecastCategory.OMITTED:
        return _("A lost deal is in the Omitted category.")
    if status == OpportunityStatus.OPEN and category == ForecastCategory.CLOSED:
        return _("Only won deals are in the Closed category; choose another.")
    return None
