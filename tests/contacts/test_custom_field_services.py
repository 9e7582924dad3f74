"""Custom fields of companies, contacts and leads: defining them and setting values.

North: manager Maria, reps Alice and Bob. South: manager Sam, rep Charlie. Ada is admin.
"""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from contacts.models import Company, Contact, Lead, RecordField, RecordKind
from contacts.services.custom_fields import (
    active_record_fields,
    archive_record_field,
    change_record_field,
    define_record_field,
    set_custom_values,
)
from core.custom_fields.kinds import Choice, FieldKind, Lookup, filter_q
from core.custom_fields.services import FieldSpec
from tests.factories import CompanyFactory, ContactFactory, LeadFactory

SEGMENTS = (Choice("smb", "SMB"), Choice("enterprise", "Enterprise"), Choice("public", "Public"))


@pytest.fixture
def fields(ada):
    return {
        "segment": define_record_field(
            by=ada,
            record=RecordKind.COMPANY,
            spec=FieldSpec(label="Segment", kind=FieldKind.CHOICES, choices=SEGMENTS),
        ),
        "employees": define_record_field(
            by=ada, record=RecordKind.COMPANY, spec=FieldSpec(label="Employees", kind="number")
        ),
        "renewal": define_record_field(
            by=ada, record=RecordKind.COMPANY, spec=FieldSpec(label="Renewal", kind="date")
        ),
        "vip": define_record_field(
            by=ada, record=RecordKind.COMPANY, spec=FieldSpec(label="VIP", kind="boolean")
        ),
        "notes": define_record_field(
            by=ada, record=RecordKind.COMPANY, spec=FieldSpec(label="Notes", kind="text")
        ),
    }


def test_keys_are_unique_per_kind_of_record(ada, fields):
    lead_field = define_record_field(
        by=ada, record=RecordKind.LEAD, spec=FieldSpec(label="Segment", kind="text")
    )
    assert lead_field.key == "segment"
    assert [f.key for f in active_record_fields(RecordKind.COMPANY)] == [
        "segment",
        "employees",
        "renewal",
        "vip",
        "notes",
    ]


def test_only_admins_define_fields(maria):
    with pytest.raises(PermissionDenied):
        define_record_field(by=maria, record="lead", spec=FieldSpec(label="X", kind="text"))
    assert not RecordField.objects.exists()


@pytest.mark.parametrize(
    ("record", "factory", "model"),
    [("company", CompanyFactory, Company), ("lead", LeadFactory, Lead)],
)
def test_owner_and_manager_set_values_teammate_and_other_team_may_not(
    ada, alice, bob, maria, charlie, record, factory, model
):
    define_record_field(by=ada, record=record, spec=FieldSpec(label="Size", kind="number"))
    instance = factory(owner=alice)

    set_custom_values(by=alice, record=record, record_id=instance.pk, values={"size": "10"})
    set_custom_values(by=maria, record=record, record_id=instance.pk, values={"size": 11})
    with pytest.raises(PermissionDenied):
        set_custom_values(by=bob, record=record, record_id=instance.pk, values={"size": "1"})
    with pytest.raises(model.DoesNotExist):
        set_custom_values(by=charlie, record=record, record_id=instance.pk, values={"size": "1"})
    assert model.objects.get(pk=instance.pk).custom_fields == {"size": "11"}


def test_contact_values_and_nothing_half_written(ada, alice):
    define_record_field(by=ada, record="contact", spec=FieldSpec(label="Birthday", kind="date"))
    define_record_field(by=ada, record="contact", spec=FieldSpec(label="Golfer", kind="boolean"))
    contact = ContactFactory(owner=alice, company__owner=alice)
    with pytest.raises(ValidationError) as error:
        set_custom_values(
            by=alice,
            record="contact",
            record_id=contact.pk,
            values={"golfer": "yes", "birthday": "soon"},
        )
    assert set(error.value.message_dict) == {"custom_fields.birthday"}
    assert Contact.objects.get(pk=contact.pk).custom_fields == {}


def test_a_change_of_kind_is_refused_while_values_would_not_fit(ada, alice, fields):
    company = CompanyFactory(owner=alice, name="Acme")
    set_custom_values(by=alice, record="company", record_id=company.pk, values={"notes": "hi"})
    with pytest.raises(ValidationError) as error:
        change_record_field(
            by=ada, field_id=fields["notes"].pk, spec=FieldSpec(label="Notes", kind="date")
        )
    assert "Acme" in error.value.message_dict["kind"][0]
    archive_record_field(by=ada, field_id=fields["notes"].pk)
    assert "notes" not in [f.key for f in active_record_fields("company")]


def _filtered(field, lookup, raw):
    condition = filter_q(
        field.kind,
        field.key,
        lookup,
        raw,
        choices=field.choice_list,
        vendor=connection.vendor,
    )
    return set(Company.objects.filter(condition).values_list("name", flat=True))


def test_filters_by_every_kind(alice, fields):
    a_values = {"segment": ["smb", "public"], "employees": "9", "renewal": "2026-01-31"}
    b_values = {"segment": ["enterprise"], "employees": "120.5", "renewal": "2026-06-01"}
    a_values.update(vip=True, notes="Key account")
    b_values.update(vip=False)
    for name, values in [("A", a_values), ("B", b_values), ("C", {})]:
        company = CompanyFactory(owner=alice, name=name)
        set_custom_values(by=alice, record="company", record_id=company.pk, values=values)

    assert _filtered(fields["segment"], Lookup.CONTAINS, "public") == {"A"}
    assert _filtered(fields["segment"], Lookup.CONTAINS, "enterprise") == {"B"}
    assert _filtered(fields["employees"], Lookup.AT_LEAST, "10") == {"B"}
    assert _filtered(fields["employees"], Lookup.AT_MOST, "120.5") == {"A", "B"}
    assert _filtered(fields["employees"], Lookup.EQUALS, "9.0") == {"A"}
    assert _filtered(fields["renewal"], Lookup.AT_LEAST, "2026-02-01") == {"B"}
    assert _filtered(fields["vip"], Lookup.EQUALS, "yes") == {"A"}
    assert _filtered(fields["vip"], Lookup.EQUALS, "no") == {"B"}
    assert _filtered(fields["vip"], Lookup.IS_SET, "") == {"A", "B"}
    assert _filtered(fields["notes"], Lookup.CONTAINS, "key") == {"A"}
    with pytest.raises(ValidationError):
        _filtered(fields["employees"], Lookup.AT_LEAST, "ten")
