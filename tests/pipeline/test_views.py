"""The board page: who sees which cards, what the column headers add up, what it costs."""

import datetime as dt
import urllib.parse
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from pipeline.board import CARDS_PER_COLUMN
from pipeline.models import Opportunity, OpportunityStatus, StageKind, Task
from tests.factories import OpportunityFactory, PipelineFactory, StageFactory, TaskFactory
from tests.html import element, elements

# Queries for one board render, whatever the number of deals: session, user, pipelines
# (current + switcher), the board version, stages, one aggregate over all columns, one query for
# the first cards of every column, the owner and product filters' choices.
BOARD_QUERIES = 9
# The #board fragment (filter form, refresh) needs no owner or product choices.
BOARD_FRAGMENT_QUERIES = 7
# Searching text reads the deals and the companies whose names match first.
BOARD_SEARCH_FRAGMENT_QUERIES = BOARD_FRAGMENT_QUERIES + 2


@pytest.fixture
def pipeline(db):
    return PipelineFactory(name="New business", position=1)


@pytest.fixture
def stages(pipeline):
    # Created out of board order on purpose: the board sorts open, then won, then lost.
    return {
        "won": StageFactory(
            pipeline=pipeline, name="Won", position=1, probability=100, kind=StageKind.WON
        ),
        "qualification": StageFactory(
            pipeline=pipeline, name="Qualification", position=2, probability=20
        ),
        "proposal": StageFactory(pipeline=pipeline, name="Proposal", position=3, probability=60),
        "lost": StageFactory(
            pipeline=pipeline, name="Lost", position=4, probability=0, kind=StageKind.LOST
        ),
    }


def board_url(pipeline):
    return reverse("pipeline:board", args=[pipeline.pk])


def column(response, stage):
    return next(c for c in response.context["columns"] if c.stage.pk == stage.pk)


def closed_deal(stage, owner, status, days_ago, **kwargs):
    return OpportunityFactory(
        stage=stage,
        owner=owner,
        status=status,
        closed_at=timezone.now() - dt.timedelta(days=days_ago),
        lost_reason="Price" if status == OpportunityStatus.LOST else "",
        **kwargs,
    )


def test_anonymous_user_is_sent_to_login(client, pipeline):
    response = client.get(board_url(pipeline))

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={board_url(pipeline)}"


def test_unknown_pipeline_is_404(client, alice):
    client.force_login(alice)

    assert client.get(reverse("pipeline:board", args=[999_999])).status_code == 404


@pytest.mark.parametrize(
    ("viewer", "seen", "unseen"),
    [
        ("alice", {"alice", "bob"}, {"charlie"}),
        ("bob", {"alice", "bob"}, {"charlie"}),
        ("maria", {"alice", "bob"}, {"charlie"}),
        ("charlie", {"charlie"}, {"alice", "bob"}),
        ("sam", {"charlie"}, {"alice", "bob"}),
        ("ada", {"alice", "bob", "charlie"}, set()),
    ],
)
def test_board_shows_only_visible_deals(client, stages, request, viewer, seen, unseen):
    owners = {name: request.getfixturevalue(name) for name in ("alice", "bob", "charlie")}
    for name, owner in owners.items():
        OpportunityFactory(title=f"{name}'s deal", owner=owner, stage=stages["qualification"])
    client.force_login(request.getfixturevalue(viewer))

    response = client.get(board_url(stages["qualification"].pipeline))

    content = response.content.decode()
    assert response.status_code == 200
    for name in seen:
        assert f"{name}&#x27;s deal" in content
    for name in unseen:
        assert f"{name}&#x27;s deal" not in content
    assert column(response, stages["qualification"]).count == len(seen)


def test_columns_are_open_stages_in_order_then_won_then_lost(client, alice, stages):
    client.force_login(alice)

    response = client.get(board_url(stages["won"].pipeline))

    names = [c.stage.name for c in response.context["columns"]]
    assert names == ["Qualification", "Proposal", "Won", "Lost"]
    for stage in stages.values():
        assert f'id="column-{stage.pk}"' in response.content.decode()


def test_cards_follow_board_position_and_carry_stable_ids(client, alice, stages):
    stage = stages["qualification"]
    second = OpportunityFactory(owner=alice, stage=stage, position=2000)
    first = OpportunityFactory(owner=alice, stage=stage, position=1000)
    client.force_login(alice)

    response = client.get(board_url(stage.pipeline))

    assert [card.pk for card in column(response, stage).cards] == [first.pk, second.pk]
    content = response.content.decode()
    assert content.index(f'id="deal-{first.pk}"') < content.index(f'id="deal-{second.pk}"')


def test_card_shows_company_value_with_currency_owner_and_days_in_stage(client, alice, stages):
    OpportunityFactory(
        title="Rollout",
        owner=alice,
        stage=stages["qualification"],
        company__name="Acme Corp",
        value=Decimal("12500.50"),
        currency="USD",
        stage_entered_at=timezone.now() - dt.timedelta(days=3, hours=2),
    )
    client.force_login(alice)

    content = client.get(board_url(stages["qualification"].pipeline)).content.decode()

    assert "Acme Corp" in content
    assert "12,500.50 USD" in content
    assert str(alice) in content
    assert "3 days in stage" in content


def test_column_totals_count_every_visible_open_deal_not_only_the_cards_shown(
    client, alice, bob, charlie, stages
):
    # Given more deals in one stage than a column shows, one of them a teammate's
    stage = stages["proposal"]
    OpportunityFactory.create_batch(
        CARDS_PER_COLUMN + 9, owner=alice, stage=stage, value=Decimal("100.10")
    )
    OpportunityFactory(owner=bob, stage=stage, value=Decimal("1000.00"))
    # ...and deals the totals must leave out: another team's, and a closed one.
    OpportunityFactory(owner=charlie, stage=stage, value=Decimal("99999.00"))
    closed_deal(stages["won"], alice, OpportunityStatus.WON, days_ago=1, value=Decimal("7.00"))
    client.force_login(alice)

    # When alice opens the board
    response = client.get(board_url(stage.pipeline))

    # Then the header adds up all 60 visible open deals, and 50 of them are cards
    proposal = column(response, stage)
    assert proposal.count == CARDS_PER_COLUMN + 10
    assert len(proposal.cards) == CARDS_PER_COLUMN
    [total] = proposal.totals
    expected_value = Decimal("100.10") * (CARDS_PER_COLUMN + 9) + Decimal("1000.00")
    assert (total.currency, total.value) == ("EUR", expected_value)
    assert total.weighted == (expected_value * 60 / 100).quantize(Decimal("0.01"))
    # ...and "Load more" continues after the last card shown
    last = proposal.cards[-1]
    more = reverse("pipeline:board_column", args=[stage.pipeline_id, stage.pk])
    assert f"{more}?after={last.position}_{last.pk}" in response.content.decode()
    assert "Load more (10 not shown)" in response.content.decode()
    assert column(response, stages["won"]).count == 1


def test_column_totals_are_kept_apart_per_currency(client, alice, stages):
    stage = stages["qualification"]
    OpportunityFactory(owner=alice, stage=stage, value=Decimal("100.00"), currency="EUR")
    OpportunityFactory(owner=alice, stage=stage, value=Decimal("200.00"), currency="EUR")
    OpportunityFactory(owner=alice, stage=stage, value=Decimal("50.00"), currency="USD")
    client.force_login(alice)

    totals = column(client.get(board_url(stage.pipeline)), stage).totals

    assert [(t.currency, t.value, t.weighted) for t in totals] == [
        ("EUR", Decimal("300.00"), Decimal("60.00")),
        ("USD", Decimal("50.00"), Decimal("10.00")),
    ]


def test_won_and_lost_columns_show_recent_outcomes_newest_first(client, alice, stages):
    older = closed_deal(stages["won"], alice, OpportunityStatus.WON, days_ago=10)
    newer = closed_deal(stages["won"], alice, OpportunityStatus.WON, days_ago=2)
    closed_deal(stages["won"], alice, OpportunityStatus.WON, days_ago=90, title="Ancient win")
    lost = closed_deal(stages["lost"], alice, OpportunityStatus.LOST, days_ago=1)
    client.force_login(alice)

    response = client.get(board_url(stages["won"].pipeline))

    assert [card.pk for card in column(response, stages["won"]).cards] == [newer.pk, older.pk]
    assert column(response, stages["won"]).count == 2
    assert [card.pk for card in column(response, stages["lost"]).cards] == [lost.pk]
    content = response.content.decode()
    assert "Ancient win" not in content
    assert f"Closed {lost.closed_at:%m/%d/%Y}</time> · Price" in content


def test_board_shows_only_its_own_pipeline_and_switches_between_active_ones(client, alice, stages):
    pipeline = stages["qualification"].pipeline
    renewals = PipelineFactory(name="Renewals", position=2)
    archived = PipelineFactory(name="Archived 2019", position=3, is_active=False)
    OpportunityFactory(
        title="Renewal deal", owner=alice, stage=StageFactory(pipeline=renewals, name="Due")
    )
    client.force_login(alice)

    response = client.get(board_url(pipeline))

    content = response.content.decode()
    assert "Renewal deal" not in content
    assert [p.name for p in response.context["pipelines"]] == ["New business", "Renewals"]
    assert board_url(renewals) in content
    assert board_url(archived) not in content
    # An inactive pipeline still opens by its address, for its history.
    assert client.get(board_url(archived)).status_code == 200


def test_board_query_count_does_not_grow_with_deals(
    client, alice, bob, stages, django_assert_num_queries
):
    for stage in (stages["qualification"], stages["proposal"]):
        OpportunityFactory(owner=alice, stage=stage)
    closed_deal(stages["won"], bob, OpportunityStatus.WON, days_ago=1)
    client.force_login(alice)
    url = board_url(stages["qualification"].pipeline)

    with django_assert_num_queries(BOARD_QUERIES):
        small = client.get(url)

    OpportunityFactory.create_batch(60, owner=bob, stage=stages["proposal"])
    for days_ago in range(5):
        closed_deal(stages["lost"], alice, OpportunityStatus.LOST, days_ago=days_ago)

    with django_assert_num_queries(BOARD_QUERIES):
        large = client.get(url)

    assert column(small, stages["proposal"]).count == 1
    assert column(large, stages["proposal"]).count == 61


# --- Filters --------------------------------------------------------------------------------


def titles(response):
    return {card.title for c in response.context["columns"] for card in c.cards}


@pytest.fixture
def team_deals(stages, alice, bob, maria):
    stage = stages["qualification"]
    return {
        "alice": OpportunityFactory(
            title="Alice rollout",
            owner=alice,
            stage=stage,
            company__name="Acme Corp",
            expected_close_date=dt.date(2027, 1, 15),
        ),
        "bob": OpportunityFactory(
            title="Bob renewal",
            owner=bob,
            stage=stage,
            company__name="Globex",
            expected_close_date=dt.date(2027, 3, 1),
        ),
        "maria": OpportunityFactory(
            title="Maria upsell",
            owner=maria,
            stage=stages["proposal"],
            company__name="Initech",
            expected_close_date=None,
        ),
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", {"Alice rollout", "Bob renewal", "Maria upsell"}),
        ("owner=me", {"Alice rollout"}),
        ("q=renewal", {"Bob renewal"}),
        ("q=ACME", {"Alice rollout"}),  # company name, any case
        ("close_from=2027-02-01", {"Bob renewal"}),
        ("close_to=2027-02-01", {"Alice rollout"}),
        ("close_from=2027-01-01&close_to=2027-12-31&q=o", {"Alice rollout", "Bob renewal"}),
    ],
)
def test_filters_narrow_the_cards_and_the_column_totals(client, alice, team_deals, query, expected):
    client.force_login(alice)

    response = client.get(f"{board_url(team_deals['alice'].pipeline)}?{query}")

    assert titles(response) == expected
    assert sum(c.count for c in response.context["columns"]) == len(expected)


def test_owner_filter_by_id_and_team_filter(client, ada, alice, bob, charlie, team_deals):
    theirs = OpportunityFactory(title="Charlie deal", owner=charlie, stage=team_deals["bob"].stage)
    client.force_login(ada)
    url = board_url(theirs.pipeline)

    assert titles(client.get(f"{url}?owner={bob.pk}")) == {"Bob renewal"}
    assert titles(client.get(f"{url}?team={charlie.team_id}")) == {"Charlie deal"}
    page = client.get(url).content.decode()
    assert f'<option value="{charlie.team_id}">South</option>' in page


def test_owner_choices_are_the_people_whose_deals_the_user_sees(
    client, alice, bob, charlie, stages
):
    client.force_login(alice)

    content = client.get(board_url(stages["won"].pipeline)).content.decode()

    assert f'<option value="{bob.pk}">{bob}</option>' in content
    assert f'value="{charlie.pk}"' not in content
    # A rep's board has one team: no team filter.
    assert 'name="team"' not in content


def test_invalid_filters_are_reported_and_ignored(client, alice, team_deals):
    client.force_login(alice)

    response = client.get(
        f"{board_url(team_deals['alice'].pipeline)}?owner=nobody&close_from=2027-05-01&close_to=2027-01-01"
    )

    assert response.status_code == 200
    content = response.content.decode()
    assert "Choose an owner from the list." in content
    assert "The end of the range is before its start." in content
    assert titles(response) == set()  # close_from stays valid: nothing closes after May


def test_filter_form_works_without_javascript_and_swaps_the_board_with_htmx(client, alice, stages):
    client.force_login(alice)
    url = board_url(stages["won"].pipeline)

    content = client.get(url).content.decode()

    assert f'method="get" role="search" action="{url}"' in " ".join(content.split())
    assert f'hx-get="{url}" hx-target="#board" hx-swap="outerHTML" hx-push-url="true"' in content


def test_htmx_filter_request_answers_the_board_and_the_switcher_out_of_band(
    client, alice, team_deals, django_assert_num_queries
):
    renewals = PipelineFactory(name="Renewals", position=2)
    client.force_login(alice)
    url = f"{board_url(team_deals['alice'].pipeline)}?owner=me&q=alice"

    with django_assert_num_queries(BOARD_SEARCH_FRAGMENT_QUERIES):
        response = client.get(url, headers={"HX-Request": "true", "HX-Target": "board"})

    content = response.content.decode()
    assert content.lstrip().startswith('<div class="board" id="board"')
    assert "<!doctype html>" not in content
    assert "Alice rollout" in content
    assert "Bob renewal" not in content
    assert 'id="pipeline-switcher" aria-label="Pipelines" hx-swap-oob="true"' in content
    # The "Filters" button says the filters are on, for a phone where they are folded away
    toggle = element(content, "summary", id="board-filters-toggle")
    assert toggle.attrs["hx-swap-oob"] == "true"
    assert toggle.text == "Filters on"
    assert f'href="{board_url(renewals)}?owner=me&amp;q=alice"' in content
    assert "HX-Request" in response["Vary"]


def test_pipeline_switcher_keeps_the_filters(client, alice, stages):
    renewals = PipelineFactory(name="Renewals", position=2)
    client.force_login(alice)

    content = client.get(f"{board_url(stages['won'].pipeline)}?owner=me").content.decode()

    assert f'href="{board_url(renewals)}?owner=me"' in content


# --- Layout ---------------------------------------------------------------------------------


def test_won_and_lost_wait_in_a_bar_below_the_open_columns(client, alice, stages):
    OpportunityFactory(title="Open rollout", owner=alice, stage=stages["qualification"])
    closed_deal(stages["won"], alice, OpportunityStatus.WON, days_ago=2, title="Recent win")
    client.force_login(alice)

    content = client.get(board_url(stages["won"].pipeline)).content.decode()

    # The bar holds the won and lost columns, and only those
    bar = element(content, "div", id="board-outcomes")
    assert bar.attrs["role"] == "region"
    assert "Won" in bar.text
    assert "Lost" in bar.text
    assert "Recent win" in bar.text
    assert "Open rollout" not in bar.text
    assert "win probability" not in bar.text  # no open column's header
    # ...collapsed: a checkbox beside the board, named by the bar's toggle, opens it
    switch = element(content, "input", id="board-outcomes-open")
    assert switch.attrs["type"] == "checkbox"
    assert "checked" not in switch.attrs
    assert switch.attrs["aria-controls"] == "board-outcomes"
    toggle = element(content, "label", **{"for": "board-outcomes-open"})
    assert toggle.text.startswith("Recent outcomes")
    # The columns keep board order (open, then won, then lost) for the keyboard's sake
    sections = [
        section.attrs["id"] for section in elements(content, "section", class_="board-column")
    ]
    assert sections == [
        f"column-{stages[name].pk}" for name in ("qualification", "proposal", "won", "lost")
    ]


def test_board_fragment_redraws_the_bar_but_not_its_switch(client, alice, stages):
    client.force_login(alice)

    response = client.get(
        board_url(stages["won"].pipeline), headers={"HX-Request": "true", "HX-Target": "board"}
    )

    content = response.content.decode()
    assert "Won" in element(content, "div", id="board-outcomes").text
    assert elements(content, "input", id="board-outcomes-open") == []


def test_filters_sit_behind_a_disclosure_that_shows_when_they_are_on(client, alice, stages):
    client.force_login(alice)
    url = board_url(stages["won"].pipeline)

    plain = client.get(url).content.decode()
    filtered = client.get(f"{url}?owner=me").content.decode()
    refused = client.get(f"{url}?owner=nobody").content.decode()

    panel = element(plain, "details", id="board-filters-panel")
    assert "open" not in panel.attrs
    assert element(plain, "summary", class_="board-filters-toggle").text == "Filters"
    assert element(filtered, "summary", class_="board-filters-toggle").text == "Filters on"
    # A refused filter is shown open, with its message
    assert "open" in element(refused, "details", id="board-filters-panel").attrs
    assert "Choose an owner from the list." in element(refused, "details").text
    # The keyboard help stays in the page (cards point to it); CSS shows it where it helps
    assert element(plain, "p", id="board-keyboard-help").text.startswith("Enter opens a deal.")


# --- Cards ----------------------------------------------------------------------------------


def card_of(response, deal):
    return next(card for c in response.context["columns"] for card in c.cards if card.pk == deal.pk)


def test_card_shows_the_earliest_open_task_and_flags_an_overdue_one(client, alice, stages):
    now = timezone.now()
    on_time = OpportunityFactory(owner=alice, stage=stages["qualification"])
    TaskFactory(opportunity=on_time, due_at=now + dt.timedelta(days=5))
    TaskFactory(opportunity=on_time, due_at=now + dt.timedelta(days=2))
    TaskFactory(opportunity=on_time, due_at=now - dt.timedelta(days=9), done_at=now)
    late = OpportunityFactory(owner=alice, stage=stages["qualification"])
    TaskFactory(opportunity=late, due_at=now - dt.timedelta(days=1))
    client.force_login(alice)

    response = client.get(board_url(stages["won"].pipeline))

    assert card_of(response, on_time).next_task_due == now + dt.timedelta(days=2)
    assert not card_of(response, on_time).has_overdue_task
    assert card_of(response, late).has_overdue_task
    assert response.content.decode().count("Task overdue") == 1


@pytest.mark.parametrize(
    ("fields", "stale"),
    [
        ({}, False),
        ({"stale_since": dt.date(2026, 1, 1)}, True),  # flagged by the nightly job
        ({"days_in_stage": 15}, True),  # more days in the stage than its 14
        ({"days_untouched": 15}, True),  # no touchpoint for longer than 14 days
        ({"days_in_stage": 14, "days_untouched": 14}, False),
    ],
)
def test_stale_badge_from_the_nightly_flag_or_computed_live(client, alice, stages, fields, stale):
    now = timezone.now()
    in_stage = dt.timedelta(days=fields.get("days_in_stage", 1), hours=1)
    untouched = dt.timedelta(days=fields.get("days_untouched", 1), hours=1)
    deal = OpportunityFactory(
        owner=alice,
        stage=stages["qualification"],  # rotting_days=14
        stage_entered_at=now - in_stage,
        last_touch_at=now - untouched,
        stale_since=fields.get("stale_since"),
    )
    client.force_login(alice)

    response = client.get(board_url(stages["won"].pipeline))

    assert card_of(response, deal).is_stale is stale
    assert ('<span class="badge badge-stale"' in response.content.decode()) is stale


def test_close_date_in_the_past_is_flagged_on_open_deals(client, alice, stages):
    today = timezone.localdate()
    overdue = OpportunityFactory(
        owner=alice, stage=stages["qualification"], expected_close_date=today - dt.timedelta(1)
    )
    due_today = OpportunityFactory(
        owner=alice, stage=stages["qualification"], expected_close_date=today
    )
    client.force_login(alice)

    response = client.get(board_url(stages["won"].pipeline))

    assert card_of(response, overdue).is_past_close
    assert not card_of(response, due_today).is_past_close
    assert response.content.decode().count("Close date passed") == 1


def test_every_card_is_focusable_named_and_opens_the_deal_panel(client, alice, stages):
    deal = OpportunityFactory(owner=alice, stage=stages["qualification"], title="Rollout")
    client.force_login(alice)

    content = client.get(board_url(stages["won"].pipeline)).content.decode()

    detail = reverse("pipeline:deal_detail", args=[deal.pk])
    assert f'id="deal-{deal.pk}" tabindex="0"' in content
    assert f'aria-labelledby="card-{deal.pk}-title"' in content
    assert f'href="{detail}" hx-get="{detail}">Rollout</a>' in content
    # ...into the panel: the target every card of the column inherits from its list.
    column = element(content, "ul", id=f"column-{stages['qualification'].pk}-cards")
    assert (column.attrs["hx-target"], column.attrs["hx-swap"]) == ("#deal-panel", "innerHTML")
    assert 'id="deal-panel-offcanvas"' in content
    assert 'role="status" aria-live="polite"' in content


def test_move_to_menu_leads_to_a_plain_form_listing_the_other_stages(client, alice, stages):
    deal = OpportunityFactory(owner=alice, stage=stages["qualification"])
    client.force_login(alice)

    content = client.get(board_url(stages["won"].pipeline)).content.decode()
    move = reverse("pipeline:move", args=[deal.pk])
    assert f'class="deal-card-menu-page" href="{move}"' in content
    page = client.get(move).content.decode()

    assert f'method="post" action="{move}"' in " ".join(page.split())
    for stage in (stages["proposal"], stages["won"], stages["lost"]):
        assert f'name="stage" value="{stage.pk}"' in page
    assert f'name="stage" value="{stages["qualification"].pk}"' not in page
    assert 'name="version" value="1"' in page


def test_board_carries_no_inline_script_style_or_handlers(client, alice, stages):
    OpportunityFactory(owner=alice, stage=stages["qualification"])
    client.force_login(alice)

    content = client.get(board_url(stages["won"].pipeline)).content.decode()

    assert "<script>" not in content
    assert " style=" not in content
    assert "hx-on" not in content
    assert "onclick" not in content


def test_board_polls_for_changes_with_its_version_and_filters(client, alice, stages):
    OpportunityFactory(owner=alice, stage=stages["qualification"])
    client.force_login(alice)

    response = client.get(f"{board_url(stages['won'].pipeline)}?owner=me")

    changes = reverse("pipeline:board_changes", args=[stages["won"].pipeline_id])
    since = urllib.parse.quote(str(response.context["board_version"]))
    poller = element(response.content, "div", id="board-poller")
    assert poller.attrs["hx-get"] == f"{changes}?since={since}&owner=me"
    assert poller.attrs["hx-trigger"] == "every 3s"


def test_board_query_count_is_the_same_for_ten_and_two_thousand_deals(
    client, alice, bob, stages, django_assert_num_queries
):
    # Given ten deals with tasks across the columns
    for index in range(10):
        deal = OpportunityFactory(
            owner=alice, stage=stages["qualification" if index % 2 else "proposal"]
        )
        TaskFactory(opportunity=deal)
    client.force_login(alice)
    url = board_url(stages["won"].pipeline)

    with django_assert_num_queries(BOARD_QUERIES):
        small = client.get(url)

    # When 2,000 more arrive, in every column, with tasks
    company = deal.company
    Opportunity.objects.bulk_create(
        Opportunity(
            title=f"Bulk {n}",
            company=company,
            owner=bob if n % 2 else alice,
            pipeline=stages["won"].pipeline,
            stage=stages[("qualification", "proposal", "won", "lost")[n % 4]],
            status=("open", "open", "won", "lost")[n % 4],
            closed_at=timezone.now() if n % 4 >= 2 else None,
            lost_reason="Price" if n % 4 == 3 else "",
            value=Decimal("10.00"),
            position=(n + 20) * 65536,
        )
        for n in range(2000)
    )
    bulk = Opportunity.objects.filter(title__startswith="Bulk ")[:500]
    Task.objects.bulk_create(
        Task(title="Call", due_at=timezone.now(), opportunity=d, assignee=alice) for d in bulk
    )

    # Then the board costs the same number of queries
    with django_assert_num_queries(BOARD_QUERIES):
        large = client.get(url)

    assert column(small, stages["proposal"]).count == 5
    assert column(large, stages["proposal"]).count == 505
    assert len(column(large, stages["proposal"]).cards) == CARDS_PER_COLUMN
    assert column(large, stages["lost"]).count == 500
