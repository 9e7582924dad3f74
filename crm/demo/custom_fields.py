"""Custom fields admins added: two on deals and two on companies, and values for them.

Definitions are written directly (the seed is an admin's setup, not an admin's request);
values are stored as the custom field kinds store them: a choice's key, a number as a
canonical decimal string.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from contacts.models import RecordField, RecordKind
from core.custom_fields.kinds import FieldKind
from crm.demo.clock import Clock
from pipeline.models import DealField

LEAD_SOURCES = (
    ("referral", _("Referral")),
    ("website", _("Website")),
    ("event", _("Trade fair or event")),
    ("outbound", _("Outbound call")),
    ("partner", _("Partner")),
)
COMPETITORS = (
    ("spreadsheets", _("Spreadsheets")),
    ("in_house", _("In-house tool")),
    ("other_crm", _("Another CRM")),
    ("none", _("None known")),
)
TIERS = (("gold", _("Gold")), ("silver", _("Silver")), ("bronze", _("Bronze")))
EMPLOYEES = (12, 25, 40, 80, 150, 250, 400, 800, 1_500, 4_000)


def _choices(pairs: tuple[tuple[str, object], ...]) -> list[dict[str, str]]:
    return [{"key": key, "label": str(label)} for key, label in pairs]


@dataclass(frozen=True)
class DemoFields:
    """Draws each record's values; keys as the definitions were created with."""

    def deal_values(self, rng: random.Random) -> dict[str, str]:
        values = {}
        if rng.random() < 0.8:
            values["lead_source"] = rng.choice(LEAD_SOURCES)[0]
        if rng.random() < 0.5:
            values["competitor"] = rng.choice(COMPETITORS)[0]
        return values

    def company_values(self, rng: random.Random) -> dict[str, str]:
        values = {"customer_tier": rng.choices(TIERS, (1, 3, 6))[0][0]}
        if rng.random() < 0.7:
            values["employees"] = str(rng.choice(EMPLOYEES))
        return values


def create_custom_fields(clock: Clock) -> DemoFields:
    DealField.objects.bulk_create(
        [
            DealField(
                key="lead_source",
                label=str(_("Lead source")),
                kind=FieldKind.CHOICE,
                choices=_choices(LEAD_SOURCES),
                position=1,
                created_at=clock.history_start,
            ),
            DealField(
                key="competitor",
                label=str(_("Competitor")),
                kind=FieldKind.CHOICE,
                help_text=str(_("What the customer uses today, or compares us with.")),
                choices=_choices(COMPETITORS),
                position=2,
                created_at=clock.history_start,
            ),
        ]
    )
    RecordField.objects.bulk_create(
        [
            RecordField(
                record=RecordKind.COMPANY,
                key="customer_tier",
                label=str(_("Customer tier")),
                kind=FieldKind.CHOICE,
                choices=_choices(TIERS),
                position=1,
                created_at=clock.history_start,
            ),
            RecordField(
                record=RecordKind.COMPANY,
                key="employees",
                label=str(_("Employees")),
                kind=FieldKind.NUMBER,
                position=2,
                created_at=clock.history_start,
            ),
        ]
    )
    return DemoFields()
