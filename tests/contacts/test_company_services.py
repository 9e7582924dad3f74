"""create_company, update_company and merge_companies: domains, duplicates, merges."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from contacts.models import Company, Contact, Lead
from contacts.services.companies import (
    DuplicateCompanyDomain,
    create_company,
    merge_companies,
    update_company,
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


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("https://www.Acme.example/about?x=1", "acme.example"),
        ("ACME.example", "acme.example"),
        ("http://shop.acme.example:8080", "shop.acme.example"),
        ("", ""),
    ],
)
def test_domain_is_stored_normalised(alice, typed, stored):
    company = create_company(by=alice, fields={"name": "Acme", "domain": typed})

    company.refresh_from_db()
    assert company.domain == stored


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "Acme", "domain": "not a domain"}, "domain"),
        ({"name": "Acme", "country": "Germany"}, "country"),
        ({"name": "Acme", "colour": "red"}, "colour"),
    ],
)
def test_bad_input_is_named_by_its_field(alice, fields, field):
    with pytest.raises(ValidationError) as excinfo:
        create_company(by=alice, fields=fields)

    assert field in excinfo.value.message_dict
    assert not Company.objects.exists()


def test_country_is_upper_cased(alice):
    company = create_company(by=alice, fields={"name": "Acme", "country": "de"})

    assert company.country == "DE"


def test_a_visible_company_with_the_domain_is_a_duplicate_until_confirmed(alice, bob):
    existing = CompanyFactory(owner=bob, domain="acme.example")

    with pytest.raises(DuplicateCompanyDomain) as excinfo:
        create_company(by=alice, fields={"name": "Acme", "domain": "www.ACME.example"})

    assert excinfo.value.duplicates == [existing]
    assert "domain" in excinfo.value.message_dict
    assert Company.objects.count() == 1

    created = create_company(
        by=alice, fields={"name": "Acme", "domain": "acme.example"}, allow_duplicate_domain=True
    )

    assert created.domain == "acme.example"


def test_a_company_the_user_cannot_see_is_not_revealed_as_a_duplicate(alice, charlie):
    CompanyFactory(owner=charlie, domain="acme.example")

    company = create_company(by=alice, fields={"name": "Acme", "domain": "acme.example"})

    assert company.pk is not None


def test_update_keeping_the_domain_is_not_a_duplicate(alice):
    CompanyFactory(owner=alice, domain="acme.example")
    company = CompanyFactory(owner=alice, domain="acme.example")

    update_company(
        by=alice, company_id=company.pk, fields={"name": "Acme AG", "domain": "acme.example"}
    )

    company.refresh_from_db()
    assert company.name == "Acme AG"


def test_update_needs_an_editable_company(alice, bob, charlie):
    company = CompanyFactory(owner=alice)

    with pytest.raises(PermissionDenied):
        update_company(by=bob, company_id=company.pk, fields={"name": "X"})
    with pytest.raises(Company.DoesNotExist):
        update_company(by=charlie, company_id=company.pk, fields={"name": "X"})


@pytest.fixture
def pair(alice, bob):
    """Acme twice: the second has a contact the first already has, and one it has not."""
    keep = CompanyFactory(owner=alice, name="Acme", domain="acme.example", industry="")
    merge = CompanyFactory(owner=alice, name="ACME Inc", domain="acme.example", industry="Retail")
    kept_ada = ContactFactory(company=keep, owner=alice, email="ada@acme.example", phone="")
    # Bob's contact at Alice's company: merged along with the company.
    merged_ada = ContactFactory(company=merge, owner=bob, email="ADA@acme.example", phone="555")
    grace = ContactFactory(company=merge, owner=alice, email="grace@acme.example")
    deal = OpportunityFactory(owner=alice, company=merge, contact=merged_ada)
    touchpoint = TouchpointFactory(opportunity=None, contact=merged_ada, by=alice)
    task = TaskFactory(opportunity=None, contact=merged_ada, assignee=alice)
    lead = LeadFactory(owner=alice, converted_company=merge)
    return keep, merge, kept_ada, merged_ada, grace, deal, touchpoint, task, lead


def test_merge_moves_contacts_deals_and_leads_and_merges_email_twins(alice, pair):
    keep, merge, kept_ada, merged_ada, grace, deal, touchpoint, task, lead = pair

    merge_companies(by=alice, keep_id=keep.pk, merge_id=merge.pk)

    assert not Company.objects.filter(pk=merge.pk).exists()
    assert set(Contact.objects.filter(company=keep)) == {kept_ada, grace}
    assert not Contact.objects.filter(pk=merged_ada.pk).exists()
    deal.refresh_from_db()
    assert (deal.company_id, deal.contact_id) == (keep.pk, kept_ada.pk)
    assert Touchpoint.objects.get(pk=touchpoint.pk).contact_id == kept_ada.pk
    assert Task.objects.get(pk=task.pk).contact_id == kept_ada.pk
    assert Lead.objects.get(pk=lead.pk).converted_company_id == keep.pk
    kept_ada.refresh_from_db()
    keep.refresh_from_db()
    assert kept_ada.phone == "555"
    assert (keep.name, keep.industry) == ("Acme", "Retail")


def test_merge_needs_both_companies_editable(alice, bob, charlie, pair):
    keep, merge, *_ = pair

    with pytest.raises(PermissionDenied):
        merge_companies(by=bob, keep_id=keep.pk, merge_id=merge.pk)
    with pytest.raises(Company.DoesNotExist):
        merge_companies(by=charlie, keep_id=keep.pk, merge_id=merge.pk)
    assert Company.objects.count() == 2
    assert Opportunity.objects.get().company_id == merge.pk


def test_a_failed_merge_leaves_everything_as_it_was(alice, pair, monkeypatch):
    keep, merge, _kept_ada, merged_ada, *_ = pair

    def broken_delete(self, *args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(Company, "delete", broken_delete)

    with pytest.raises(RuntimeError):
        merge_companies(by=alice, keep_id=keep.pk, merge_id=merge.pk)

    assert Contact.objects.filter(pk=merged_ada.pk, company=merge).exists()
    assert Opportunity.objects.get().contact_id == merged_ada.pk
    assert Company.objects.count() == 2
