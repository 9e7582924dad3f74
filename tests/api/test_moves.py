"""Moving deals through the API: the board's rules, races and entry criteria."""

import datetime as dt

import pytest

from pipeline.models import Opportunity, StageChange
from tests.factories import ContactFactory, OpportunityFactory, TaskFactory


@pytest.fixture
def deal(alice, sales):
    return OpportunityFactory(owner=alice, stage=sales.qualification)


def move_url(deal, action="move"):
    return f"/api/opportunities/{deal.pk}/{action}/"


def test_owner_moves_a_deal_and_the_move_is_recorded(api_as, alice, deal, sales):
    sales.proposal.entry_fields = []
    sales.proposal.entry_checklist = []
    sales.proposal.save()

    response = api_as(alice).post(
        move_url(deal), {"stage": sales.proposal.pk, "version": 1}, format="json"
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["stage"], body["stage_name"], body["version"]) == (
        sales.proposal.pk,
        "Proposal",
        2,
    )
    change = StageChange.objects.get(opportunity=deal)
    assert (change.from_stage, change.to_stage, change.by) == (
        sales.qualification,
        sales.proposal,
        alice,
    )


def test_a_lost_race_answers_409_with_where_the_deal_is(api_as, alice, maria, deal, sales):
    # Given Maria moved the deal to Won at version 1
    api_as(maria).post(move_url(deal, "won"), {"version": 1}, format="json")

    # When Alice moves it from the version she read before
    response = api_as(alice).post(
        move_url(deal), {"stage": sales.lost.pk, "version": 1, "lost_reason": "x"}, format="json"
    )

    # Then nothing is written and she is told where it is now
    assert response.status_code == 409
    body = response.json()
    assert body["current"]["stage"] == sales.won.pk
    assert body["current"]["stage_name"] == "Won"
    assert body["current"]["version"] == 2
    assert body["current"]["updated_by"] == maria.pk
    assert str(maria) in body["detail"]
    deal.refresh_from_db()
    assert (deal.stage, deal.status) == (sales.won, "won")


def test_unmet_entry_criteria_answer_400_naming_each(api_as, alice, deal, sales):
    response = api_as(alice).post(
        move_url(deal), {"stage": sales.proposal.pk, "version": 1}, format="json"
    )

    assert response.status_code == 400
    body = response.json()
    assert body["stage"] == sales.proposal.pk
    assert body["missing_fields"] == ["expected_close_date"]
    assert body["missing_checklist"] == ["Budget confirmed"]
    assert "Budget confirmed" in body["detail"]
    deal.refresh_from_db()
    assert (deal.stage, deal.version) == (sales.qualification, 1)


def test_a_move_fills_in_what_the_stage_requires(api_as, alice, deal, sales):
    response = api_as(alice).post(
        move_url(deal),
        {
            "stage": sales.proposal.pk,
            "version": 1,
            "expected_close_date": "2027-02-28",
            "checklist_done": ["Budget confirmed"],
        },
        format="json",
    )

    assert response.status_code == 200, response.json()
    deal.refresh_from_db()
    assert deal.stage == sales.proposal
    assert deal.expected_close_date == dt.date(2027, 2, 28)
    assert deal.checklist_done == ["Budget confirmed"]


def test_a_next_task_requirement_is_named(api_as, alice, deal, sales):
    sales.proposal.entry_fields = ["next_task"]
    sales.proposal.entry_checklist = []
    sales.proposal.save()

    refused = api_as(alice).post(
        move_url(deal), {"stage": sales.proposal.pk, "version": 1}, format="json"
    )
    TaskFactory(opportunity=deal)
    accepted = api_as(alice).post(
        move_url(deal), {"stage": sales.proposal.pk, "version": 1}, format="json"
    )

    assert refused.status_code == 400
    assert refused.json()["missing_fields"] == ["next_task"]
    assert accepted.status_code == 200


def test_a_stage_of_another_pipeline_is_refused_naming_stage(api_as, alice, deal):
    foreign = OpportunityFactory().stage

    response = api_as(alice).post(
        move_url(deal), {"stage": foreign.pk, "version": 1}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()) == ["stage"]


def test_a_contact_of_another_company_is_refused_naming_contact(api_as, alice, deal, sales):
    stranger = ContactFactory(company__owner=alice)

    response = api_as(alice).post(
        move_url(deal),
        {"stage": sales.qualification.pk, "version": 1, "contact": stranger.pk},
        format="json",
    )

    assert response.status_code == 400
    assert list(response.json()) == ["contact"]


@pytest.mark.parametrize(
    "payload",
    [{}, {"stage": 1}, {"version": 1}, {"stage": "x", "version": 1}, {"stage": 1, "version": 0}],
)
def test_a_malformed_move_names_the_field(api_as, alice, deal, payload):
    response = api_as(alice).post(move_url(deal), payload, format="json")

    assert response.status_code == 400
    assert set(response.json()) & {"stage", "version"}


def test_a_move_within_the_column_uses_the_position_hint(api_as, alice, deal, sales):
    first = OpportunityFactory(owner=alice, stage=sales.qualification, position=1000)
    second = OpportunityFactory(owner=alice, stage=sales.qualification, position=3000)

    response = api_as(alice).post(
        move_url(deal),
        {"stage": sales.qualification.pk, "version": 1, "after": first.pk, "before": second.pk},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["position"] == 2000
    assert not StageChange.objects.filter(opportunity=deal).exists()


def test_teammate_may_not_move_a_deal_403(api_as, bob, deal, sales):
    response = api_as(bob).post(
        move_url(deal), {"stage": sales.lost.pk, "version": 1, "lost_reason": "x"}, format="json"
    )

    assert response.status_code == 403
    deal.refresh_from_db()
    assert deal.stage == sales.qualification


def test_manager_moves_their_reps_deal(api_as, maria, deal, sales):
    response = api_as(maria).post(move_url(deal, "won"), {"version": 1}, format="json")

    assert response.status_code == 200
    assert response.json()["status"] == "won"


def test_won_closes_the_deal_in_the_won_stage(api_as, alice, deal, sales):
    response = api_as(alice).post(move_url(deal, "won"), {"version": 1}, format="json")

    assert response.status_code == 200
    deal.refresh_from_db()
    assert (deal.stage, deal.status, deal.forecast_category) == (sales.won, "won", "closed")
    assert deal.closed_at is not None


def test_won_checks_the_won_stages_criteria(api_as, alice, deal, sales):
    sales.won.entry_fields = ["contact"]
    sales.won.save()

    response = api_as(alice).post(move_url(deal, "won"), {"version": 1}, format="json")

    assert response.status_code == 400
    assert response.json()["missing_fields"] == ["contact"]


def test_lost_needs_a_reason(api_as, alice, deal):
    missing = api_as(alice).post(move_url(deal, "lost"), {"version": 1}, format="json")
    blank = api_as(alice).post(
        move_url(deal, "lost"), {"version": 1, "lost_reason": "  "}, format="json"
    )

    assert missing.status_code == 400
    assert list(missing.json()) == ["lost_reason"]
    assert blank.status_code == 400
    assert list(blank.json()) == ["lost_reason"]
    deal.refresh_from_db()
    assert deal.status == "open"


def test_moving_to_the_lost_stage_without_a_reason_names_lost_reason(api_as, alice, deal, sales):
    response = api_as(alice).post(
        move_url(deal), {"stage": sales.lost.pk, "version": 1}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()) == ["lost_reason"]


def test_lost_records_the_reason_whatever_the_criteria(api_as, alice, deal, sales):
    response = api_as(alice).post(
        move_url(deal, "lost"), {"version": 1, "lost_reason": "Chose a competitor"}, format="json"
    )

    assert response.status_code == 200
    deal.refresh_from_db()
    assert (deal.stage, deal.status, deal.lost_reason) == (
        sales.lost,
        "lost",
        "Chose a competitor",
    )


def test_a_stale_version_on_won_answers_409(api_as, alice, deal):
    Opportunity.objects.filter(pk=deal.pk).update(version=3)

    response = api_as(alice).post(move_url(deal, "won"), {"version": 2}, format="json")

    assert response.status_code == 409
    assert response.json()["current"]["version"] == 3
