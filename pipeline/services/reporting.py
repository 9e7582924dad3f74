"""Letting reports follow a change to deals, without the pipeline knowing the reports.

Every service that writes a column reports read (owner, pipeline, currency, value,
status, closing, creation or first-engaged time) or a deal's stage history (a
StageChange row) does so inside ``deals_changing``. A change to the order of a
pipeline's stages sends ``pipeline.signals.stages_reordered`` instead.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from pipeline import signals
from pipeline.models import Opportunity

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
