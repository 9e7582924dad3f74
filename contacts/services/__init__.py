"""Writes for the contacts app, shared by the lead pages, the API, CSV import and jobs.

One module per concern; import from here so callers do not depend on the split.
"""

from contacts.services.assignment import assign_owner
from contacts.services.leads import (
    DuplicateLead,
    answer_criteria,
    clear_duplicate_flag,
    create_lead,
    disqualify_lead,
    fill_lead,
    find_duplicate_leads,
    lead_owners,
    merge_leads,
    normalise_domain,
    update_lead,
)

__all__ = [
    "DuplicateLead",
    "answer_criteria",
    "assign_owner",
    "clear_duplicate_flag",
    "create_lead",
    "disqualify_lead",
    "fill_lead",
    "find_duplicate_leads",
    "lead_owners",
    "merge_leads",
    "normalise_domain",
    "update_lead",
]
