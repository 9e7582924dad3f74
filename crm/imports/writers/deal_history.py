"""A deal's history as its old CRM tells it: which stages it entered, and when.

An export gives at most a few moments per deal (created, entered its current stage, won or
lost) and a status; this module turns them into the entries the import records as
StageChange rows and the fields the deal ends with, by the rules of
``pipeline.stage_entry`` (applied at each entry's own time):

- A new deal enters the stage the row names at ``stage_entered_at``, else when it was
  created. When that is later than its creation, it entered the pipeline's first open stage
  at its creation first: every deal starts somewhere.
- A won or lost deal ends in its pipeline's won or lost stage at its close time. An export
  that names an open stage for such a deal (Pipedrive writes the stage a deal was in when it
  was won) keeps that stage in the history, before the close.
- The close time is the won or lost time for its status, else ``closed_at``, else, when
  the row names the won or lost stage itself, ``stage_entered_at``, else the expected close
  date if it is past (Salesforce's CloseDate is the day a closed opportunity closed), else
  now.
- A moment later than now is a row error naming its field: an export never holds one, so
  the column was read wrongly.
- A moment before the one it follows (before the deal was created, a close before the stage
  it closed from was entered) is moved up to it, not refused: date-only columns are read at
  midnight, so a deal created at 14:05 and closed that day reads as closed before it was
  created, and refusing would reject such rows in every real export.
- A row that leaves an existing deal in the stage it is in changes nothing about its stage
  or its history, so re-importing a file writes no new StageChange.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm.imports.kinds import FIELDS
from crm.imports.lookups import StageLookup
from crm.imports.models import ImportKind
from crm.imports.writers.base import RowProblem
from crm.imports.writers.moments import as_moment, check_not_future
from pipeline.models import Opportunity, OpportunityStatus, Stage, StageKind

# What a lost deal's reason reads when its export had none (no export we know has one).
LOST_REASON_NOT_RECORDED = gettext_lazy("Not recorded")

# The deal fields that hold moments of its past.
MOMENT_FIELDS = tuple(
    field.name for field in FIELDS[ImportKind.DEALS] if field.temporal == "datetime"
)
# The fields that decide a deal's stage, status and the times it entered them.
STAGE_FIELDS = frozenset(
    {
        "pipeline",
        "stage",
        "lost_reason",
        "status",
        "is_won",
        "is_closed",
        "stage_entered_at",
        "closed_at",
        "won_at",
        "lost_at",
    }
)

# A stage's kind and the status of the deals in it have the same values: open, won, lost.
STATUS_OF_KIND: dict[str, str] = {
    StageKind.OPEN: OpportunityStatus.OPEN,
    StageKind.WON: OpportunityStatus.WON,
    StageKind.LOST: OpportunityStatus.LOST,
}
KIND_OF_STATUS: dict[str, str] = {status: kind for kind, status in STATUS_OF_KIND.items()}


@dataclass(frozen=True)
class Entry:
    """The deal entered ``stage`` at ``at``, coming from ``from_stage_id`` (None: created)."""

    from_stage_id: int | None
    stage: Stage
    at: dt.datetime


def decided_status(values: Mapping[str, Any]) -> str | None:
    """The status the row states (status, IsWon/IsClosed, a won or lost time); None: its
    stage decides. Raises RowProblem when the row says two things."""
    closed, won = values.get("is_closed"), values.get("is_won")
    flagged: str | None = None
    if closed is False:
        if won:
            raise RowProblem("is_won", _("A deal that is not closed cannot be won."))
        flagged = OpportunityStatus.OPEN
    elif won:
        flagged = OpportunityStatus.WON
    elif closed and won is False:
        flagged = OpportunityStatus.LOST
    status = values.get("status")
    if status and flagged and status != flagged:
        raise RowProblem(
            "status",
            _("The status is %(status)s, but Won and Closed say %(flagged)s.")
            % {
                "status": OpportunityStatus(status).label,
                "flagged": OpportunityStatus(flagged).label,
            },
        )
    if status or flagged:
        return status or flagged
    if "won_at" in values and "lost_at" in values:
        raise RowProblem("lost_at", _("The deal has both a won and a lost time; give one."))
    if "won_at" in values:
        return OpportunityStatus.WON
    if "lost_at" in values:
        return OpportunityStatus.LOST
    return None


class HistoryPlanner:
    """Plans each row's entries against the stages of the active pipelines (no queries)."""

    def __init__(self, stages: StageLookup, now: dt.datetime) -> None:
        self.stages = stages
        self.now = now
        self._closing: dict[tuple[int, str], Stage] = {}
        for stage in stages.stages.values():
            if stage.kind != StageKind.OPEN:
                # Board order: the first won (lost) stage of a pipeline is where deals close.
                self._closing.setdefault((stage.pipeline_id, stage.kind), stage)

    def entries(
        self,
        deal: Opportunity,
        values: Mapping[str, Any],
        *,
        named: Stage | None,
        current: Stage | None,
    ) -> list[Entry]:
        """The stages ``deal`` enters, in order; empty when its stage stays as it is.

        ``named``: the stage the row asks for (None: it leaves the deal's stage alone);
        ``current``: the deal's stage before the row, None for a new deal. ``deal`` holds
        its creation time already.
        """
        check_not_future(values, MOMENT_FIELDS, self.now)
        base = named or current
        if base is None:
            return []
        status = decided_status(values) or STATUS_OF_KIND[base.kind]
        final = self._final_stage(base, status)
        if current is not None and final.pk == current.pk:
            return []
        steps: list[tuple[Stage, dt.datetime]] = []
        if current is None:
            entered = as_moment(values.get("stage_entered_at", deal.created_at))
            # Every deal starts in its pipeline's first open stage, unless it entered the
            # stage the row names as it was created.
            start = entered if base.kind == StageKind.OPEN else self._close_time(values, base, base)
            first = self.stages.first_stage(base.pipeline)
            if start > deal.created_at and first.pk != base.pk:
                steps.append((first, deal.created_at))
        else:
            entered = as_moment(values.get("stage_entered_at", self.now))
        if base.kind == StageKind.OPEN and (current is None or base.pk != current.pk):
            steps.append((base, entered))
        if final.pk != base.pk or base.kind != StageKind.OPEN:
            steps.append((final, self._close_time(values, final, base)))
        return self._in_order(steps, current, deal)

    def _final_stage(self, base: Stage, status: str) -> Stage:
        wanted = KIND_OF_STATUS[status]
        if base.kind == wanted:
            return base
        if base.kind != StageKind.OPEN:
            raise RowProblem(
                "status",
                _("The stage “%(stage)s” is a %(kind)s stage, but the status is %(status)s.")
                % {
                    "stage": base.name,
                    "kind": base.get_kind_display(),
                    "status": OpportunityStatus(status).label,
                },
            )
        if wanted == StageKind.OPEN:
            return base
        try:
            return self._closing[(base.pipeline_id, wanted)]
        except KeyError:
            raise RowProblem(
                "status",
                _("The pipeline “%(pipeline)s” has no %(kind)s stage for a %(status)s deal.")
                % {
                    "pipeline": base.pipeline.name,
                    "kind": StageKind(wanted).label,
                    "status": OpportunityStatus(status).label,
                },
            ) from None

    def _close_time(self, values: Mapping[str, Any], final: Stage, base: Stage) -> dt.datetime:
        """When the deal entered ``final``, its won or lost stage, coming from ``base``."""
        names = [f"{final.kind}_at", "closed_at"]
        if base.pk == final.pk:
            names.append("stage_entered_at")  # the row names the won or lost stage itself
        for name in (*names, "expected_close_date"):
            # An expected close date still ahead is not a close; the others were checked.
            if name in values and as_moment(values[name]) <= self.now:
                return as_moment(values[name])
        return self.now

    @staticmethod
    def _in_order(
        steps: list[tuple[Stage, dt.datetime]], current: Stage | None, deal: Opportunity
    ) -> list[Entry]:
        """Entries that never go back in time: each no earlier than the one before, the
        first no earlier than the deal's creation (or its entry into its current stage)."""
        previous_at = (
            deal.created_at if current is None else max(deal.created_at, deal.stage_entered_at)
        )
        previous_id = None if current is None else current.pk
        entries: list[Entry] = []
        for stage, at in steps:
            if stage.pk == previous_id:
                continue
            previous_at = max(at, previous_at)
            entries.append(Entry(previous_id, stage, previous_at))
            previous_id = stage.pk
        return entries
