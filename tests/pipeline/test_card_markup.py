"""The board card's HTML: what it shows of a deal, escaped, with a "Move to" menu that
offers every other stage and keeps the board's filters."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from pipeline.models import OpportunityStatus, StageKind
from tests.factories import CompanyFactory, OpportunityFactory, PipelineFactory, StageFactory


@pytest.fixture
def stages(db):
    pipeline = PipelineFactory(name="New business")
    return {
        "qualification": StageFactory(pipeline=pipeline, name="Qualification", position=1),
        "proposal": StageFactory(pipeline=pipeline, name="Proposal & terms", position=2),
        "lost": StageFactory(
            pipeline=pipeline, name="Lost", position=3, probability=0, kind=StageKind.LOST
        ),
    }


def card_html(client, user, deal, query=""):
    client.force_login(user)
    url = reverse("pipeline:board", args=[deal.pipeline_id]) + (f"?{query}" if query else "")
    content = client.get(url).content.decode()
    [card] = re.findall(rf'<li class="deal-card[^"]*" id="deal-{deal.pk}".*?</li>', content, re.S)
    return card


def test_a_card_escapes_what_users_typed(client, alice, stages):
    deal = OpportunityFactory(
        owner=alice,
        stage=stages["lost"],
        status=OpportunityStatus.LOST,
        closed_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=1),
        lost_reason="<b>Budget</b> & timing",
        title='Rollout <img src=x onerror="alert(1)">',
        company=CompanyFactory(name="Müller & <Söhne>", owner=alice),
    )

    card = card_html(client, alice, deal)

    assert "<img" not in card
    assert "Rollout &lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in card
    assert "Müller &amp; &lt;Söhne&gt;" in card
    assert "&lt;b&gt;Budget&lt;/b&gt; &amp; timing" in card
    # The menu's accessible name says which deal.
    assert "Move “Rollout &lt;img" in card


def test_the_menu_links_to_the_move_page_with_the_filters(client, alice, stages):
    deal = OpportunityFactory(
        owner=alice, stage=stages["qualification"], value=Decimal("12500.50"), version=3
    )

    card = card_html(client, alice, deal, query="owner=me")

    move_page = f"{reverse('pipeline:move', args=[deal.pk])}?owner=me"
    assert f'<a class="deal-card-menu-page" href="{move_page}">' in card
    # The form itself is the board's one copy, which board.js fills in for the card.
    assert "<form" not in card
    assert "12,500.50 EUR" in card
    assert "No open task" in card


def test_the_board_carries_one_move_form_with_every_stage(client, alice, stages):
    OpportunityFactory(owner=alice, stage=stages["qualification"])
    OpportunityFactory(owner=alice, stage=stages["proposal"])
    client.force_login(alice)

    content = client.get(reverse("pipeline:board", args=[stages["lost"].pipeline_id])).content
    content = content.decode()

    [menu] = re.findall(r'<template id="board-move-menu">(.*?)</template>', content, re.S)
    assert content.count('<form class="deal-card-menu-list"') == 1
    assert "Proposal &amp; terms" in menu
    assert re.findall(r'name="stage" value="(\d+)"', menu) == [
        str(stages[name].pk) for name in ("qualification", "proposal", "lost")
    ]
    assert 'name="version" value=""' in menu


def test_the_move_page_offers_the_other_stages_and_moves_without_javascript(
    client, alice, stages, django_assert_num_queries
):
    deal = OpportunityFactory(owner=alice, stage=stages["qualification"], version=2)
    for _ in range(3):
        OpportunityFactory(owner=alice, stage=stages["proposal"])
    client.force_login(alice)
    url = f"{reverse('pipeline:move', args=[deal.pk])}?owner=me"

    with django_assert_num_queries(MOVE_PAGE_QUERIES):
        response = client.get(url)

    content = response.content.decode()
    assert response.status_code == 200
    assert re.findall(r'name="stage" value="(\d+)"', content) == [
        str(stages["proposal"].pk),
        str(stages["lost"].pk),
    ]
    assert f'action="{url}"' in content
    assert 'name="version" value="2"' in content

    moved = client.post(url, {"stage": stages["proposal"].pk, "version": 2})

    assert moved.status_code == 303
    assert moved["Location"].endswith("/board/?owner=me")
    deal.refresh_from_db()
    assert deal.stage == stages["proposal"]


# Session, user, the deal with its stage and pipeline, the pipeline's stages.
MOVE_PAGE_QUERIES = 4


def test_the_move_page_query_count_does_not_grow_with_the_column(
    client, alice, stages, django_assert_num_queries
):
    deal = OpportunityFactory(owner=alice, stage=stages["qualification"])
    client.force_login(alice)
    url = reverse("pipeline:move", args=[deal.pk])
    with django_assert_num_queries(MOVE_PAGE_QUERIES):
        client.get(url)
    OpportunityFactory.create_batch(40, owner=alice, stage=stages["qualification"])

    with django_assert_num_queries(MOVE_PAGE_QUERIES):
        assert client.get(url).status_code == 200
