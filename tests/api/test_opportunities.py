"""Deals through the API: who sees and changes which, edits, and read-only fields."""

import datetime as dt
from decimal import Decimal

import pytest

from pipeline.models import Opportunity, StageChange
from tests.factories import CompanyFactory, ContactFactory, OpportunityFactory, StageFactory


def ids(response):
    return {row["id"] for row in response.json()["results"]}


@pytest.fixture
def deals(alice, bob, charlie, sales):
    """One deal each for Alice and Bob (North) and Charlie (South)."""
    return {
        user.username: OpportunityFactory(owner=user, stage=sales.qualification)
        for user in (alice, bob, charlie)
    }


@pytest.mark.parametrize(
    ("username", "expected"),
    [
        ("alice", {"alice", "bob"}),
        ("maria", {"alice", "bob"}),
        ("charlie", {"charlie"}),
        ("sam", {"charlie"}),
        ("ada", {"alice", "bob", "charlie"}),
    ],
)
def test_list_shows_the_deals_each_role_may_see(request, api_as, deals, username, expected):
    user = request.getfixturevalue(username)

    response = api_as(user).get("/api/opportunities/")

    assert response.status_code == 200
    assert ids(response) == {deals[name].pk for name in expected}


def test_another_teams_deal_answers_404_to_every_method(api_as, charlie, deals):
    url = f"/api/opportunities/{deals['alice'].pk}/"
    client = api_as(charlie)

    assert client.get(url).status_code == 404
    assert client.patch(url, {"title": "Mine now"}, format="json").status_code == 404
    for action in ("move", "won", "lost"):
        response = client.post(
            f"{url}{action}/",
            {"stage": deals["alice"].stage_id, "version": 1, "lost_reason": "x"},
            format="json",
        )
        assert response.status_code == 404, action
    deals["alice"].refresh_from_db()
    assert deals["alice"].title != "Mine now"
    assert deals["alice"].version == 1


def test_signed_out_client_gets_401(api_client, deals):
    response = api_client.get("/api/opportunities/")

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_delete_and_put_are_not_offered(api_as, alice, deals):
    url = f"/api/opportunities/{deals['alice'].pk}/"

    assert api_as(alice).delete(url).status_code == 405
    assert api_as(alice).put(url, {"title": "x"}, format="json").status_code == 405
    assert Opportunity.objects.filter(pk=deals["alice"].pk).exists()


# --- create -------------------------------------------------------------------------------


def test_rep_creates_a_deal_in_the_first_open_stage(api_as, alice, sales):
    company = CompanyFactory(owner=alice)

    response = api_as(alice).post(
        "/api/opportunities/",
        {
            "title": "Acme renewal",
            "company": company.pk,
            "pipeline": sales.pipeline.pk,
            "value": "48000.00",
            "currency": "EUR",
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    deal = Opportunity.objects.get(pk=response.json()["id"])
    assert (deal.title, deal.owner, deal.stage, deal.value) == (
        "Acme renewal",
        alice,
        sales.qualification,
        Decimal("48000.00"),
    )
    assert deal.created_by == alice
    assert StageChange.objects.filter(opportunity=deal, from_stage=None).count() == 1


def test_rep_cannot_give_a_new_deal_to_a_teammate(api_as, alice, bob, sales):
    company = CompanyFactory(owner=alice)

    response = api_as(alice).post(
        "/api/opportunities/",
        {"title": "For Bob", "company": company.pk, "pipeline": sales.pipeline.pk, "owner": bob.pk},
        format="json",
    )

    assert response.status_code == 400
    assert "owner" in response.json()
    assert not Opportunity.objects.filter(title="For Bob").exists()


def test_manager_gives_a_new_deal_to_a_rep_of_their_team(api_as, maria, bob, sales):
    company = CompanyFactory(owner=bob)

    response = api_as(maria).post(
        "/api/opportunities/",
        {"title": "For Bob", "company": company.pk, "pipeline": sales.pipeline.pk, "owner": bob.pk},
        format="json",
    )

    assert response.status_code == 201, response.json()
    assert Opportunity.objects.get(title="For Bob").owner == bob


def test_manager_cannot_give_a_deal_to_another_teams_rep(api_as, maria, charlie, sales):
    company = CompanyFactory(owner=maria)

    response = api_as(maria).post(
        "/api/opportunities/",
        {
            "title": "South",
            "company": company.pk,
            "pipeline": sales.pipeline.pk,
            "owner": charlie.pk,
        },
        format="json",
    )

    assert response.status_code == 400
    assert "owner" in response.json()


def test_create_refuses_a_company_of_another_team_naming_the_field(api_as, alice, charlie, sales):
    company = CompanyFactory(owner=charlie)

    response = api_as(alice).post(
        "/api/opportunities/",
        {"title": "Poach", "company": company.pk, "pipeline": sales.pipeline.pk},
        format="json",
    )

    assert response.status_code == 400
    assert list(response.json()) == ["company"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", ""),
        ("value", "-1.00"),
        ("currency", "euro"),
        ("expected_close_date", "next week"),
        ("pipeline", 999999),
    ],
)
def test_create_names_the_bad_field(api_as, alice, sales, field, value):
    company = CompanyFactory(owner=alice)
    payload = {"title": "Deal", "company": company.pk, "pipeline": sales.pipeline.pk}

    response = api_as(alice).post("/api/opportunities/", {**payload, field: value}, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert not Opportunity.objects.exists()


def test_create_refuses_a_closed_stage_naming_it(api_as, alice, sales):
    company = CompanyFactory(owner=alice)

    response = api_as(alice).post(
        "/api/opportunities/",
        {
            "title": "Deal",
            "company": company.pk,
            "pipeline": sales.pipeline.pk,
            "stage": sales.won.pk,
        },
        format="json",
    )

    assert response.status_code == 400
    assert "stage" in response.json()


def test_create_ignores_read_only_fields(api_as, alice, bob, sales):
    company = CompanyFactory(owner=alice)

    response = api_as(alice).post(
        "/api/opportunities/",
        {
            "title": "Deal",
            "company": company.pk,
            "pipeline": sales.pipeline.pk,
            "version": 42,
            "status": "won",
            "position": 7,
            "created_by": bob.pk,
            "stage_entered_at": "2020-01-01T00:00:00Z",
            "stale_since": "2020-01-01",
        },
        format="json",
    )

    assert response.status_code == 201
    deal = Opportunity.objects.get()
    assert deal.version == 1
    assert deal.status == "open"
    assert deal.created_by == alice
    assert deal.stale_since is None
    assert deal.stage_entered_at.year >= 2026


# --- edit ---------------------------------------------------------------------------------


def test_owner_edits_a_deal_and_the_version_goes_up(api_as, alice, deals):
    deal = deals["alice"]

    response = api_as(alice).patch(
        f"/api/opportunities/{deal.pk}/",
        {"value": "52000.00", "expected_close_date": "2027-01-31"},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["version"] == 2
    deal.refresh_from_db()
    assert deal.value == Decimal("52000.00")
    assert deal.expected_close_date == dt.date(2027, 1, 31)
    assert deal.updated_by == alice


def test_edit_ignores_read_only_fields(api_as, alice, bob, deals, sales):
    deal = deals["alice"]
    before = Opportunity.objects.values().get(pk=deal.pk)

    response = api_as(alice).patch(
        f"/api/opportunities/{deal.pk}/",
        {
            "version": 99,
            "stage": sales.won.pk,
            "pipeline": StageFactory().pipeline_id,
            "status": "won",
            "position": 1,
            "stage_entered_at": "2020-01-01T00:00:00Z",
            "stale_since": "2020-01-01",
            "created_by": bob.pk,
            "closed_at": "2020-01-01T00:00:00Z",
            "lost_reason": "no",
        },
        format="json",
    )

    assert response.status_code == 200
    after = Opportunity.objects.values().get(pk=deal.pk)
    assert after == before


def test_teammate_may_read_but_not_edit(api_as, bob, deals):
    url = f"/api/opportunities/{deals['alice'].pk}/"

    assert api_as(bob).get(url).status_code == 200
    response = api_as(bob).patch(url, {"title": "Bob's now"}, format="json")

    assert response.status_code == 403
    deals["alice"].refresh_from_db()
    assert deals["alice"].title != "Bob's now"


def test_manager_edits_their_reps_deal(api_as, maria, deals):
    response = api_as(maria).patch(
        f"/api/opportunities/{deals['alice'].pk}/", {"title": "Renamed"}, format="json"
    )

    assert response.status_code == 200
    deals["alice"].refresh_from_db()
    assert deals["alice"].title == "Renamed"


def test_rep_cannot_hand_their_deal_to_a_teammate(api_as, alice, bob, deals):
    response = api_as(alice).patch(
        f"/api/opportunities/{deals['alice'].pk}/", {"owner": bob.pk}, format="json"
    )

    assert response.status_code == 400
    assert "owner" in response.json()
    deals["alice"].refresh_from_db()
    assert deals["alice"].owner.username == "alice"


def test_edit_refuses_a_contact_of_another_company(api_as, alice, deals):
    other = ContactFactory(company__owner=alice)

    response = api_as(alice).patch(
        f"/api/opportunities/{deals['alice'].pk}/", {"contact": other.pk}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()) == ["contact"]


def test_edit_names_a_bad_currency(api_as, alice, deals):
    response = api_as(alice).patch(
        f"/api/opportunities/{deals['alice'].pk}/", {"currency": "eur"}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()) == ["currency"]


def test_a_taken_external_id_names_the_field(api_as, alice, deals, sales):
    OpportunityFactory(owner=alice, stage=sales.qualification, external_id="crm-1")

    response = api_as(alice).patch(
        f"/api/opportunities/{deals['alice'].pk}/", {"external_id": "crm-1"}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()) == ["external_id"]


def test_create_with_a_contact_and_no_company_takes_the_contacts_company(api_as, alice, sales):
    contact = ContactFactory(company=CompanyFactory(owner=alice), owner=alice)

    response = api_as(alice).post(
        "/api/opportunities/",
        {
            "title": "Consumer deal",
            "contact": contact.pk,
            "pipeline": sales.pipeline.pk,
            "forecast_category": "best_case",
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["company"], body["contact"], body["forecast_category"]) == (
        contact.company_id,
        contact.pk,
        "best_case",
    )


def test_create_without_company_or_contact_names_company(api_as, alice, sales):
    response = api_as(alice).post(
        "/api/opportunities/", {"title": "Nobody", "pipeline": sales.pipeline.pk}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()) == ["company"]
    assert not Opportunity.objects.exists()


def test_create_into_a_stage_whose_criteria_are_unmet_lists_them(api_as, alice, sales):
    sales.qualification.entry_fields = ["value"]
    sales.qualification.save()

    response = api_as(alice).post(
        "/api/opportunities/",
        {
            "title": "Deal",
            "company": CompanyFactory(owner=alice).pk,
            "pipeline": sales.pipeline.pk,
            "stage": sales.qualification.pk,
        },
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["missing_fields"] == ["value"]
    assert not Opportunity.objects.exists()
