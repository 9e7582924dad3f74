"""Letting reports follow a change to deals and activity, without the pipeline knowing the
reports.

Every service that writes a column reports read (owner, pipeline, currency, value,
status, closing, creation or first-engaged time) or a deal's stage history (a
StageChange row) does so inside ``deals_changing``. A change to the order of a
pipeline's stages sends ``pipeline.signals.stages_reordered`` instead. Every write of a
touchpoint's or task's ``ACTIVITY_COLUMNS``, and every new one, does so inside
``activity_changing`` (or tells ``activity_added``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from django.db import models

from pipeline import signals
from pipeline.models import Opportunity, Task, Touchpoint

# The columns whose change reports must follow (attnames); other writes need no notice.
REPORTED_COLUMNS = frozenset(
    {
        "owner_id",
        "pipeline_id",
        "currency",
        "value",
        "status",
        "closed_at",
        "created_at",
        "first_engaged_at",
    }
)


@contextmanager
def deals_changing(opportunity_ids: Iterable[int], *, new: bool = False) -> Iterator[None]:
    """Wrap the writes to these deals, locked already (``new``: saved already, with nothing
    before them). Must run inside a transaction: what receivers do commits with the change."""
    ids = frozenset(opportunity_ids)
    responses = (
        signals.deals_changing.send(sender=Opportunity, opportunity_ids=ids, new=new) if ids else []
    )
    yield
    for _receiver, finish in responses:
        if callable(finish):
            finish()


def deals_added(opportunity_ids: Iterable[int]) -> None:
    """Tell reports of deals just saved in this transaction (nothing was before them)."""
    with deals_changing(opportunity_ids, new=True):
        pass


def reports_follow(columns: Iterable[str]) -> bool:
    """Whether writing ``columns`` (attnames or field names) changes what reports read."""
    return any(name in REPORTED_COLUMNS or f"{name}_id" in REPORTED_COLUMNS for name in columns)


# Per model, the columns of activity reports count (attnames): who, when, what kind.
ACTIVITY_COLUMNS: dict[type[models.Model], frozenset[str]] = {
    Touchpoint: frozenset({"by_id", "at", "kind"}),
    Task: frozenset({"assignee_id", "done_at"}),
}


@contextmanager
def activity_changing(
    model: type[models.Model], ids: Iterable[int], *, new: bool = False
) -> Iterator[None]:
    """Wrap the writes to these touchpoints or tasks (``new``: saved already, with nothing
    before them), as ``deals_changing`` does for deals; receivers lock the rows first."""
    frozen = frozenset(ids)
    responses = signals.activity_changing.send(sender=model, ids=frozen, new=new) if frozen else []
    yield
    for _receiver, finish in responses:
        if callable(finish):
            finish()


def activity_added(model: type[models.Model], ids: Iterable[int]) -> None:
    """Tell reports of touchpoints or tasks just saved in this transaction."""
    with activity_changing(model, ids, new=True):
        pass


def activity_reports_follow(model: type[models.Model], columns: Iterable[str]) -> bool:
    """Whether writing ``columns`` (attnames or field names) of ``model`` changes what
    activity reports count."""
    watched = ACTIVITY_COLUMNS.get(model, frozenset())
    return any(name in watched or f"{name}_id" in watched for name in columns)
