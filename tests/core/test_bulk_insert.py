"""Bulk inserts write what the ORM would have written, with the ids callers rely on."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from contacts.models import Company
from core.bulk_insert import RowWriter, insert_records, reserve_ids
from pipeline.models import Opportunity, StageChange
from tests.factories import CompanyFactory, OpportunityFactory, StageFactory

pytestmark = pytest.mark.django_db

WHEN = dt.datetime(2025, 3, 18, 9, 30, tzinfo=dt.UTC)


def test_inserted_records_get_ids_times_and_a_saved_state(alice):
    records = [
        Company(
            name=f"Globex {number}",
            owner=alice,
            custom_fields={"tier": "gold", "seats": number},
            created_at=WHEN,
        )
        for number in range(3)
    ]
    before = timezone.now()

    insert_records(Company, records)

    assert all(record.pk is not None and not record._state.adding for record in records)
    assert len({record.pk for record in records}) == 3
    stored = Company.objects.get(pk=records[2].pk)
    assert (stored.name, stored.owner, stored.custom_fields, stored.created_at) == (
        "Globex 2",
        alice,
        {"tier": "gold", "seats": 2},
        WHEN,
    )
    # auto_now is stamped as save() would, on the row and on the record alike.
    assert stored.updated_at >= before
    assert stored.updated_at == records[2].updated_at


def test_inserted_deals_keep_decimals_dates_and_choices(alice):
    stage = StageFactory()
    company = CompanyFactory(owner=alice)
    deal = Opportunity(
        title="Renewal",
        company=company,
        owner=alice,
        pipeline=stage.pipeline,
        stage=stage,
        value=Decimal("1234.56"),
        currency="CHF",
        expected_close_date=dt.date(2027, 12, 31),
        stage_entered_at=WHEN,
        created_at=WHEN,
    )

    insert_records(Opportunity, [deal])

    stored = Opportunity.objects.get(pk=deal.pk)
    assert (stored.value, stored.currency, stored.expected_close_date) == (
        Decimal("1234.56"),
        "CHF",
        dt.date(2027, 12, 31),
    )
    assert (stored.status, stored.version, stored.checklist_done) == ("open", 1, [])
    assert stored.stage_entered_at == WHEN


def test_ids_of_deleted_rows_are_never_given_again(alice):
    removed = CompanyFactory(owner=alice)
    removed_id = removed.pk
    removed.delete()

    (fresh,) = reserve_ids(Company, 1)

    assert fresh > removed_id
    assert reserve_ids(Company, 0) == []


def test_row_writer_writes_tuples_in_column_order(alice):
    deal = OpportunityFactory(owner=alice)
    writer = RowWriter(StageChange, ("opportunity", "from_stage", "to_stage", "by", "at"))

    written = writer.write(iter([(deal.pk, None, deal.stage_id, alice.pk, WHEN)]))

    assert written == 1
    assert list(
        StageChange.objects.filter(opportunity=deal, at=WHEN).values_list(
            "from_stage", "to_stage", "by"
        )
    ) == [(None, deal.stage_id, alice.pk)]
    assert writer.write([]) == 0


def test_row_writer_refuses_columns_that_leave_a_field_out():
    with pytest.raises(ImproperlyConfigured, match=r"pipeline.StageChange .*'at'"):
        RowWriter(StageChange, ("opportunity", "from_stage", "to_stage", "by"))
