"""Extension points of the contacts app: what the apps above it add to its pages and merges.

Contacts knows none of the apps that build on it, yet its pages show what they own (a
company's deals, a lead's calls and tasks) and its merges must carry their rows along. So
contacts offers hooks here, and an app fills them from its ``AppConfig.ready()`` (pipeline
does in ``pipeline/record_pages.py`` and ``pipeline/services/merges.py``). Contacts renders
what is registered without naming the app: every timeline entry and every panel carries the
template that renders it.

- Timeline sources, ``source(page, limit)``: the record's entries, at most ``limit`` of each
  kind the source reads. The page merges every source's entries by time.
- Panels: a template and a context callable for one slot of a record page: a card in the
  side column or above the timeline, or a control among the header's buttons.
- List filters: one more filter on the contact or company list: a form field, and how its
  value narrows the records the user can see.
- Merge handlers, ``handler(model=..., merged_id=..., kept_id=...)``: called inside the
  merge's transaction, with both records locked and before the merged one is deleted, to
  point the app's own rows at the kept record. An exception undoes the whole merge.

Hooks read through ``visible_to(page.user)`` as every page does, at a fixed number of
queries whatever the record's history: a page costs its own queries plus its hooks'.
Registering a hook twice changes nothing, since ``ready()`` may run more than once.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from typing import Any, TypeVar

from django import forms
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.functional import Promise

from accounts.models import User
from contacts.models import Company, Contact, Lead

Record = Company | Contact | Lead
RecordModel = type[Company] | type[Contact] | type[Lead]
T = TypeVar("T")


class Slot(StrEnum):
    """Where on a record page a panel goes."""

    SIDE = "side"  # a card in the side column, under the record's details
    MAIN = "main"  # a card above the timeline
    ACTIONS = "actions"  # a control among the buttons in the page header


@dataclass(frozen=True)
class TimelineEntry:
    """One line of a timeline; ``template`` renders it with ``entry`` and ``item`` in context."""

    kind: str  # "deal", "touchpoint", "created"...: the line's CSS class, what tests look for
    at: dt.datetime
    template: str
    item: Any = None
    icon: str = ""
    # A CSS class for the line, such as "is-overdue".
    modifier: str = ""


@dataclass(frozen=True)
class Panel:
    """A part of a record page that an app above contacts fills.

    ``context(page)`` gives what ``template`` needs beyond the page's own context (the
    record, and on the lead page ``page``, contacts' ``LeadPage``); it is called only when
    the page renders the panel's slot, so an htmx fragment does not pay for it.
    """

    name: str  # unique on a page; a card's heading id is "<record kind>-<name>-heading"
    template: str
    title: str | Promise = ""  # a card's heading; actions have none
    context: Callable[[RecordPage], Mapping[str, Any]] | None = None


@dataclass(frozen=True)
class BoundPanel:
    """A panel with its context for one page: what ``{% render_panel %}`` renders."""

    name: str
    template: str
    title: str | Promise
    context: Mapping[str, Any]


@dataclass(frozen=True)
class ListFilter:
    """One more filter of the contact or company list, in the URL as ``name``.

    ``apply(records, user, value)`` narrows the records ``user`` can see to those matching
    the field's cleaned ``value``; it is not called while the value is empty.
    """

    name: str
    field: Callable[[], forms.Field]
    apply: Callable[[QuerySet, User, Any], QuerySet]
    template: str = "_list_choice_filter.html"


TimelineSource = Callable[["RecordPage", int], Iterable[TimelineEntry]]
MergeHandler = Callable[..., None]


class Registry:
    """Every hook registered, by the model of the page or merge it serves."""

    def __init__(self) -> None:
        self.timeline_sources: defaultdict[type, list[TimelineSource]] = defaultdict(list)
        self.panels: defaultdict[tuple[type, Slot], dict[str, Panel]] = defaultdict(dict)
        self.list_filters: defaultdict[type, dict[str, ListFilter]] = defaultdict(dict)
        self.merge_handlers: defaultdict[type, list[MergeHandler]] = defaultdict(list)


registry = Registry()


def register_timeline_source(*models: RecordModel, source: TimelineSource) -> None:
    for model in models:
        if source not in registry.timeline_sources[model]:
            registry.timeline_sources[model].append(source)


def register_panel(*models: RecordModel, slot: Slot, panel: Panel) -> None:
    for model in models:
        registry.panels[model, slot][panel.name] = panel


def register_list_filter(*models: type[Company] | type[Contact], list_filter: ListFilter) -> None:
    for model in models:
        registry.list_filters[model][list_filter.name] = list_filter


def register_merge_handler(*models: RecordModel, handler: MergeHandler) -> None:
    for model in models:
        if handler not in registry.merge_handlers[model]:
            registry.merge_handlers[model].append(handler)


def list_filters(model: type[Company] | type[Contact]) -> list[ListFilter]:
    return list(registry.list_filters[model].values())


def run_merge_handlers(model: RecordModel, *, merged_id: int, kept_id: int) -> None:
    """Let every app point its rows about ``merged_id`` at ``kept_id``.

    Precondition: the merge's transaction is open and holds both records locked.
    """
    for handler in registry.merge_handlers[model]:
        handler(model=model, merged_id=merged_id, kept_id=kept_id)


@dataclass
class RecordPage:
    """One page about a record, as its hooks see it; it lives for one request."""

    request: HttpRequest
    record: Record
    # The people whose activity the page shows: the contact, or the company's people listed.
    contact_ids: tuple[int, ...] = ()
    _shared: dict[str, Any] = field(default_factory=dict, init=False, repr=False)

    @property
    def user(self) -> User:
        user = self.request.user
        assert isinstance(user, User), "record pages are for signed-in users"
        return user

    @property
    def model(self) -> type:
        return type(self.record)

    def shared(self, key: str, compute: Callable[[], T]) -> T:
        """``compute()`` once per page, for hooks that show the same rows (a company's deals
        are listed in a card and are on its timeline): one query instead of two."""
        if key not in self._shared:
            self._shared[key] = compute()
        return self._shared[key]

    def timeline(self, limit: int) -> list[TimelineEntry]:
        """Every source's entries for the record, source by source, not yet sorted."""
        return [
            entry
            for source in registry.timeline_sources[self.model]
            for entry in source(self, limit)
        ]

    @cached_property
    def panels(self) -> PanelSlots:
        return PanelSlots(self)


class PanelSlots:
    """``page.panels.side`` in a template: a slot's panels, bound when first shown."""

    def __init__(self, page: RecordPage) -> None:
        self.page = page
        self.bound: dict[Slot, list[BoundPanel]] = {}

    def __getitem__(self, name: str) -> list[BoundPanel]:
        try:
            slot = Slot(name)
        except ValueError:
            raise KeyError(name) from None
        if slot not in self.bound:
            self.bound[slot] = [
                BoundPanel(
                    name=panel.name,
                    template=panel.template,
                    title=panel.title,
                    context=panel.context(self.page) if panel.context else {},
                )
                for panel in registry.panels[self.page.model, slot].values()
            ]
        return self.bound[slot]
