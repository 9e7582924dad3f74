"""What the importing user decided beyond the column mapping, kept on the job as JSON.

One dataclass travels from the pages or the command line to the runner and the writers,
so every decision has one name: how each date column is read, which stage each of the
file's stage values means, how source and status values translate, and what happens to
records whose owner the CRM does not know.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _


class DateOrder(models.TextChoices):
    DAY_FIRST = "dmy", _("Day first (31/03/2026)")
    MONTH_FIRST = "mdy", _("Month first (03/31/2026)")


class UnknownOwners(models.TextChoices):
    REJECT = "reject", _("Reject the row")
    CREATE = "create", _("Create the missing users (inactive, without a password)")
    ASSIGN = "assign", _("Give their records to one user")


@dataclass
class ImportOptions:
    # Field name -> DateOrder, for date columns the user had to decide (or chose to).
    date_orders: dict[str, str] = field(default_factory=dict)
    # One order for every ambiguous date column (``import_csv --date-order``).
    date_order: str = ""
    # The file's stage value (as written) -> stage id.
    stages: dict[str, int] = field(default_factory=dict)
    # Field name -> {the file's value: our value}, for choice fields such as source, status.
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    unknown_owners: str = UnknownOwners.REJECT
    # With UnknownOwners.ASSIGN: the user who receives the records of unknown owners.
    owners_to: int | None = None
    # Columns mapped to nothing, shown as ignored; kept so the report can list them.
    ignored: list[str] = field(default_factory=list)

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> ImportOptions:
        known = cls.__dataclass_fields__
        return cls(**{name: value for name, value in (data or {}).items() if name in known})

    def to_json(self) -> dict[str, Any]:
        return asdict(self)
