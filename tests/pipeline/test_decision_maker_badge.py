"""The card badge "No decision maker": an open deal past the middle of its pipeline with
nobody on its buying team who decides."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from pipeline.board import board_card
from pipeline.models import BuyingRole, DealContact, Opportunity, StageKind
from tests.factories import (
    CompanyFactory,
    ContactFactory,
    DealContactFactory,
    OpportunityFactory,
    PipelineFactory,
    StageFactory,
)
from tests.html import elements

# As tests/pipeline/test_views.py: the badge is annotated into the card query.
BOARD_QUERIES = 9


@pytest.fixture
def stages(db):
    """Four open stages (the middle lies between the second and third), won and lost."""
    pipeline = PipelineFactory(name="New business")
    names = ["Lead", "Qualified", "Proposal", "Negotiation"]
    stages = {
        name: StageFactory(pipeline=pipeline, name=name, position=index)
        for index, name in enumerate(names, start=1)
    }
    stages["Won"] = StageFactory(
        pipeline=pipeline, name="Won", position=5, probability=100, kind=StageKind.WON
    )
    stages["Lost"] = StageFactory(
        pipeline=pipeline, name="Lost", position=6, probability=0, kind=StageKind.LOST
    )
    return stages


def badge(user, deal):
    return board_card(user, deal.pk, timezone.now()).lacks_decision_maker


@pytest.mark.parametrize(
    ("stage", "shown"),
    [("Lead", False), ("Qualified", False), ("Proposal", True), ("Negotiation", True)],
)
def test_shown_past_the_middle_of_the_open_stages(alice, stages, stage, shown):
    deal = OpportunityFactory(owner=alice, stage=stages[stage])

    assert badge(alice, deal) is shown


def test_with_five_open_stages_the_middle_one_is_not_past_it(alice, stages):
    extra = StageFactory(pipeline=stages["Lead"].pipeline, name="Contract", position=4)
    middle = OpportunityFactory(owner=alice, stage=stages["Proposal"])
    fourth = OpportunityFactory(owner=alice, stage=extra)

    assert (badge(alice, middle), badge(alice, fourth)) == (False, True)


def test_an_archived_stage_does_not_count(alice, stages):
    stages["Lead"].archived_at = timezone.now()
    stages["Lead"].save()
    # Three open stages left: Qualified, Proposal, Negotiation; Proposal is the middle.
    deal = OpportunityFactory(owner=alice, stage=stages["Proposal"])

    assert badge(alice, deal) is False


def test_someone_who_decides_takes_it_away(alice, stages):
    deal = OpportunityFactory(owner=alice, stage=stages["Negotiation"])
    DealContactFactory(opportunity=deal, role=BuyingRole.objects.get(name="Champion"))
    assert badge(alice, deal) is True

    DealContactFactory(opportunity=deal, role=BuyingRole.objects.get(name="Economic buyer"))

    assert badge(alice, deal) is False


def test_closed_deals_never_show_it(alice, stages):
    deal = OpportunityFactory(
        owner=alice, stage=stages["Won"], status="won", closed_at=timezone.now()
    )

    assert badge(alice, deal) is False


def test_the_board_shows_it_on_the_card(client, alice, stages):
    without = OpportunityFactory(owner=alice, stage=stages["Negotiation"], title="Bare")
    decided = OpportunityFactory(owner=alice, stage=stages["Negotiation"], title="Decided")
    DealContactFactory(opportunity=decided, role=BuyingRole.objects.get(name="Decision maker"))
    client.force_login(alice)

    response = client.get(reverse("pipeline:board", args=[stages["Lead"].pipeline_id]))

    (badge_element,) = elements(response.content, "span", class_="badge-no-decider")
    assert badge_element.text == "No decision maker"
    (card,) = elements(response.content, "li", id=f"deal-{without.pk}")
    assert "No decision maker" in card.text


def add_deals(stages, owner, rows):
    """``rows`` open deals in every open stage, half of them with someone who decides."""
    company = CompanyFactory(owner=owner)
    start = Opportunity.objects.count()
    open_stages = [stages[name] for name in ("Lead", "Qualified", "Proposal", "Negotiation")]
    deals = Opportunity.objects.bulk_create(
        Opportunity(
            title=f"Bulk {start + index}",
            company=company,
            owner=owner,
            pipeline=stages["Lead"].pipeline,
            stage=open_stages[index % 4],
            value=Decimal("10.00"),
            currency="EUR",
            position=(start + index + 1) * 65536,
        )
        for index in range(rows)
    )
    contact = ContactFactory(company=company)
    decider = BuyingRole.objects.get(name="Decision maker")
    DealContact.objects.bulk_create(
        DealContact(opportunity=deal, contact=contact, role=decider) for deal in deals[::2]
    )


def test_board_query_count_is_the_same_for_10_and_1000_deals(
    client, alice, stages, django_assert_num_queries
):
    client.force_login(alice)
    url = reverse("pipeline:board", args=[stages["Lead"].pipeline_id])
    add_deals(stages, alice, 10)
    with django_assert_num_queries(BOARD_QUERIES):
        small = client.get(url)
    add_deals(stages, alice, 990)
    with django_assert_num_queries(BOARD_QUERIES):
        large = client.get(url)

    small_badges = elements(small.content, "span", class_="badge-no-decider")
    large_badges = elements(large.content, "span", class_="badge-no-decider")
    # Of ten deals, the five without a decider, and past the middle: two or three.
    assert 0 < len(small_badges) < len(large_badges)
