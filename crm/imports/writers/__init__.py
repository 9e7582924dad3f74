"""Turning cleaned rows into records, one module per kind; ``base`` has the shared rules."""

from __future__ import annotations

from crm.imports.models import ImportKind
from crm.imports.writers.activities import TaskWriter, TouchpointWriter
from crm.imports.writers.base import BatchPlan, Planned, Rejection, RowProblem, Writer
from crm.imports.writers.deals import DealWriter
from crm.imports.writers.products import ProductWriter
from crm.imports.writers.quotas import QuotaWriter
from crm.imports.writers.records import CompanyWriter, ContactWriter, LeadWriter
from crm.imports.writers.users import UserWriter

WRITERS: dict[str, type[Writer]] = {
    ImportKind.COMPANIES: CompanyWriter,
    ImportKind.CONTACTS: ContactWriter,
    ImportKind.LEADS: LeadWriter,
    ImportKind.DEALS: DealWriter,
    ImportKind.PRODUCTS: ProductWriter,
    ImportKind.USERS: UserWriter,
    ImportKind.TASKS: TaskWriter,
    ImportKind.TOUCHPOINTS: TouchpointWriter,
    ImportKind.QUOTAS: QuotaWriter,
}

__all__ = [
    "WRITERS",
    "BatchPlan",
    "CompanyWriter",
    "ContactWriter",
    "DealWriter",
    "LeadWriter",
    "Planned",
    "ProductWriter",
    "QuotaWriter",
    "Rejection",
    "RowProblem",
    "TaskWriter",
    "TouchpointWriter",
    "UserWriter",
    "Writer",
]
