"""The board's small endpoints: one card and a column's next cards (polling for changes
is in test_board_changes)."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from pipeline.board import CARDS_PER_COLUMN
from pipeline.models import POSITION_GAP, Opportunity, OpportunityStatus, StageKind
from tests.factories import (
    CompanyFactory,
    OpportunityFactory,
    PipelineFactory,
    StageFactory,
    TaskFactory,
)

HTMX = {"HX-Request": "true"}

# session, user, the card (company, owner, stage joined; next task as a subquery), stages.
CARD_QUERIES = 4
# session, user, the pipeline's stages, one keyset page of cards.
COLUMN_PAGE_QUERIES = 4

# Who sees a deal of alice's (team North): the owner, her teammate, her manager and an
# admin; not another team's rep or manager.
VISIBILITY = [
    ("alice", True),
    ("bob", True),
    ("maria", True),
    ("charlie", False),
    ("sam", False),
    ("ada", True),
]


@pytest.fixture
def stages(db):
    pipeline = PipelineFactory(name="New business")
    return {
        "qualification": StageFactory(
            pipeline=pipeline, name="Qualification", position=1, probability=20
        ),
        "proposal": StageFactory(pipeline=pipeline, name="Proposal", position=2, probability=60),
        "won": StageFactory(
            pipeline=pipeline, name="Won", position=3, probability=100, kind=StageKind.WON
        ),
    }


def card_url(deal, query=""):
    url = reverse("pipeline:card", args=[deal.pk])
    return f"{url}?{query}" if query else url


def column_url(stage, after="", query=""):
    url = reverse("pipeline:board_column", args=[stage.pipeline_id, stage.pk])
    params = "&".join(part for part in (f"after={after}" if after else "", query) if part)
    return f"{url}?{params}" if params else url


def card_ids(response):
    """Card ids in the order the fragment lists them (fragments carry no test context)."""
    return [
        int(pk)
        for pk in re.findall(
            r'<li class="deal-card[^"]*"\s+id="deal-(\d+)"', response.content.decode()
        )
    ]


def next_cursor(response):
    found = re.search(r"\?after=(\d+_\d+)", response.content.decode())
    return found.group(1) if found else None


def bulk_column(stage, owner, count, start=1):
    company = CompanyFactory(owner=owner)
    return Opportunity.objects.bulk_create(
        Opportunity(
            title=f"Deal {n:05d}",
            company=company,
            owner=owner,
            pipeline=stage.pipeline,
            stage=stage,
            value=Decimal("100.00"),
            position=n * POSITION_GAP,
        )
        for n in range(start, start + count)
    )


# --- One card -------------------------------------------------------------------------------


@pytest.mark.parametrize(("viewer", "sees"), VISIBILITY)
def test_card_endpoint_answers_visible_deals_only(client, request, alice, stages, viewer, sees):
    deal = OpportunityFactory(owner=alice, stage=stages["qualification"], title="Rollout")
    client.force_login(request.getfixturevalue(viewer))

    response = client.get(card_url(deal), headers=HTMX)

    assert response.status_code == (200 if sees else 404)
    if sees:
        content = response.content.decode()
        assert content.lstrip().startswith('<li class="deal-card"')
        assert f'id="deal-{deal.pk}"' in content
        assert "Rollout" in content


def test_card_endpoint_shows_the_latest_version_and_next_task(
    client, alice, stages, django_assert_num_queries
):
    deal = OpportunityFactory(owner=alice, stage=stages["qualification"], version=4)
    TaskFactory(opportunity=deal, due_at=timezone.now() - dt.timedelta(hours=2))
    client.force_login(alice)

    with django_assert_num_queries(CARD_QUERIES):
        response = client.get(card_url(deal, "owner=me"), headers=HTMX)

    content = response.content.decode()
    assert 'data-version="4"' in content
    assert "Task overdue" in content
    # The card's "Move to" keeps the board's filters.
    assert f"{reverse('pipeline:move', args=[deal.pk])}?owner=me" in content


def test_anonymous_card_request_is_sent_to_login(client, alice, stages):
    deal = OpportunityFactory(owner=alice, stage=stages["qualification"])

    assert client.get(card_url(deal)).status_code == 302
    assert client.get(card_url(deal), headers=HTMX).status_code == 401


# --- A column's next cards ("Load more") ----------------------------------------------------


def test_load_more_walks_a_long_column_without_gaps_or_repeats(client, alice, stages):
    # Given a column of six pages of cards, the last one short
    stage = stages["qualification"]
    deals = bulk_column(stage, alice, CARDS_PER_COLUMN * 5 + 3)
    client.force_login(alice)

    # When the board shows its first page and "Load more" is pressed until the end
    board = client.get(reverse("pipeline:board", args=[stage.pipeline_id]))
    [column] = [c for c in board.context["columns"] if c.stage == stage]
    seen = [card.pk for card in column.cards]
    cursor = column.next_cursor
    pages = 0
    while cursor:
        response = client.get(column_url(stage, after=cursor), headers=HTMX)
        assert response.status_code == 200
        seen += card_ids(response)
        cursor = next_cursor(response)
        pages += 1

    # Then every deal came once, in board order, in five more pages
    assert seen == [deal.pk for deal in deals]
    assert pages == 5


def test_column_page_renders_cards_and_the_next_load_more_out_of_band(client, alice, stages):
    stage = stages["qualification"]
    deals = bulk_column(stage, alice, CARDS_PER_COLUMN + 2)
    client.force_login(alice)
    first_page_end = deals[CARDS_PER_COLUMN - 1]

    response = client.get(
        column_url(stage, after=f"{first_page_end.position}_{first_page_end.pk}"), headers=HTMX
    )

    content = response.content.decode()
    assert content.count('<li class="deal-card"') == 2
    assert f'id="column-{stage.pk}-more" hx-swap-oob="true"' in content
    assert "Load more" not in content  # the column ends here


def test_column_page_applies_the_filters(client, alice, bob, stages):
    stage = stages["qualification"]
    OpportunityFactory(owner=alice, stage=stage, title="Mine", position=1)
    OpportunityFactory(owner=bob, stage=stage, title="Bob's", position=2)
    client.force_login(alice)

    response = client.get(column_url(stage, query="owner=me"), headers=HTMX)

    content = response.content.decode()
    assert "Mine" in content
    assert "Bob&#x27;s" not in content


def test_closed_column_pages_go_from_the_newest_outcome_back(client, alice, stages):
    now = timezone.now()
    won = [
        OpportunityFactory(
            owner=alice,
            stage=stages["won"],
            status=OpportunityStatus.WON,
            closed_at=now - dt.timedelta(hours=hours),
        )
        for hours in range(CARDS_PER_COLUMN + 3)
    ]
    client.force_login(alice)
    board = client.get(reverse("pipeline:board", args=[stages["won"].pipeline_id]))
    [column] = [c for c in board.context["columns"] if c.stage == stages["won"]]

    response = client.get(column_url(stages["won"], after=column.next_cursor), headers=HTMX)

    assert [card.pk for card in column.cards] == [deal.pk for deal in won[:CARDS_PER_COLUMN]]
    assert card_ids(response) == [deal.pk for deal in won[CARDS_PER_COLUMN:]]


@pytest.mark.parametrize(("viewer", "sees"), VISIBILITY)
def test_column_page_shows_only_visible_deals(client, request, alice, stages, viewer, sees):
    OpportunityFactory(owner=alice, stage=stages["qualification"], title="Alice's deal")
    client.force_login(request.getfixturevalue(viewer))

    response = client.get(column_url(stages["qualification"]), headers=HTMX)

    assert response.status_code == 200
    assert ("Alice&#x27;s deal" in response.content.decode()) is sees


def test_column_of_another_pipeline_or_unknown_stage_is_404(client, alice, stages):
    client.force_login(alice)
    elsewhere = StageFactory(name="Elsewhere")
    url = reverse("pipeline:board_column", args=[stages["won"].pipeline_id, elsewhere.pk])

    assert client.get(url, headers=HTMX).status_code == 404


def test_column_page_query_count_does_not_grow_with_the_column(
    client, alice, stages, django_assert_num_queries
):
    stage = stages["qualification"]
    deals = bulk_column(stage, alice, 60)
    client.force_login(alice)
    cursor = f"{deals[0].position}_{deals[0].pk}"

    with django_assert_num_queries(COLUMN_PAGE_QUERIES):
        client.get(column_url(stage, after=cursor), headers=HTMX)

    bulk_column(stage, alice, 2000, start=100)
    with django_assert_num_queries(COLUMN_PAGE_QUERIES):
        response = client.get(column_url(stage, after=cursor), headers=HTMX)
    assert len(card_ids(response)) == CARDS_PER_COLUMN
