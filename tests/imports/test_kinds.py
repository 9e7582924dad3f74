"""A good file of each kind imports; the same file again updates instead of duplicating."""

import datetime as dt
from decimal import Decimal

from contacts.models import Company, Contact, Lead, LeadSource
from pipeline.models import Opportunity, StageChange
from tests.factories import CompanyFactory, ContactFactory, LeadFactory, OpportunityFactory
from tests.imports.importing import run_import

COMPANIES = """external_id,name,domain,industry,country,owner
C-10,Globex,https://www.Globex.example/about,Energy,de,bob
C-11,Initech,,Software,,
"""


def test_companies_import_with_owner_domain_and_country(maria, bob):
    result = run_import(maria, "companies", COMPANIES)

    assert (result.outcome.created, result.outcome.rejected) == (2, 0)
    globex = Company.objects.get(external_id="C-10")
    assert (globex.domain, globex.country, globex.owner) == ("globex.example", "DE", bob)
    # An empty owner cell makes the importer the owner.
    assert Company.objects.get(external_id="C-11").owner == maria


def test_reimporting_the_same_file_updates_instead_of_duplicating(maria, bob):
    run_import(maria, "companies", COMPANIES)

    result = run_import(maria, "companies", COMPANIES.replace("Energy", "Utilities"))

    assert (result.outcome.created, result.outcome.updated) == (0, 2)
    assert Company.objects.count() == 2
    assert Company.objects.get(external_id="C-10").industry == "Utilities"


def test_an_update_changes_only_mapped_columns_with_a_value(maria, bob):
    run_import(maria, "companies", COMPANIES)

    run_import(maria, "companies", "external_id,name,industry\nC-10,Globex AG,\n")

    globex = Company.objects.get(external_id="C-10")
    # The name was given; the empty industry cell and the unmapped domain leave them be.
    assert (globex.name, globex.industry, globex.domain) == (
        "Globex AG",
        "Energy",
        "globex.example",
    )


def test_contacts_import_onto_companies_by_external_id_or_name(alice, acme):
    content = """first_name,last_name,email,company,external_id
Ada,Lovelace,ada@acme.example,C-1,P-1
Grace,Hopper,grace@acme.example,acme,P-2
"""
    result = run_import(alice, "contacts", content)

    assert (result.outcome.created, result.outcome.rejected) == (2, 0)
    assert set(Contact.objects.values_list("company", "owner")) == {(acme.pk, alice.pk)}


def test_leads_import_with_source_and_flag_duplicates(alice):
    earlier = LeadFactory(email="ada@acme.example", owner=alice)
    content = """last_name,email,company_domain,source
Lovelace,ADA@acme.example,,Referral
Hopper,grace@globex.example,globex.example,
Hopper,grace.h@other.example,globex.example,event
"""
    result = run_import(alice, "leads", content)

    assert (result.outcome.created, result.outcome.rejected) == (3, 0)
    ada, grace, second_grace = Lead.objects.exclude(pk=earlier.pk).order_by("pk")
    # Created all the same, but pointing at the earlier lead with the same email or domain.
    assert ada.duplicate_of == earlier
    assert grace.duplicate_of is None
    assert second_grace.duplicate_of == grace
    assert (ada.source, grace.source, second_grace.source) == (
        LeadSource.REFERRAL,
        LeadSource.IMPORT,
        LeadSource.EVENT,
    )


DEALS = """external_id;title;company;value;expected_close_date;stage
D-1;Renewal;C-1;1.234,56;31.12.2026;Proposal
D-2;Pilot;Acme;12,5;2026-01-05;
"""


def test_deals_import_into_their_stage_with_history_and_positions(alice, acme, pipeline):
    existing = OpportunityFactory(
        owner=alice, company=acme, stage=pipeline.stages.get(name="Prospecting"), position=65536
    )

    result = run_import(alice, "deals", DEALS)

    assert (result.outcome.created, result.outcome.rejected) == (2, 0)
    renewal = Opportunity.objects.get(external_id="D-1")
    pilot = Opportunity.objects.get(external_id="D-2")
    assert (renewal.stage.name, renewal.value, renewal.expected_close_date) == (
        "Proposal",
        Decimal("1234.56"),
        dt.date(2026, 12, 31),
    )
    assert (renewal.created_by, renewal.currency, renewal.status) == (alice, "EUR", "open")
    # No stage: the pipeline's first open stage, below the card already there.
    assert pilot.stage == existing.stage
    assert pilot.position > existing.position
    assert list(
        StageChange.objects.filter(opportunity__in=[renewal, pilot])
        .values_list("from_stage", "to_stage", "by")
        .order_by("opportunity")
    ) == [
        (None, renewal.stage_id, alice.pk),
        (None, pilot.stage_id, alice.pk),
    ]


def test_reimported_deal_moving_stage_records_the_move_and_bumps_its_version(alice, acme, pipeline):
    run_import(alice, "deals", DEALS)
    renewal = Opportunity.objects.get(external_id="D-1")

    result = run_import(
        alice,
        "deals",
        "external_id;title;company;stage;lost_reason\nD-1;Renewal;C-1;Lost;Budget cut\n",
    )

    assert (result.outcome.created, result.outcome.updated) == (0, 1)
    lost = Opportunity.objects.get(external_id="D-1")
    assert (lost.status, lost.lost_reason, lost.version) == (
        "lost",
        "Budget cut",
        renewal.version + 1,
    )
    assert lost.closed_at is not None
    last_move = StageChange.objects.filter(opportunity=lost).latest()
    assert (last_move.from_stage_id, last_move.to_stage.name) == (renewal.stage_id, "Lost")


def test_deals_import_into_a_won_stage_as_won(alice, acme, pipeline):
    run_import(alice, "deals", "title,company,stage\nDone deal,Acme,Won\n")

    deal = Opportunity.objects.get()
    assert (deal.status, deal.forecast_category) == ("won", "closed")
    assert deal.closed_at is not None


def test_leads_from_one_business_domain_are_flagged_but_free_mail_is_not(alice):
    content = """last_name,email
First,ada@globex.example
Second,grace@GLOBEX.example
Third,one@gmail.com
Fourth,two@gmail.com
"""
    run_import(alice, "leads", content)

    first, second, third, fourth = Lead.objects.order_by("pk")
    assert (first.company_domain, second.duplicate_of) == ("globex.example", first)
    assert (third.company_domain, fourth.duplicate_of) == ("", None)


def test_a_deal_with_a_contact_and_no_company_is_with_the_contacts_company(alice, acme, pipeline):
    ContactFactory(company=acme, owner=alice, email="ana@acme.example", external_id="P-1")

    result = run_import(alice, "deals", "title;contact\nBy email;ANA@acme.example\nBy id;P-1\n")

    assert (result.outcome.created, result.outcome.rejected) == (2, 0)
    assert set(Opportunity.objects.values_list("title", "company", "contact__email")) == {
        ("By email", acme.pk, "ana@acme.example"),
        ("By id", acme.pk, "ana@acme.example"),
    }


def test_a_deal_needs_a_company_or_a_contact_of_that_company(alice, acme, pipeline):
    other = CompanyFactory(owner=alice, name="Other")
    ContactFactory(company=other, owner=alice, email="ola@other.example")

    result = run_import(
        alice,
        "deals",
        "title;company;contact\nNobody;;\nMismatch;Acme;ola@other.example\n"
        "Unknown;;who@nowhere.example\n",
    )

    assert result.outcome.created == 0
    assert result.reasons == {
        2: ["company: A deal needs a company or a contact; give at least one."],
        3: ["contact: Choose a contact of this deal's company."],
        4: [
            "contact: No contact “who@nowhere.example” that you can see: import it first, "
            "or check it."
        ],
    }
    assert not Opportunity.objects.exists()
