"""Companies, contacts and leads through the API, and converting a lead into a deal."""

import pytest

from contacts.models import Company, Contact, Lead
from pipeline.models import Opportunity
from tests.factories import (
    CompanyFactory,
    ContactFactory,
    LeadFactory,
    QualificationCriterionFactory,
)


def ids(response):
    return {row["id"] for row in response.json()["results"]}


# --- companies ----------------------------------------------------------------------------


def test_companies_list_what_each_role_may_see(api_as, alice, bob, charlie, maria, ada):
    north = CompanyFactory(owner=alice)
    teammate = CompanyFactory(owner=bob)
    south = CompanyFactory(owner=charlie)

    assert ids(api_as(alice).get("/api/companies/")) == {north.pk, teammate.pk}
    assert ids(api_as(maria).get("/api/companies/")) == {north.pk, teammate.pk}
    assert ids(api_as(charlie).get("/api/companies/")) == {south.pk}
    assert ids(api_as(ada).get("/api/companies/")) == {north.pk, teammate.pk, south.pk}


def test_rep_creates_a_company_they_own(api_as, alice):
    response = api_as(alice).post(
        "/api/companies/",
        {"name": " Acme ", "domain": "https://www.Acme.example/about", "country": "de"},
        format="json",
    )

    assert response.status_code == 201, response.json()
    company = Company.objects.get()
    assert (company.name, company.domain, company.country, company.owner) == (
        "Acme",
        "acme.example",
        "DE",
        alice,
    )


def test_a_known_domain_is_refused_with_the_duplicates(api_as, alice):
    existing = CompanyFactory(owner=alice, domain="acme.example")

    refused = api_as(alice).post(
        "/api/companies/", {"name": "Acme 2", "domain": "acme.example"}, format="json"
    )
    forced = api_as(alice).post(
        "/api/companies/",
        {"name": "Acme 2", "domain": "acme.example", "allow_duplicate_domain": True},
        format="json",
    )

    assert refused.status_code == 400
    assert refused.json()["duplicates"] == [existing.pk]
    assert "domain" in refused.json()
    assert forced.status_code == 201


def test_rep_cannot_give_a_company_to_a_teammate(api_as, alice, bob):
    response = api_as(alice).post(
        "/api/companies/", {"name": "Acme", "owner": bob.pk}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()) == ["owner"]


def test_company_edits_follow_visibility(api_as, alice, bob, charlie):
    company = CompanyFactory(owner=alice, name="Acme")
    url = f"/api/companies/{company.pk}/"

    by_owner = api_as(alice).patch(url, {"industry": "Logistics"}, format="json")
    by_teammate = api_as(bob).patch(url, {"name": "Bob's"}, format="json")
    by_outsider = api_as(charlie).patch(url, {"name": "Charlie's"}, format="json")

    assert by_owner.status_code == 200
    assert by_teammate.status_code == 403
    assert by_outsider.status_code == 404
    company.refresh_from_db()
    assert (company.name, company.industry) == ("Acme", "Logistics")


def test_company_read_only_fields_are_ignored(api_as, alice):
    company = CompanyFactory(owner=alice)
    before = Company.objects.values("created_at").get(pk=company.pk)

    response = api_as(alice).patch(
        f"/api/companies/{company.pk}/",
        {"created_at": "2001-01-01T00:00:00Z", "id": company.pk + 100},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["id"] == company.pk
    assert Company.objects.values("created_at").get(pk=company.pk) == before


def test_bad_country_names_the_field(api_as, alice):
    response = api_as(alice).post(
        "/api/companies/", {"name": "Acme", "country": "Germany"}, format="json"
    )

    assert response.status_code == 400
    assert "country" in response.json()
    assert not Company.objects.exists()


# --- contacts -----------------------------------------------------------------------------


def test_rep_adds_a_contact_at_a_visible_company(api_as, alice, bob):
    company = CompanyFactory(owner=bob)

    response = api_as(alice).post(
        "/api/contacts/",
        {"company": company.pk, "first_name": "Jana", "email": "jana@acme.example"},
        format="json",
    )

    assert response.status_code == 201, response.json()
    contact = Contact.objects.get()
    assert (contact.company, contact.owner, contact.email) == (company, alice, "jana@acme.example")


def test_contact_at_another_teams_company_names_company(api_as, alice, charlie):
    company = CompanyFactory(owner=charlie)

    response = api_as(alice).post(
        "/api/contacts/", {"company": company.pk, "first_name": "Jana"}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()) == ["company"]


def test_duplicate_email_at_a_company_names_email(api_as, alice):
    existing = ContactFactory(company__owner=alice, email="jana@acme.example")

    response = api_as(alice).post(
        "/api/contacts/",
        {"company": existing.company_id, "first_name": "J", "email": "JANA@acme.example"},
        format="json",
    )

    assert response.status_code == 400
    assert list(response.json()) == ["email"]


def test_contacts_visibility(api_as, alice, bob, charlie):
    contact = ContactFactory(company__owner=alice)
    url = f"/api/contacts/{contact.pk}/"

    assert api_as(bob).get(url).status_code == 200
    assert api_as(bob).patch(url, {"first_name": "B"}, format="json").status_code == 403
    assert api_as(charlie).get(url).status_code == 404
    assert api_as(charlie).patch(url, {"first_name": "C"}, format="json").status_code == 404
    assert api_as(alice).patch(url, {"job_title": "CTO"}, format="json").status_code == 200


# --- leads --------------------------------------------------------------------------------


def test_managers_see_the_unassigned_queue_reps_do_not(api_as, alice, maria, charlie):
    queued = LeadFactory(owner=None)
    mine = LeadFactory(owner=alice)
    LeadFactory(owner=charlie)

    assert ids(api_as(maria).get("/api/leads/")) == {queued.pk, mine.pk}
    assert ids(api_as(alice).get("/api/leads/")) == {mine.pk}
    assert ids(api_as(maria).get("/api/leads/?is_assigned=false")) == {queued.pk}


def test_rep_creates_a_lead_and_owns_it(api_as, alice):
    response = api_as(alice).post(
        "/api/leads/",
        {"last_name": "Berg", "source": "web", "email": "tom@globex.example"},
        format="json",
    )

    assert response.status_code == 201, response.json()
    lead = Lead.objects.get()
    assert (lead.owner, lead.status, lead.company_domain) == (alice, "new", "globex.example")


def test_a_duplicate_lead_answers_409_with_the_visible_match(api_as, alice, charlie):
    mine = LeadFactory(owner=alice, email="tom@globex.example")
    LeadFactory(owner=charlie, email="TOM@globex.example")
    payload = {"last_name": "Berg", "source": "web", "email": "tom@globex.example"}

    refused = api_as(alice).post("/api/leads/", payload, format="json")
    forced = api_as(alice).post("/api/leads/", {**payload, "allow_duplicate": True}, format="json")

    assert refused.status_code == 409
    assert refused.json()["duplicates"] == [mine.pk]
    assert forced.status_code == 201
    assert forced.json()["duplicate_of"] is not None


def test_lead_status_and_score_cannot_be_set(api_as, alice):
    lead = LeadFactory(owner=alice)

    response = api_as(alice).patch(
        f"/api/leads/{lead.pk}/",
        {"status": "qualified", "score": 100, "contact_attempts": 9, "phone": "+49 1"},
        format="json",
    )

    assert response.status_code == 200
    lead.refresh_from_db()
    assert (lead.status, lead.score, lead.contact_attempts, lead.phone) == ("new", 0, 0, "+49 1")


def test_rep_hands_a_lead_to_a_teammate_but_not_outside(api_as, alice, bob, charlie):
    lead = LeadFactory(owner=alice)
    url = f"/api/leads/{lead.pk}/"

    outside = api_as(alice).patch(url, {"owner": charlie.pk}, format="json")
    teammate = api_as(alice).patch(url, {"owner": bob.pk}, format="json")

    assert outside.status_code == 400
    assert list(outside.json()) == ["owner"]
    assert teammate.status_code == 200
    lead.refresh_from_db()
    assert lead.owner == bob


def test_bad_lead_source_names_the_field(api_as, alice):
    response = api_as(alice).post(
        "/api/leads/", {"last_name": "Berg", "source": "carrier pigeon"}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()) == ["source"]


def test_another_teams_lead_answers_404(api_as, alice, charlie):
    lead = LeadFactory(owner=charlie)

    assert api_as(alice).get(f"/api/leads/{lead.pk}/").status_code == 404
    assert api_as(alice).patch(f"/api/leads/{lead.pk}/", {}, format="json").status_code == 404


def test_owner_disqualifies_a_lead_with_a_reason(api_as, alice):
    lead = LeadFactory(owner=alice)
    url = f"/api/leads/{lead.pk}/disqualify/"

    missing = api_as(alice).post(url, {"reason": " "}, format="json")
    done = api_as(alice).post(url, {"reason": "No budget"}, format="json")

    assert missing.status_code == 400
    assert list(missing.json()) == ["reason"]
    assert done.status_code == 200
    assert (done.json()["status"], done.json()["disqualified_reason"]) == (
        "disqualified",
        "No budget",
    )


def test_disqualifying_follows_visibility(api_as, bob, charlie, alice):
    lead = LeadFactory(owner=alice)
    url = f"/api/leads/{lead.pk}/disqualify/"

    assert api_as(bob).post(url, {"reason": "x"}, format="json").status_code == 403
    assert api_as(charlie).post(url, {"reason": "x"}, format="json").status_code == 404
    lead.refresh_from_db()
    assert lead.status == "new"


def test_answering_criteria_qualifies_a_lead(api_as, alice):
    budget = QualificationCriterionFactory(weight=70)
    authority = QualificationCriterionFactory(weight=30)
    lead = LeadFactory(owner=alice)

    response = api_as(alice).post(
        f"/api/leads/{lead.pk}/qualification/",
        {
            "answers": [
                {"criterion": budget.pk, "is_met": True},
                {"criterion": authority.pk, "is_met": False},
            ]
        },
        format="json",
    )

    assert response.status_code == 200, response.json()
    assert (response.json()["score"], response.json()["status"]) == (70, "qualified")


def test_an_unknown_criterion_names_answers(api_as, alice):
    lead = LeadFactory(owner=alice)

    response = api_as(alice).post(
        f"/api/leads/{lead.pk}/qualification/",
        {"answers": [{"criterion": 999999, "is_met": True}]},
        format="json",
    )

    assert response.status_code == 400
    assert list(response.json()) == ["answers"]


# --- conversion ---------------------------------------------------------------------------


@pytest.fixture
def qualified_lead(alice):
    return LeadFactory(
        owner=alice,
        score=80,
        status="qualified",
        company_name="Globex",
        company_domain="globex.example",
        email="tom@globex.example",
    )


def convert(client, lead, sales, **extra):
    payload = {"pipeline": sales.pipeline.pk, "title": "Globex platform", "value": "30000.00"}
    return client.post(f"/api/leads/{lead.pk}/convert/", {**payload, **extra}, format="json")


def test_owner_converts_a_qualified_lead_into_a_deal(api_as, alice, qualified_lead, sales):
    response = convert(api_as(alice), qualified_lead, sales)

    assert response.status_code == 201, response.json()
    deal = Opportunity.objects.get()
    assert response.json()["id"] == deal.pk
    assert (deal.owner, deal.stage, deal.lead, deal.company.name) == (
        alice,
        sales.qualification,
        qualified_lead,
        "Globex",
    )
    qualified_lead.refresh_from_db()
    assert qualified_lead.status == "converted"


def test_a_lead_below_the_threshold_is_not_converted(api_as, alice, sales):
    lead = LeadFactory(owner=alice, score=10)

    response = convert(api_as(alice), lead, sales)

    assert response.status_code == 400
    assert "non_field_errors" in response.json()
    assert not Opportunity.objects.exists()
    assert not Company.objects.exists()


def test_conversion_names_a_missing_field(api_as, alice, qualified_lead, sales):
    response = api_as(alice).post(
        f"/api/leads/{qualified_lead.pk}/convert/", {"pipeline": sales.pipeline.pk}, format="json"
    )

    assert response.status_code == 400
    assert set(response.json()) == {"title", "value"}


def test_conversion_follows_visibility(api_as, bob, charlie, qualified_lead, sales):
    assert convert(api_as(charlie), qualified_lead, sales).status_code == 404
    assert convert(api_as(bob), qualified_lead, sales).status_code == 403
    assert not Opportunity.objects.exists()
