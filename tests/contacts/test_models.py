"""The database itself refuses invalid companies, contacts, leads and lead rules."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db.models import ProtectedError
from django.utils import timezone

from contacts.models import (
    Contact,
    Lead,
    LeadPolicy,
    LeadSource,
    LeadStatus,
    QualificationAnswer,
    RecordField,
)
from tests.constraints import constraints_without_refusal_test, refused_by
from tests.factories import (
    CompanyFactory,
    ContactFactory,
    LeadFactory,
    QualificationCriterionFactory,
)


def test_every_contacts_constraint_has_a_refusal_test():
    assert constraints_without_refusal_test("contacts", __file__) == []


# Company


def test_company_external_id_is_unique(alice):
    CompanyFactory(owner=alice, external_id="HUB-1")

    with refused_by("company_external_id_unique"):
        CompanyFactory(owner=alice, external_id="HUB-1")


def test_many_companies_without_external_id_are_accepted(alice):
    CompanyFactory(owner=alice, external_id="")
    CompanyFactory(owner=alice, external_id="")

    assert alice.companies.filter(external_id="").count() == 2


def test_deleting_a_company_deletes_its_contacts(alice):
    company = CompanyFactory(owner=alice)
    ContactFactory(company=company)

    company.delete()

    assert not Contact.objects.exists()


def test_deleting_a_user_who_owns_a_company_is_refused(alice):
    company = CompanyFactory(owner=alice)

    with pytest.raises(ProtectedError) as refusal:
        alice.delete()

    assert company in refusal.value.protected_objects


# Contact


def test_contact_email_is_unique_per_company_ignoring_case(alice):
    company = CompanyFactory(owner=alice)
    ContactFactory(company=company, email="A@x.com")

    with refused_by("contact_email_unique_per_company"):
        ContactFactory(company=company, email="a@x.com")


def test_same_contact_email_at_another_company_is_accepted(alice):
    ContactFactory(company=CompanyFactory(owner=alice), email="A@x.com")
    ContactFactory(company=CompanyFactory(owner=alice), email="a@x.com")

    assert Contact.objects.filter(email__iexact="a@x.com").count() == 2


def test_two_contacts_without_email_at_one_company_are_accepted(alice):
    company = CompanyFactory(owner=alice)
    ContactFactory(company=company, email="")
    ContactFactory(company=company, email="")

    assert company.contacts.filter(email="").count() == 2


def test_model_validation_names_the_duplicate_contact_email(alice):
    company = CompanyFactory(owner=alice)
    ContactFactory(company=company, email="A@x.com")
    duplicate = Contact(company=company, owner=alice, first_name="Ann", email="a@X.com")

    with pytest.raises(ValidationError, match="already has a contact with this email"):
        duplicate.full_clean()


def test_contact_external_id_is_unique(alice):
    ContactFactory(company__owner=alice, external_id="HUB-7")

    with refused_by("contact_external_id_unique"):
        ContactFactory(company__owner=alice, external_id="HUB-7")


def test_many_contacts_without_external_id_are_accepted(alice):
    ContactFactory(company__owner=alice, external_id="")
    ContactFactory(company__owner=alice, external_id="")

    assert Contact.objects.filter(external_id="").count() == 2


# Lead


def test_unknown_lead_status_is_refused(alice):
    with refused_by("lead_status_valid"):
        LeadFactory(owner=alice, status="maybe")


def test_unknown_lead_source_is_refused(alice):
    with refused_by("lead_source_valid"):
        LeadFactory(owner=alice, source="carrier-pigeon")


@pytest.mark.parametrize("source", LeadSource.values)
def test_every_lead_source_is_accepted(alice, source):
    lead = LeadFactory(owner=alice, source=source)

    assert Lead.objects.get(pk=lead.pk).source == source


def test_disqualified_lead_without_reason_is_refused(alice):
    with refused_by("lead_disqualified_has_reason"):
        LeadFactory(owner=alice, status=LeadStatus.DISQUALIFIED, disqualified_reason="")


def test_disqualified_lead_with_reason_is_accepted(alice):
    lead = LeadFactory(owner=alice, status=LeadStatus.DISQUALIFIED, disqualified_reason="No budget")

    assert Lead.objects.get(pk=lead.pk).status == LeadStatus.DISQUALIFIED


def test_converted_lead_without_conversion_date_is_refused(alice):
    with refused_by("lead_converted_has_date"):
        LeadFactory(owner=alice, status=LeadStatus.CONVERTED, converted_at=None)


def test_converted_lead_with_conversion_date_is_accepted(alice):
    lead = LeadFactory(owner=alice, status=LeadStatus.CONVERTED, converted_at=timezone.now())

    assert Lead.objects.get(pk=lead.pk).status == LeadStatus.CONVERTED


def test_first_touch_before_lead_creation_is_refused(alice):
    created = timezone.now()

    with refused_by("lead_first_touch_after_creation"):
        LeadFactory(
            owner=alice, created_at=created, first_touch_at=created - dt.timedelta(seconds=1)
        )


@pytest.mark.parametrize("delay", [None, dt.timedelta(0), dt.timedelta(days=3)])
def test_first_touch_at_or_after_creation_or_none_is_accepted(alice, delay):
    created = timezone.now()
    first_touch = None if delay is None else created + delay

    lead = LeadFactory(owner=alice, created_at=created, first_touch_at=first_touch)

    assert Lead.objects.get(pk=lead.pk).first_touch_at == first_touch


def test_lead_external_id_is_unique(alice):
    LeadFactory(owner=alice, external_id="FORM-3")

    with refused_by("lead_external_id_unique"):
        LeadFactory(owner=alice, external_id="FORM-3")


def test_many_leads_without_external_id_are_accepted(alice):
    LeadFactory(owner=alice, external_id="")
    LeadFactory(owner=alice, external_id="")

    assert Lead.objects.filter(external_id="").count() == 2


def test_deleting_a_lead_owner_returns_their_leads_to_the_queue(alice):
    lead = LeadFactory(owner=alice)

    alice.delete()

    lead.refresh_from_db()
    assert lead.owner is None


def test_deleting_the_converted_company_keeps_the_lead(alice):
    company = CompanyFactory(owner=alice)
    lead = LeadFactory(
        owner=alice,
        status=LeadStatus.CONVERTED,
        converted_at=timezone.now(),
        converted_company=company,
    )

    company.delete()

    lead.refresh_from_db()
    assert lead.converted_company is None


# Qualification


@pytest.mark.django_db
@pytest.mark.parametrize("weight", [0, 101])
def test_criterion_weight_outside_1_to_100_is_refused(weight):
    with refused_by("criterion_weight_range"):
        QualificationCriterionFactory(weight=weight)


@pytest.mark.django_db
@pytest.mark.parametrize("weight", [1, 100])
def test_criterion_weight_at_the_bounds_is_accepted(weight):
    criterion = QualificationCriterionFactory(weight=weight)

    assert criterion.pk is not None


def test_second_answer_to_one_criterion_for_one_lead_is_refused(alice):
    lead = LeadFactory(owner=alice)
    criterion = QualificationCriterionFactory()
    QualificationAnswer.objects.create(lead=lead, criterion=criterion, is_met=True)

    with refused_by("answer_unique_per_lead"):
        QualificationAnswer.objects.create(lead=lead, criterion=criterion, is_met=False)


def test_one_criterion_answered_for_two_leads_is_accepted(alice):
    criterion = QualificationCriterionFactory()
    for lead in LeadFactory.create_batch(2, owner=alice):
        QualificationAnswer.objects.create(lead=lead, criterion=criterion, is_met=True)

    assert criterion.answers.count() == 2


def test_deleting_an_answered_criterion_is_refused(alice):
    criterion = QualificationCriterionFactory()
    QualificationAnswer.objects.create(
        lead=LeadFactory(owner=alice), criterion=criterion, is_met=True
    )

    with pytest.raises(ProtectedError):
        criterion.delete()


def test_deleting_a_lead_deletes_its_answers(alice):
    lead = LeadFactory(owner=alice)
    QualificationAnswer.objects.create(
        lead=lead, criterion=QualificationCriterionFactory(), is_met=True
    )

    lead.delete()

    assert not QualificationAnswer.objects.exists()


# Lead policy


@pytest.mark.django_db
def test_second_lead_policy_row_is_refused():
    LeadPolicy.current()

    with refused_by("lead_policy_singleton"):
        LeadPolicy.objects.create(pk=2)


@pytest.mark.django_db
def test_current_lead_policy_is_the_single_row():
    assert LeadPolicy.current().pk == LeadPolicy.current().pk == 1
    assert LeadPolicy.objects.count() == 1


@pytest.mark.django_db
def test_lead_policy_without_contact_attempts_is_refused():
    with refused_by("lead_policy_attempts_positive"):
        LeadPolicy.objects.create(pk=1, max_contact_attempts=0)


@pytest.mark.django_db
def test_lead_policy_with_one_contact_attempt_is_accepted():
    LeadPolicy.objects.create(pk=1, max_contact_attempts=1)

    assert LeadPolicy.current().max_contact_attempts == 1


# Custom fields


def test_record_field_key_is_unique_per_kind_of_record(db):
    RecordField.objects.create(record="company", key="segment", label="Segment", kind="text")
    RecordField.objects.create(record="lead", key="segment", label="Segment", kind="text")

    with refused_by("record_field_key_unique"):
        RecordField.objects.create(record="company", key="segment", label="Again", kind="text")


def test_record_field_record_must_be_a_known_kind(db):
    with refused_by("record_field_record_valid"):
        RecordField.objects.create(record="deal", key="x", label="X", kind="text")
