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
    # The menu's own stage names are escaped too, and its accessible name says which deal.
    assert "Proposal &amp; terms" in card
    assert "Move “Rollout &lt;img" in card


def test_the_menu_offers_every_other_stage_and_keeps_the_filters(client, alice, stages):
    deal = OpportunityFactory(
        owner=alice, stage=stages["qualification"], value=Decimal("12500.50"), version=3
    )

    card = card_html(client, alice, deal, query="owner=me")

    offered = re.findall(r'name="stage" value="(\d+)"', card)
    assert offered == [str(stages["proposal"].pk), str(stages["lost"].pk)]
    assert f'action="{reverse("pipeline:move", args=[deal.pk])}?owner=me"' in card
    assert 'name="version" value="3"' in card
    assert 'name="csrfmiddlewaretoken"' in card
    assert "12,500.50 EUR" in card
    assert "No open task" in card
