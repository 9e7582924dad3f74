"""Saving the deal edit page: its details and its custom values as one edit.

Both are written or neither: a refused custom value leaves the details as they were, and
a stale version refuses the whole edit (409), as each part alone would.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.db import transaction

from accounts.models import User
from pipeline.models import Opportunity
from pipeline.services.custom_fields import set_deal_custom_values
from pipeline.services.opportunities import update_opportunity


@transaction.atomic
def update_deal_with_custom_values(
    *,
    by: User,
    opportunity_id: int,
    version: int,
    fields: Mapping[str, object],
    custom_values: Mapping[str, object],
) -> Opportunity:
    """``update_opportunity`` then ``set_deal_custom_values`` in one transaction.

    Raises what they raise (ValidationError naming each bad field, ``custom_fields.<key>``
    for a custom value; MoveConflict for a stale ``version``); nothing is written then.
    """
    deal = update_opportunity(by=by, opportunity_id=opportunity_id, version=version, fields=fields)
    if custom_values:
        # The details' save bumped the version: the custom values follow on from it.
        deal = set_deal_custom_values(
            by=by, opportunity_id=opportunity_id, version=deal.version, values=custom_values
        )
    return deal
