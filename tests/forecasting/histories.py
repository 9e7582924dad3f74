"""Hand-built pipelines and stage histories shared by the forecast tests."""

import datetime as dt
from decimal import Decimal

from pipeline.models import OpportunityStatus, StageChange, StageKind
from tests.factories import OpportunityFactory, PipelineFactory, StageFactory


def at(year, month, day, hour=12):
    return dt.datetime(year, month, day, hour, tzinfo=dt.UTC)


def make_stages(name="New business", qualify=20, offer=60):
    pipeline = PipelineFactory(name=name)
    return {
        "qualify": StageFactory(pipeline=pipeline, name="Qualify", position=1, probability=qualify),
        "offer": StageFactory(pipeline=pipeline, name="Offer", position=2, probability=offer),
        "won": StageFactory(
            pipeline=pipeline, name="Won", position=3, kind=StageKind.WON, probability=100
        ),
        "lost": StageFactory(
            pipeline=pipeline, name="Lost", position=4, kind=StageKind.LOST, probability=0
        ),
    }


def deal_with(stages, owner, moves, **fields):
    """A deal that went through ``moves``: (stage name, datetime) in order; its status and
    close time follow the last move."""
    final, last_at = moves[-1]
    kind = stages[final].kind
    if kind != StageKind.OPEN:
        fields.setdefault("status", OpportunityStatus(kind))
        fields.setdefault("closed_at", last_at)
        if kind == StageKind.LOST:
            fields.setdefault("lost_reason", "Price")
    fields.setdefault("value", Decimal("1000.00"))
    deal = OpportunityFactory(owner=owner, stage=stages[final], stage_entered_at=last_at, **fields)
    previous = None
    for name, when in moves:
        StageChange.objects.create(
            opportunity=deal, from_stage=previous, to_stage=stages[name], at=when
        )
        previous = stages[name]
    return deal
