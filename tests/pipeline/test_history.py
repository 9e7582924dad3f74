"""A deal's change history: one row per changed field, with who, when, from and to."""

import datetime as dt
from decimal import Decimal

from pipeline.models import DealChange
from pipeline.services.history import (
    deal_snapshot,
    display_text,
    machine_value,
    record_deal_changes,
)
from tests.factories import CompanyFactory, OpportunityFactory

AT = dt.datetime(2026, 11, 30, 9, 30, tzinfo=dt.UTC)


def test_values_are_stored_as_they_read_back():
    assert machine_value(Decimal("1234.50")) == "1234.50"
    assert machine_value(dt.date(2027, 3, 31)) == "2027-03-31"
    assert machine_value(AT) == "2026-11-30T09:30:00+00:00"
    assert machine_value(["Budget", Decimal("1")]) == ["Budget", "1"]
    assert machine_value(None) is None
    assert machine_value(True) is True


def test_only_related_records_keep_a_name(db):
    company = CompanyFactory(name="Acme GmbH")

    assert machine_value(company) == company.pk
    assert display_text(company) == "Acme GmbH"
    assert display_text(Decimal("5")) == ""


def test_each_changed_field_is_one_row_and_unchanged_fields_none(alice, stage):
    deal = OpportunityFactory(owner=alice, stage=stage, value=Decimal("1000.00"))
    before = deal_snapshot(deal, ["value", "company", "title"])
    new_company = CompanyFactory(owner=alice, name="Globex")
    after = {"value": Decimal("1500.00"), "company": new_company, "title": deal.title}

    rows = record_deal_changes(opportunity=deal, by=alice, before=before, after=after, at=AT)

    assert sorted(row.field for row in rows) == ["company", "value"]
    stored = {row.field: row for row in DealChange.objects.filter(opportunity=deal)}
    assert (stored["value"].old_value, stored["value"].new_value) == ("1000.00", "1500.00")
    assert stored["company"].new_value == new_company.pk
    assert stored["company"].new_display == "Globex"
    assert stored["company"].old_display == str(before["company"])
    assert {row.by_id for row in stored.values()} == {alice.pk}
    assert {row.at for row in stored.values()} == {AT}


def test_setting_a_related_record_to_itself_records_nothing(alice, stage):
    deal = OpportunityFactory(owner=alice, stage=stage)
    before = deal_snapshot(deal, ["company"])

    rows = record_deal_changes(
        opportunity=deal, by=alice, before=before, after={"company": deal.company_id}
    )

    assert rows == []
    assert not DealChange.objects.exists()
