"""A board card's HTML, assembled in Python.

The board draws hundreds of cards at once, and in the template language each took about
0.9 ms (profiled at 350 cards: resolving some 75 variables, six URL reversals, number and
date formatting and a "Move to" form per card). Here what every card of one board shares
is worked out once: the translated labels and the URL patterns; what repeats between
cards (amounts, dates, day counts) is formatted once per distinct value. Every value from
a deal is escaped.

A card's "Move to" menu holds a link to the deal's move page, not the form: board.js
fills the menu from the board's one copy of the form (``#board-move-menu``) when it is
opened, and a browser without JavaScript follows the link.

The markup is the card's only definition: the board's template draws each card with the
``deal_card`` tag (``pipeline.templatetags.board_cards``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as format_date
from django.utils.formats import date_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, ngettext

from pipeline.models import OpportunityStatus

# A deal as ``pipeline.board.decorate_card`` leaves it: days, badges and the next task's
# due time set beside its fields, which the model does not declare.
Card = Any

# Reversed once with this id, then filled in per card: a URL pattern's id is all digits.
_ANY_ID = 987654321


def _url_pattern(name: str) -> Callable[[int], str]:
    before, _, after = reverse(name, args=[_ANY_ID]).partition(str(_ANY_ID))
    return lambda pk: f"{before}{pk}{after}"


def _remembered(function: Callable[[Any], str]) -> Callable[[Any], str]:
    """``function`` computed once per distinct argument (per board drawn)."""
    seen: dict[Any, str] = {}

    def lookup(value: Any) -> str:
        found = seen.get(value)
        if found is None:
            found = seen[value] = function(value)
        return found

    return lookup


class CardMarkup:
    """Draws the cards of one board (or one answer) for the stages it shows."""

    def __init__(self, filter_query: str) -> None:
        self.move_url = _url_pattern("pipeline:move")
        self.detail_url = _url_pattern("pipeline:deal_detail")
        self.link_query = f"?{escape(filter_query)}" if filter_query else ""
        self.value_label = escape(gettext("Value"))
        self.owner_label = escape(gettext("Owner"))
        self.task_label = escape(gettext("Next task due"))
        self.no_task = escape(gettext("No open task"))
        self.stale = escape(gettext("Stale"))
        self.overdue = escape(gettext("Task overdue"))
        self.past_close = escape(gettext("Close date passed"))
        self.no_decider = escape(gettext("No decision maker"))
        self.no_decider_title = escape(
            gettext("Past the middle of the pipeline and nobody on the buying team decides")
        )
        self.move_to_title = escape(gettext("Move to…"))
        self.choose_stage = escape(gettext("Choose a stage…"))
        self.amount = _remembered(lambda value: escape(floatformat(value, "-2g")))
        self.short_date = _remembered(lambda day: escape(date_format(day, "SHORT_DATE_FORMAT")))
        self.days_in_stage = _remembered(
            lambda days: escape(
                ngettext("%(days)s day in stage", "%(days)s days in stage", days) % {"days": days}
            )
        )
        self.untouched = _remembered(
            lambda days: escape(
                ngettext("No touchpoint for %(days)s day", "No touchpoint for %(days)s days", days)
                % {"days": days}
            )
        )

    def __call__(self, deal: Card, *, oob: bool = False) -> SafeString:
        pk = deal.pk
        is_open = deal.status == OpportunityStatus.OPEN
        classes = "deal-card"
        if deal.is_stale:
            classes += " is-stale"
        if not is_open:
            classes += " is-closed"
        move_url = self.move_url(pk)
        detail_url = self.detail_url(pk)
        title = escape(deal.title)
        company = escape(deal.company.name) if deal.company_id else ""
        parts = [
            f'<li class="{classes}" id="deal-{pk}" tabindex="0"',
            ' hx-swap-oob="true"' if oob else "",
            f' data-deal-id="{pk}" data-version="{deal.version}" data-stage-id="{deal.stage_id}"'
            f' aria-labelledby="card-{pk}-title"'
            f' aria-describedby="card-{pk}-details board-keyboard-help">'
            # hx-target and hx-swap come from the column's list (the deal panel).
            f'<a class="deal-card-title" id="card-{pk}-title" tabindex="-1" href="{detail_url}"'
            f' hx-get="{detail_url}">{title}</a>'
            f'<div class="deal-card-details" id="card-{pk}-details">'
            f'<div class="deal-card-company text-truncate">{company}</div>'
            '<div class="deal-card-meta">'
            f'<span class="deal-card-value"><span class="visually-hidden">{self.value_label}: '
            f"</span>{self.amount(deal.value)} {escape(deal.currency)}</span>"
            '<span class="text-truncate"><i class="bi bi-person" aria-hidden="true"></i>'
            f'<span class="visually-hidden">{self.owner_label}:</span> {escape(deal.owner)}</span>'
            '</div><div class="deal-card-meta">',
            self._timing(deal, is_open),
            "</div>",
            self._badges(deal),
            "</div>",
            self._menu(deal, move_url),
            "</li>",
        ]
        # Every value from the deal is escaped above.
        return mark_safe("".join(parts))

    def _timing(self, deal: Card, is_open: bool) -> str:
        if deal.closed_at:
            closed = timezone.localtime(deal.closed_at)
            text = escape(gettext("Closed %(date)s") % {"date": self.short_date(closed.date())})
            reason = f" · {escape(deal.lost_reason)}" if deal.lost_reason else ""
            timing = (
                f'<span class="text-truncate"><time datetime="{format_date(closed, "c")}">'
                f"{text}</time>{reason}</span>"
            )
        else:
            timing = f'<span class="deal-card-days">{self.days_in_stage(deal.days_in_stage)}</span>'
        due: dt.datetime | None = getattr(deal, "next_task_due", None)
        if due is not None:
            local = timezone.localtime(due)
            overdue = " is-overdue" if deal.has_overdue_task else ""
            timing += (
                f'<span class="deal-card-task{overdue}">'
                '<i class="bi bi-check2-square" aria-hidden="true"></i>'
                f'<span class="visually-hidden">{self.task_label}:</span> '
                f'<time datetime="{format_date(local, "c")}">'
                f"{self.short_date(local.date())}</time></span>"
            )
        elif is_open:
            timing += f'<span class="deal-card-task is-missing">{self.no_task}</span>'
        return timing

    def _badges(self, deal: Card) -> str:
        badges = []
        if deal.is_stale:
            badges.append(
                f'<span class="badge badge-stale" title="{self.untouched(deal.days_untouched)}">'
                f"{self.stale}</span>"
            )
        if deal.has_overdue_task:
            badges.append(f'<span class="badge badge-overdue">{self.overdue}</span>')
        if deal.is_past_close:
            expected = escape(
                gettext("Expected to close %(date)s")
                % {"date": self.short_date(deal.expected_close_date)}
            )
            badges.append(
                f'<span class="badge badge-past-close" title="{expected}">{self.past_close}</span>'
            )
        if deal.lacks_decision_maker:
            badges.append(
                f'<span class="badge badge-no-decider" title="{self.no_decider_title}">'
                f"{self.no_decider}</span>"
            )
        if not badges:
            return ""
        return f'<div class="deal-card-badges">{"".join(badges)}</div>'

    def _menu(self, deal: Card, move_url: str) -> str:
        move_title = escape(gettext("Move “%(title)s” to…") % {"title": deal.title})
        return (
            '<details class="deal-card-menu">'
            f'<summary class="btn btn-sm deal-card-menu-toggle" title="{self.move_to_title}">'
            '<i class="bi bi-arrow-left-right" aria-hidden="true"></i>'
            f'<span class="visually-hidden">{move_title}</span></summary>'
            f'<a class="deal-card-menu-page" href="{move_url}{self.link_query}">'
            f"{self.choose_stage}</a></details>"
        )
