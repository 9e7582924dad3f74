"""create_contact, update_contact and merge_contacts: rules, field errors, nothing half written."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from contacts.models import Contact, Lead
from contacts.services.people import (
    create_contact,
    merge_contacts,
    update_contact,
    visible_email_twins,
)
from pipeline.models import Opportunity, Task, Touchpoint
from tests.factories import (
    CompanyFactory,
    ContactFactory,
    LeadFactory,
    OpportunityFactory,
    TaskFactory,
    TouchpointFactory,
)


def field_errors(excinfo):
    return excinfo.value.message_dict


def test_create_contact_at_a_visible_company_is_owned_by_its_creator(alice, bob):
    company = CompanyFactory(owner=bob)

    contact = create_contact(
        by=alice,
        fields={"company": company.pk, "first_name": " Ada ", "email": "ada@acme.example"},
    )

    contact.refresh_from_db()
    assert (contact.first_name, contact.owner, contact.company) == ("Ada", alice, company)


def test_create_contact_refuses_a_company_the_user_cannot_see(alice, charlie):
    hidden = CompanyFactory(owner=charlie)

    with pytest.raises(ValidationError) as excinfo:
        create_contact(by=alice, fields={"company": hidden, "first_name": "Ada"})

    assert "company" in field_errors(excinfo)
    assert not Contact.objects.exists()


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"first_name": ""}, "first_name"),
        ({"first_name": "Ada", "email": "not an email"}, "email"),
        ({"first_name": "Ada", "phone": "1" * 41}, "phone"),
        ({"first_name": "Ada", "nickname": "x"}, "nickname"),
        ({"first_name": 42}, "first_name"),
    ],
)
def test_bad_input_is_named_by_its_field(alice, fields, field):
    company = CompanyFactory(owner=alice)

    with pytest.raises(ValidationError) as excinfo:
        create_contact(by=alice, fields={"company": company, **fields})

    assert field in field_errors(excinfo)
    assert not Contact.objects.exists()


def test_same_email_at_the_same_company_is_refused_on_the_email_field(alice, charlie):
    company = CompanyFactory(owner=alice)
    # The earlier contact belongs to someone else: the rule holds whoever can see it.
    ContactFactory(company=company, owner=charlie, email="Ada@Acme.example")

    with pytest.raises(ValidationError) as excinfo:
        create_contact(
            by=alice, fields={"company": company, "first_name": "Ada", "email": "ada@ACME.example"}
        )

    assert field_errors(excinfo) == {
        "email": ["This company already has a contact with this email."]
    }
    assert Contact.objects.count() == 1


def test_same_email_at_another_company_is_allowed_and_found_as_a_twin(alice, bob, charlie):
    first = ContactFactory(company__owner=bob, email="ada@acme.example")
    ContactFactory(company__owner=charlie, email="ADA@acme.example")  # invisible to Alice
    company = CompanyFactory(owner=alice)

    contact = create_contact(
        by=alice, fields={"company": company, "first_name": "Ada", "email": "ada@acme.example"}
    )

    assert list(visible_email_twins(alice, contact.email, exclude_pk=contact.pk)) == [first]


def test_a_rep_may_not_give_a_contact_to_someone_else(alice, bob):
    company = CompanyFactory(owner=alice)

    with pytest.raises(ValidationError) as excinfo:
        create_contact(by=alice, fields={"company": company, "first_name": "A", "owner": bob})

    assert "owner" in field_errors(excinfo)


def test_a_manager_may_give_a_contact_to_their_rep(maria, alice):
    company = CompanyFactory(owner=alice)

    contact = create_contact(
        by=maria, fields={"company": company, "first_name": "A", "owner": alice.pk}
    )

    assert contact.owner == alice


def test_update_changes_only_the_given_fields(alice):
    contact = ContactFactory(company__owner=alice, first_name="Ada", phone="123")

    update_contact(by=alice, contact_id=contact.pk, fields={"job_title": "CTO"})

    contact.refresh_from_db()
    assert (contact.first_name, contact.phone, contact.job_title) == ("Ada", "123", "CTO")


def test_update_to_an_email_the_company_has_is_refused(alice):
    taken = ContactFactory(company__owner=alice, email="taken@acme.example")
    contact = ContactFactory(company=taken.company, owner=alice, email="mine@acme.example")

    with pytest.raises(ValidationError) as excinfo:
        update_contact(by=alice, contact_id=contact.pk, fields={"email": "TAKEN@acme.example"})

    assert "email" in field_errors(excinfo)
    contact.refresh_from_db()
    assert contact.email == "mine@acme.example"


def test_teammate_may_see_but_not_change_and_other_team_gets_not_found(alice, bob, charlie):
    contact = ContactFactory(company__owner=alice)

    with pytest.raises(PermissionDenied):
        update_contact(by=bob, contact_id=contact.pk, fields={"first_name": "X"})
    with pytest.raises(Contact.DoesNotExist):
        update_contact(by=charlie, contact_id=contact.pk, fields={"first_name": "X"})


def test_update_without_changes_writes_nothing(alice):
    contact = ContactFactory(company__owner=alice, first_name="Ada")

    with CaptureQueriesContext(connection) as queries:
        update_contact(by=alice, contact_id=contact.pk, fields={"first_name": "Ada"})

    assert not [q for q in queries.captured_queries if q["sql"].startswith("UPDATE")]


@pytest.fixture
def twins(alice):
    """Two records of one person at one company, each with history."""
    keep = ContactFactory(
        company__owner=alice, first_name="Ada", last_name="", email="", phone="111"
    )
    merge = ContactFactory(
        company=keep.company,
        owner=alice,
        first_name="Ada",
        last_name="Lovelace",
        email="ada@acme.example",
        phone="222",
        job_title="CTO",
    )
    deal = OpportunityFactory(owner=alice, company=keep.company, contact=merge)
    touchpoint = TouchpointFactory(opportunity=None, contact=merge, by=alice)
    task = TaskFactory(opportunity=None, contact=merge, assignee=alice)
    lead = LeadFactory(owner=alice, converted_contact=merge)
    return keep, merge, deal, touchpoint, task, lead


def test_merge_keeps_custom_values_the_kept_contact_lacks(alice, twins):
    keep, merge, *_ = twins
    Contact.objects.filter(pk=keep.pk).update(custom_fields={"tier": "gold", "vip": None})
    Contact.objects.filter(pk=merge.pk).update(
        custom_fields={"tier": "silver", "vip": True, "region": "Bavaria"}
    )

    merge_contacts(by=alice, keep_id=keep.pk, merge_id=merge.pk)

    keep.refresh_from_db()
    # The kept contact's own value wins; the blanks are filled from the merged one.
    assert keep.custom_fields == {"tier": "gold", "vip": True, "region": "Bavaria"}


def test_merge_moves_history_fills_blanks_and_deletes_the_other(alice, twins):
    keep, merge, deal, touchpoint, task, lead = twins

    result = merge_contacts(by=alice, keep_id=keep.pk, merge_id=merge.pk)

    assert result.pk == keep.pk
    assert not Contact.objects.filter(pk=merge.pk).exists()
    assert Opportunity.objects.get(pk=deal.pk).contact_id == keep.pk
    assert Touchpoint.objects.get(pk=touchpoint.pk).contact_id == keep.pk
    assert Task.objects.get(pk=task.pk).contact_id == keep.pk
    assert Lead.objects.get(pk=lead.pk).converted_contact_id == keep.pk
    keep.refresh_from_db()
    # Blank fields are filled from the merged contact; filled ones are kept.
    assert (keep.last_name, keep.email, keep.phone, keep.job_title) == (
        "Lovelace",
        "ada@acme.example",
        "111",
        "CTO",
    )


def test_merge_refuses_contacts_of_two_companies(alice):
    keep = ContactFactory(company__owner=alice)
    merge = ContactFactory(company__owner=alice)

    with pytest.raises(ValidationError) as excinfo:
        merge_contacts(by=alice, keep_id=keep.pk, merge_id=merge.pk)

    assert "merge_id" in field_errors(excinfo)
    assert Contact.objects.count() == 2


def test_merge_needs_both_contacts_editable(alice, bob, charlie, twins):
    keep, merge, *_ = twins

    with pytest.raises(PermissionDenied):
        merge_contacts(by=bob, keep_id=keep.pk, merge_id=merge.pk)
    with pytest.raises(Contact.DoesNotExist):
        merge_contacts(by=charlie, keep_id=keep.pk, merge_id=merge.pk)
    assert Contact.objects.count() == 2


def test_merge_of_a_contact_with_itself_is_refused(alice):
    contact = ContactFactory(company__owner=alice)

    with pytest.raises(ValidationError):
        merge_contacts(by=alice, keep_id=contact.pk, merge_id=contact.pk)

    assert Contact.objects.filter(pk=contact.pk).exists()
