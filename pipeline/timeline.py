"""A deal's history as one timeline: its moves (``StageChange``) and its edits (``DealChange``).

Newest first, in one query whatever its length: the two tables are read with one
``UNION ALL`` of the same columns, capped, and the rows become ``TimelineEntry`` objects
that say what happened in the reader's language and number format. The deal panel shows
it; the API serves the same rows, paginated.

The person who made a change is read by name with the row, so a deactivated user's changes
keep their name; a deleted user's show as nobody in particular.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db.models import CharField, F, JSONField, QuerySet, Value
from django.utils import formats
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from pipeline.models import DealChange, ForecastCategory, Opportunity, StageChange, StageKind
from pipeline.services.custom_fields import HISTORY_PREFIX

KIND_STAGE = "stage"
KIND_FIELD = "field"

# Names of changes that are not a deal's own field, as the history records them.
OTHER_FIELD_LABELS: dict[str, Any] = {
    "line_items": gettext_lazy("Products"),
    "buying_team": gettext_lazy("Buying team"),
}


def _stage_rows(deal: Opportunity) -> QuerySet:
    # Every column an alias of its own, in the same order in both halves of the UNION.
    columns = dict(
        t_kind=Value(KIND_STAGE, output_field=CharField()),
        t_id=F("pk"),
        t_at=F("at"),
        t_by_first=F("by__first_name"),
        t_by_last=F("by__last_name"),
        t_by_username=F("by__username"),
        t_field=Value("", output_field=CharField()),
        t_old=Value(None, output_field=JSONField()),
        t_new=Value(None, output_field=JSONField()),
        t_old_display=F("from_stage__name"),
        t_new_display=F("to_stage__name"),
        t_to_kind=F("to_stage__kind"),
    )
    return StageChange.objects.filter(opportunity=deal).order_by().values(**columns)


def _field_rows(deal: Opportunity) -> QuerySet:
    columns = dict(
        t_kind=Value(KIND_FIELD, output_field=CharField()),
        t_id=F("pk"),
        t_at=F("at"),
        t_by_first=F("by__first_name"),
        t_by_last=F("by__last_name"),
        t_by_username=F("by__username"),
        t_field=F("field"),
        t_old=F("old_value"),
        t_new=F("new_value"),
        t_old_display=F("old_display"),
        t_new_display=F("new_display"),
        t_to_kind=Value("", output_field=CharField()),
    )
    return DealChange.objects.filter(opportunity=deal).order_by().values(**columns)


def timeline_rows(deal: Opportunity) -> QuerySet:
    """Both histories of ``deal`` as one queryset of dicts, newest first (not yet read).

    Precondition: ``deal`` is visible to the reader (its history is then too).
    """
    return (
        _stage_rows(deal).union(_field_rows(deal), all=True).order_by("-t_at", "-t_kind", "-t_id")
    )


def person_name(row: dict[str, Any]) -> str:
    name = f"{row['t_by_first'] or ''} {row['t_by_last'] or ''}".strip()
    return name or row["t_by_username"] or ""


def field_label(name: str) -> str:
    if name in OTHER_FIELD_LABELS:
        return str(OTHER_FIELD_LABELS[name])
    if name.startswith(HISTORY_PREFIX):
        return name[len(HISTORY_PREFIX) :]
    try:
        label = Opportunity._meta.get_field(name).verbose_name
    except FieldDoesNotExist:
        return name
    text = str(label)
    return text[:1].upper() + text[1:]


def _amount(value: object) -> str:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    return formats.number_format(amount, decimal_pos=2, use_l10n=True, force_grouping=True)


def shown_value(field: str, value: object, display: str, currency: str) -> str:
    """A recorded value as the reader reads it: names as they were, amounts and dates in
    the reader's format, choices by their label; "—" for nothing."""
    if display:
        return display
    if value is None or value == "" or value == []:
        return "—"
    if field == "value":
        return f"{_amount(value)} {currency}"
    if field == "expected_close_date" and isinstance(value, str):
        date = parse_date(value)
        return formats.date_format(date, "DATE_FORMAT") if date else value
    if field == "forecast_category":
        return str(dict(ForecastCategory.choices).get(str(value), value))
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return str(value)


@dataclass(frozen=True)
class TimelineEntry:
    """One line of the history: a move or an edit."""

    kind: str
    id: int
    at: dt.datetime
    by: str
    field: str
    field_label: str
    old: str
    new: str
    old_value: Any
    new_value: Any
    # For a move into an open stage, how long the deal stayed (or has been) there.
    duration: dt.timedelta | None = None
    is_current: bool = False
    is_created: bool = False

    @property
    def is_move(self) -> bool:
        return self.kind == KIND_STAGE

    @property
    def duration_text(self) -> str:
        if self.duration is None:
            return ""
        days = self.duration.days
        if days:
            return ngettext("%(count)d day", "%(count)d days", days) % {"count": days}
        hours = self.duration.seconds // 3600
        if hours:
            return ngettext("%(count)d hour", "%(count)d hours", hours) % {"count": hours}
        return _("under an hour")


def deal_timeline(deal: Opportunity, *, limit: int, now: dt.datetime) -> list[TimelineEntry]:
    """The newest ``limit`` entries of ``deal``'s history, newest first: one query.

    Amounts are shown in the currency the deal had then; a move's duration runs to the next
    move (every newer move is among the entries read, so a cap does not cut it short).
    """
    return timeline_entries(deal, timeline_rows(deal)[:limit], now=now)


def timeline_entries(
    deal: Opportunity, rows: Iterable[dict[str, Any]], *, now: dt.datetime
) -> list[TimelineEntry]:
    """``rows`` of ``timeline_rows(deal)``, newest first, as entries.

    Durations are right when ``rows`` starts at the newest entry (the panel); a later page
    (the API's) takes its first move for the current one, so the API leaves them out.
    """
    rows = list(rows)
    # An amount is shown in the currency the deal had then: walking back from now, each
    # change of currency sets what older amounts were in; an edit of both at once is one.
    currency_edits = {
        row["t_at"]: row
        for row in rows
        if row["t_kind"] == KIND_FIELD and row["t_field"] == "currency"
    }
    currency = deal.currency
    entries: list[TimelineEntry] = []
    newer_move_at: dt.datetime | None = None
    for row in rows:
        if row["t_kind"] == KIND_STAGE:
            if newer_move_at is not None:
                duration: dt.timedelta | None = newer_move_at - row["t_at"]
            elif row["t_to_kind"] == StageKind.OPEN:
                duration = now - row["t_at"]
            else:
                duration = None
            entries.append(
                TimelineEntry(
                    kind=KIND_STAGE,
                    id=row["t_id"],
                    at=row["t_at"],
                    by=person_name(row),
                    field="stage",
                    field_label=str(_("Stage")),
                    old=row["t_old_display"] or "",
                    new=row["t_new_display"] or "",
                    old_value=None,
                    new_value=None,
                    duration=duration,
                    is_current=newer_move_at is None,
                    is_created=not row["t_old_display"],
                )
            )
            newer_move_at = row["t_at"]
            continue
        field = row["t_field"]
        edit = currency_edits.get(row["t_at"])
        old_currency = str(edit["t_old"]) if edit else currency
        new_currency = str(edit["t_new"]) if edit else currency
        if field == "currency" and isinstance(row["t_old"], str):
            currency = row["t_old"]
        entries.append(
            TimelineEntry(
                kind=KIND_FIELD,
                id=row["t_id"],
                at=row["t_at"],
                by=person_name(row),
                field=field,
                field_label=field_label(field),
                old=shown_value(field, row["t_old"], row["t_old_display"], old_currency),
                new=shown_value(field, row["t_new"], row["t_new_display"], new_currency),
                old_value=row["t_old"],
                new_value=row["t_new"],
            )
        )
    return entries
