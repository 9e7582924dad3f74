"""The timeline of a contact or company: what happened with them, newest first.

Contacts owns the timeline (its length, "Show more", the order) but not what is on it:
deals, stage changes, touchpoints and tasks belong to apps above contacts, which register
timeline sources (``contacts.extensions``). Each source returns at most ``length + 1``
entries of each kind it reads, so the merged list tells whether there is more to show.
"""

from __future__ import annotations

from functools import cached_property

from contacts.extensions import RecordPage, TimelineEntry

# The timeline starts with this many entries; "Show more" adds as many again, up to a cap.
TIMELINE_STEP = 25
TIMELINE_MAX = 500


def timeline_length(value: str | None) -> int:
    """The requested number of entries, rounded to whole steps and capped."""
    try:
        length = int(value or TIMELINE_STEP)
    except ValueError:
        return TIMELINE_STEP
    steps = max(1, -(-length // TIMELINE_STEP))
    return min(steps * TIMELINE_STEP, TIMELINE_MAX)


class Timeline:
    """The newest ``length`` entries of every source registered for the page's record."""

    def __init__(self, page: RecordPage, length: int) -> None:
        self.page, self.length = page, length

    @cached_property
    def _merged(self) -> list[TimelineEntry]:
        entries = self.page.timeline(self.length + 1)
        entries.sort(key=lambda entry: entry.at, reverse=True)
        return entries

    @property
    def entries(self) -> list[TimelineEntry]:
        return self._merged[: self.length]

    @property
    def has_more(self) -> bool:
        return len(self._merged) > self.length and self.length < TIMELINE_MAX

    @property
    def next_length(self) -> int:
        return min(self.length + TIMELINE_STEP, TIMELINE_MAX)
