"""The entry criterion "a decision maker on the buying team"."""

from decimal import Decimal

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from pipeline.criteria import missing_entry_criteria
from pipeline.models import BuyingRole, EntryField, Opportunity, StageKind
from pipeline.services import EntryCriteriaNotMet, move_opportunity
from tests.factories import (
    DealContactFactory,
    OpportunityFactory,
    PipelineFactory,
    StageFactory,
)
from tests.html import elements

HTMX = {"HX-Request": "true"}
LABEL = "A decision maker on the buying team"


@pytest.fixture
def negotiation(db):
    pipeline = PipelineFactory()
    StageFactory(pipeline=pipeline, name="Proposal", position=1)
    return StageFactory(
        pipeline=pipeline,
        name="Negotiation",
        position=2,
        entry_fields=[EntryField.DECISION_MAKER],
    )


@pytest.fixture
def deal(alice, negotiation):
    proposal = negotiation.pipeline.stages.get(name="Proposal")
    return OpportunityFactory(owner=alice, stage=proposal, value=Decimal("100"))


def test_a_deal_with_nobody_who_decides_misses_it(deal, negotiation, django_assert_num_queries):
    DealContactFactory(opportunity=deal, role=BuyingRole.objects.get(name="Champion"))

    # The buying team, and the custom fields the pipeline requires (none here).
    with django_assert_num_queries(2):
        assert missing_entry_criteria(deal, negotiation) == [LABEL]


@pytest.mark.parametrize("role", ["Decision maker", "Economic buyer"])
def test_a_member_whose_role_decides_meets_it(deal, negotiation, role):
    DealContactFactory(opportunity=deal, role=BuyingRole.objects.get(name=role))

    assert missing_entry_criteria(deal, negotiation) == []


def test_a_role_marked_deciding_later_counts(deal, negotiation):
    user_role = BuyingRole.objects.get(name="User")
    DealContactFactory(opportunity=deal, role=user_role)
    BuyingRole.objects.filter(pk=user_role.pk).update(decides=True)

    assert missing_entry_criteria(deal, negotiation) == []


def test_a_stage_that_does_not_ask_reads_no_buying_team(deal, django_assert_num_queries):
    stage = StageFactory(pipeline=deal.pipeline, position=3)

    # Only the custom fields the pipeline requires.
    with django_assert_num_queries(1):
        assert missing_entry_criteria(deal, stage) == []


def test_the_move_is_refused_and_nothing_moves(alice, deal, negotiation):
    with pytest.raises(EntryCriteriaNotMet) as refused:
        move_opportunity(
            opportunity_id=deal.pk, by=alice, to_stage_id=negotiation.pk, version=deal.version
        )

    assert refused.value.missing == [LABEL]
    assert Opportunity.objects.get(pk=deal.pk).stage_id == deal.stage_id


def test_losing_is_never_blocked_by_it(alice, deal):
    lost = StageFactory(
        pipeline=deal.pipeline,
        position=9,
        kind=StageKind.LOST,
        probability=0,
        entry_fields=[EntryField.DECISION_MAKER],
    )

    assert missing_entry_criteria(deal, lost) == []


def test_the_boards_move_dialog_lists_it_and_sends_the_rep_to_the_panel(
    client, alice, deal, negotiation
):
    client.force_login(alice)

    response = client.post(
        reverse("pipeline:move", args=[deal.pk]),
        {"stage": negotiation.pk, "version": deal.version, "from_stage": deal.stage_id},
        headers=HTMX,
    )

    assert response.status_code == 422
    (missing,) = elements(response.content, "div", id="board-dialog-missing")
    assert LABEL in missing.text
    (advice,) = elements(response.content, "p", id="board-dialog-decision-maker")
    (link,) = [link for link in elements(response.content, "a") if link.text == "Open the deal"]
    assert link.attrs["href"] == reverse("pipeline:deal_detail", args=[deal.pk])
    assert "decides" in advice.text


def test_admins_can_ask_for_it_in_the_stage_settings(client, ada, negotiation):
    client.force_login(ada)

    response = client.get(reverse("pipeline:pipeline_settings", args=[negotiation.pipeline_id]))

    # The new stage's form offers it; the stage that asks for it shows it among its criteria.
    (box,) = elements(response.content, "input", value=EntryField.DECISION_MAKER)
    assert box.attrs["name"] == "new-stage-entry_fields"
    badges = [badge.text for badge in elements(response.content, "span", class_="badge")]
    assert badges.count(LABEL) == 1


def test_the_api_names_it_among_the_missing_fields(alice, deal, negotiation):
    api = APIClient()
    api.force_authenticate(alice)

    response = api.post(
        f"/api/opportunities/{deal.pk}/move/",
        {"stage": negotiation.pk, "version": deal.version},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["missing_fields"] == ["decision_maker"]
