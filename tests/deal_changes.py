"""Changing a deal through its services as a user would: from its latest version."""

from pipeline.services.moves import DealFields, move_opportunity
from pipeline.services.opportunities import update_opportunity


def move(deal, stage, by, lost_reason=""):
    deal.refresh_from_db()
    return move_opportunity(
        opportunity_id=deal.pk,
        by=by,
        to_stage_id=stage.pk,
        version=deal.version,
        fields=DealFields(lost_reason=lost_reason),
    )


def edit(deal, by, **fields):
    deal.refresh_from_db()
    return update_opportunity(by=by, opportunity_id=deal.pk, version=deal.version, fields=fields)
