"""An import writes with the importer's permissions, and no more.

Team North: manager Maria, reps Alice and Bob. Team South: manager Sam, rep Charlie.
"""

import pytest

from contacts.models import Company, Contact, Lead
from pipeline.models import Opportunity
from tests.factories import CompanyFactory, ContactFactory, LeadFactory, OpportunityFactory
from tests.imports.importing import run_import

NOT_YOURS = "external_id: The external id “{}” belongs to a record you may not change."


@pytest.fixture
def charlies_deal(charlie, pipeline):
    company = CompanyFactory(owner=charlie, name="Southwind")
    return OpportunityFactory(
        owner=charlie, company=company, stage=pipeline.stages.first(), external_id="D-S", value=5
    )


def test_rep_cannot_update_another_teams_deal_by_guessing_its_external_id(
    alice, acme, charlies_deal
):
    result = run_import(alice, "deals", "external_id,title,company,value\nD-S,Mine now,Acme,1\n")

    assert result.reasons == {2: [NOT_YOURS.format("D-S")]}
    charlies_deal.refresh_from_db()
    assert (charlies_deal.title, charlies_deal.owner_id) != ("Mine now", alice.pk)
    assert Opportunity.objects.count() == 1


def test_rep_cannot_update_a_teammates_contact_they_can_only_see(alice, bob):
    contact = ContactFactory(
        owner=bob,
        company__owner=bob,
        company__name="Northwind",
        external_id="P-B",
        first_name="Bea",
    )

    result = run_import(
        alice, "contacts", "external_id,first_name,company\nP-B,Changed,Northwind\n"
    )

    assert result.reasons == {2: [NOT_YOURS.format("P-B")]}
    contact.refresh_from_db()
    assert contact.first_name == "Bea"


def test_manager_updates_their_teams_records(maria, alice):
    CompanyFactory(owner=alice, external_id="C-A", industry="Retail")

    result = run_import(maria, "companies", "external_id,name,industry\nC-A,Acme,Tools\n")

    assert result.outcome.updated == 1
    assert Company.objects.get(external_id="C-A").industry == "Tools"


def test_manager_cannot_update_another_teams_records(maria, charlie):
    LeadFactory(owner=charlie, external_id="L-S", last_name="South")

    result = run_import(maria, "leads", "external_id,last_name\nL-S,North\n")

    assert result.reasons == {2: [NOT_YOURS.format("L-S")]}
    assert Lead.objects.get(external_id="L-S").last_name == "South"


def test_rep_cannot_make_a_teammate_the_owner(alice, bob):
    result = run_import(alice, "companies", "name,owner\nGlobex,bob\nInitech,alice\n")

    assert result.reasons == {2: ["owner: No active user “bob” you may make the owner."]}
    assert list(Company.objects.values_list("name", "owner")) == [("Initech", alice.pk)]


def test_manager_assigns_owners_in_their_team_but_not_outside_it(maria, bob, charlie):
    content = "name,owner\nGlobex,BOB\nSouthwind,charlie@example.com\n"

    result = run_import(maria, "companies", content)

    assert result.reasons == {
        3: ["owner: No active user “charlie@example.com” you may make the owner."]
    }
    assert list(Company.objects.values_list("name", "owner")) == [("Globex", bob.pk)]


def test_admin_assigns_anyone(ada, charlie):
    result = run_import(ada, "companies", "name,owner\nSouthwind,charlie\n")

    assert result.outcome.created == 1
    assert Company.objects.get().owner == charlie


def test_rep_cannot_attach_a_contact_to_a_company_they_cannot_see(alice, charlie):
    CompanyFactory(owner=charlie, name="Southwind", external_id="C-S")

    result = run_import(alice, "contacts", "first_name,company\nAda,C-S\nGrace,Southwind\n")

    assert result.outcome.rejected == 2
    assert not Contact.objects.exists()


def test_rep_links_a_deal_to_a_teammates_company_they_can_see(alice, bob, pipeline):
    company = CompanyFactory(owner=bob, name="Northwind")

    result = run_import(alice, "deals", "title,company\nShared account,Northwind\n")

    assert result.outcome.created == 1
    assert Opportunity.objects.get().company == company


def test_rep_gives_imported_leads_to_a_teammate_as_the_lead_pages_allow(alice, bob, charlie):
    result = run_import(alice, "leads", "last_name,owner\nNorth,bob\nSouth,charlie\n")

    assert result.reasons == {3: ["owner: No active user “charlie” you may make the owner."]}
    assert list(Lead.objects.values_list("last_name", "owner")) == [("North", bob.pk)]


@pytest.mark.parametrize("first_batch", ["new", "update"])
def test_records_of_other_teams_are_refused_whatever_the_batches_before_them(
    alice, acme, charlies_deal, first_batch
):
    # Given a deal of Alice's, and Charlie's deal of another team.
    OpportunityFactory(owner=alice, company=acme, external_id="D-A", title="Old")
    first = "D-N,New,Acme\n" if first_batch == "new" else "D-A,Renamed,Acme\n"
    content = "external_id,title,company\n" + first + "D-S,Mine now,Acme\nD-M,More,Acme\n"

    # When each row is a batch of its own, after a batch of new records or of updates.
    result = run_import(alice, "deals", content, batch_size=1)

    # Then Charlie's deal is refused either way, and the others are written.
    assert result.reasons == {3: [NOT_YOURS.format("D-S")]}
    assert Opportunity.objects.get(external_id="D-S").title != "Mine now"
    assert (result.outcome.created, result.outcome.updated) == (
        (2, 0) if first_batch == "new" else (1, 1)
    )
