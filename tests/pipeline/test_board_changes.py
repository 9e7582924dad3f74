"""Open boards poll for what changed since they were drawn, and get only that."""

import datetime as dt
import json
import threading
from decimal import Decimal

import psycopg
import pytest
from django.db import connection
from django.urls import reverse

from pipeline.board_changes import MOST_CHANGES, BoardVersion
from pipeline.models import BoardChange, Opportunity, StageKind
from pipeline.models.board_changes import HONOURED
from tests.deal_changes import edit, move
from tests.factories import CompanyFactory, OpportunityFactory, PipelineFactory, StageFactory
from tests.html import element, elements
from tests.pipeline.test_board_endpoints import VISIBILITY

HTMX = {"HX-Request": "true"}

# session, user, one read of the change sequence since the board's version.
UNCHANGED_QUERIES = 3
# ... then the pipeline, its stages, the changed cards, the cards above them, the headers.
ONE_CHANGE_QUERIES = 8

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="transaction snapshots are PostgreSQL's"
)

# Committed, as a user's writes are: on PostgreSQL, a write is "since" a version until it
# commits, and a test's own transaction never does.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def stages(db):
    pipeline = PipelineFactory(name="New business")
    return {
        "pipeline": pipeline,
        "qualification": StageFactory(
            pipeline=pipeline, name="Qualification", position=1, probability=20
        ),
        "proposal": StageFactory(pipeline=pipeline, name="Proposal", position=2, probability=60),
        "won": StageFactory(
            pipeline=pipeline, name="Won", position=3, probability=100, kind=StageKind.WON
        ),
        "lost": StageFactory(
            pipeline=pipeline, name="Lost", position=4, probability=0, kind=StageKind.LOST
        ),
    }


def version_of(client, pipeline, query=""):
    """The version a board drawn now polls with."""
    url = reverse("pipeline:board", args=[pipeline.pk]) + (f"?{query}" if query else "")
    return str(client.get(url).context["board_version"])


def poll(client, pipeline, since, query=""):
    url = reverse("pipeline:board_changes", args=[pipeline.pk])
    params = {"since": since}
    if query:
        params.update(item.split("=") for item in query.split("&"))
    return client.get(url, params, headers=HTMX)


def changes_in(response):
    """Each changed deal the answer holds: id -> (stage id, the card above) or "gone"."""
    found = {}
    for change in elements(response.content, "template", class_="board-change"):
        deal_id = int(change.attrs["data-deal-id"])
        if "data-gone" in change.attrs:
            found[deal_id] = "gone"
        else:
            after = change.attrs.get("data-after")
            found[deal_id] = (int(change.attrs["data-stage-id"]), int(after) if after else None)
    return found


def new_version_in(response):
    poller = element(response.content, "div", id="board-poller")
    return poller.attrs["hx-get"].split("since=")[1].split("&")[0]


def bulk_deals(owner, stage, count, prefix="Deal", start=0):
    company = CompanyFactory(owner=owner)
    Opportunity.objects.bulk_create(
        Opportunity(
            title=f"{prefix} {n}",
            company=company,
            owner=owner,
            pipeline=stage.pipeline,
            stage=stage,
            position=(start + n) * 10,
        )
        for n in range(count)
    )


def deal_of(owner, stage, position, **fields):
    return OpportunityFactory(owner=owner, stage=stage, position=position, **fields)


# --- Nothing changed --------------------------------------------------------------------------


@pytest.mark.parametrize("deals", [1, 2000])
def test_an_unchanged_board_costs_one_query_whatever_its_size(
    client, alice, stages, deals, django_assert_num_queries
):
    bulk_deals(alice, stages["qualification"], deals)
    client.force_login(alice)
    since = version_of(client, stages["pipeline"])

    with django_assert_num_queries(UNCHANGED_QUERIES):
        response = poll(client, stages["pipeline"], since)

    assert response.status_code == 204
    assert response.content == b""
    assert "HX-Trigger" not in response


def test_another_teams_changes_answer_204_with_a_version_past_them(client, alice, charlie, stages):
    theirs = deal_of(charlie, stages["qualification"], 1)
    client.force_login(alice)
    since = version_of(client, stages["pipeline"])
    move(theirs, stages["proposal"], charlie)

    response = poll(client, stages["pipeline"], since)

    # No body: the new version comes as an event for board.js.
    assert response.status_code == 204
    later = json.loads(response["HX-Trigger"])["boardVersion"]["since"]
    assert later != since
    # From the new version on, those changes are behind the board: not read again.
    assert BoardVersion.parse(later) is not None
    assert poll(client, stages["pipeline"], later).status_code == 204


# --- Only what changed ------------------------------------------------------------------------


@pytest.mark.parametrize(("viewer", "sees"), VISIBILITY)
def test_a_move_reaches_the_boards_that_show_the_deal_only(
    client, request, alice, stages, viewer, sees
):
    deal = deal_of(alice, stages["qualification"], 1)
    client.force_login(request.getfixturevalue(viewer))
    since = version_of(client, stages["pipeline"])

    move(deal, stages["proposal"], alice)
    response = poll(client, stages["pipeline"], since)

    if not sees:
        assert response.status_code == 204
        return
    assert response.status_code == 200
    assert changes_in(response) == {deal.pk: (stages["proposal"].pk, None)}


def test_the_answer_holds_the_changed_card_and_both_headers_and_nothing_else(
    client, alice, maria, stages
):
    # Given a board of five deals, one of which their manager moves
    deals = [deal_of(alice, stages["qualification"], n, value=Decimal("100")) for n in (1, 2, 3)]
    deals += [deal_of(alice, stages["proposal"], n, value=Decimal("50")) for n in (1, 2)]
    client.force_login(alice)
    since = version_of(client, stages["pipeline"])

    move(deals[1], stages["proposal"], maria)
    response = poll(client, stages["pipeline"], since)

    # Then the answer swaps the poller, holding that one card, and the two headers
    assert (response["HX-Retarget"], response["HX-Reswap"]) == ("#board-poller", "outerHTML")
    assert "boardChanged" in response["HX-Trigger-After-Swap"]
    content = response.content.decode()
    assert content.count('<li class="deal-card') == 1
    assert f'id="deal-{deals[1].pk}"' in content
    headers = elements(response.content, "header", class_="board-column-header")
    assert {header.attrs["id"] for header in headers} == {
        f"column-{stages['qualification'].pk}-header",
        f"column-{stages['proposal'].pk}-header",
    }
    proposal = element(response.content, "header", id=f"column-{stages['proposal'].pk}-header")
    assert "200 EUR" in proposal.text  # 50 + 50 + the moved deal's 100
    assert new_version_in(response) != since


def test_a_card_comes_with_the_card_above_it_in_its_column(client, alice, stages):
    first = deal_of(alice, stages["proposal"], 100)
    second = deal_of(alice, stages["proposal"], 300)
    moved = deal_of(alice, stages["qualification"], 1)
    client.force_login(alice)
    since = version_of(client, stages["pipeline"])

    from pipeline.services import move_opportunity

    move_opportunity(
        opportunity_id=moved.pk,
        by=alice,
        to_stage_id=stages["proposal"].pk,
        version=moved.version,
        after_id=first.pk,
        before_id=second.pk,
    )
    response = poll(client, stages["pipeline"], since)

    assert changes_in(response) == {moved.pk: (stages["proposal"].pk, first.pk)}


def test_cards_come_in_board_order_so_that_each_follows_the_one_above(client, alice, stages):
    # Given two deals moved into a column one after the other, the later one above
    top = deal_of(alice, stages["proposal"], 100)
    lower, upper = deal_of(alice, stages["qualification"], 1), deal_of(alice, stages["lost"], 2)
    client.force_login(alice)
    since = version_of(client, stages["pipeline"])
    Opportunity.objects.filter(pk=lower.pk).update(stage=stages["proposal"], position=300)
    Opportunity.objects.filter(pk=upper.pk).update(
        stage=stages["proposal"], position=200, status="open"
    )

    response = poll(client, stages["pipeline"], since)

    found = [
        int(change.attrs["data-deal-id"])
        for change in elements(response.content, "template", class_="board-change")
    ]
    assert found == [upper.pk, lower.pk]
    assert changes_in(response) == {
        upper.pk: (stages["proposal"].pk, top.pk),
        lower.pk: (stages["proposal"].pk, upper.pk),
    }


def test_won_cards_come_with_the_newer_outcome_above(client, alice, stages):
    earlier = deal_of(alice, stages["qualification"], 1)
    later = deal_of(alice, stages["qualification"], 2)
    client.force_login(alice)
    since = version_of(client, stages["pipeline"])

    move(earlier, stages["won"], alice)
    move(later, stages["won"], alice)
    response = poll(client, stages["pipeline"], since)

    assert changes_in(response) == {
        later.pk: (stages["won"].pk, None),
        earlier.pk: (stages["won"].pk, later.pk),
    }


def test_a_reorder_within_a_column_is_a_change_too(client, alice, stages):
    first = deal_of(alice, stages["qualification"], 1)
    second = deal_of(alice, stages["qualification"], 2)
    client.force_login(alice)
    since = version_of(client, stages["pipeline"])

    from pipeline.services import move_opportunity

    move_opportunity(
        opportunity_id=second.pk,
        by=alice,
        to_stage_id=stages["qualification"].pk,
        version=second.version,
        before_id=first.pk,
    )
    response = poll(client, stages["pipeline"], since)

    assert changes_in(response) == {second.pk: (stages["qualification"].pk, None)}


# --- Cards that leave the board ---------------------------------------------------------------


def test_a_deal_handed_to_another_team_leaves_the_old_teams_board(
    client, alice, bob, charlie, ada, stages
):
    deal = deal_of(alice, stages["qualification"], 1)
    client.force_login(bob)
    since = version_of(client, stages["pipeline"])

    edit(deal, ada, owner=charlie.pk)
    response = poll(client, stages["pipeline"], since)

    assert response.status_code == 200
    assert changes_in(response) == {deal.pk: "gone"}
    assert "deal-card" not in response.content.decode()


def test_a_deleted_deal_leaves_the_board(client, alice, stages):
    deal = deal_of(alice, stages["qualification"], 1)
    client.force_login(alice)
    since = version_of(client, stages["pipeline"])

    Opportunity.objects.filter(pk=deal.pk).delete()
    response = poll(client, stages["pipeline"], since)

    assert changes_in(response) == {deal.pk: "gone"}


def test_a_deal_that_no_longer_matches_the_filters_leaves_the_filtered_board(client, alice, stages):
    deal = deal_of(alice, stages["qualification"], 1, title="Rollout Berlin")
    client.force_login(alice)
    since = version_of(client, stages["pipeline"], "q=Berlin")

    edit(deal, alice, title="Rollout Munich")

    assert changes_in(poll(client, stages["pipeline"], since, "q=Berlin")) == {deal.pk: "gone"}
    # Unfiltered, the same change is the card again.
    assert changes_in(poll(client, stages["pipeline"], since)) == {
        deal.pk: (stages["qualification"].pk, None)
    }


def test_a_deal_moved_to_another_pipeline_leaves_this_board(client, alice, stages):
    other = PipelineFactory(name="Renewals")
    elsewhere = StageFactory(pipeline=other, name="Renewal", position=1)
    deal = deal_of(alice, stages["qualification"], 1)
    client.force_login(alice)
    since = version_of(client, stages["pipeline"])
    since_there = version_of(client, other)

    Opportunity.objects.filter(pk=deal.pk).update(pipeline=other, stage=elsewhere)

    assert changes_in(poll(client, stages["pipeline"], since)) == {deal.pk: "gone"}
    assert changes_in(poll(client, other, since_there)) == {deal.pk: (elsewhere.pk, None)}


# --- Redrawn whole ----------------------------------------------------------------------------


@pytest.mark.parametrize("since", ["", "garbled", "1~", "12~1:2:x", "99999999999999~1"])
def test_a_missing_garbled_or_foreign_version_redraws_the_board(client, alice, stages, since):
    deal_of(alice, stages["qualification"], 1)
    client.force_login(alice)

    response = poll(client, stages["pipeline"], since)

    assert response.status_code == 200
    assert response.content.decode().lstrip().startswith('<div class="board" id="board"')


def test_a_board_drawn_too_long_ago_is_redrawn_whole(client, alice, stages):
    deal = deal_of(alice, stages["qualification"], 1)
    client.force_login(alice)
    version = BoardVersion.parse(version_of(client, stages["pipeline"]))
    stale = BoardVersion(version.issued - int(HONOURED.total_seconds()) - 1, version.mark)
    move(deal, stages["proposal"], alice)

    response = poll(client, stages["pipeline"], str(stale))

    assert response.content.decode().lstrip().startswith('<div class="board" id="board"')


def test_more_changes_than_worth_patching_redraw_the_board(client, alice, stages):
    deal_of(alice, stages["qualification"], 1)
    client.force_login(alice)
    since = version_of(client, stages["pipeline"])
    bulk_deals(alice, stages["qualification"], MOST_CHANGES + 1, "Imported", start=1)

    response = poll(client, stages["pipeline"], since)

    assert response.status_code == 200
    assert response.content.decode().lstrip().startswith('<div class="board" id="board"')
    assert "HX-Retarget" not in response


# --- Query counts -----------------------------------------------------------------------------


@pytest.mark.parametrize("deals", [1, 2000])
def test_one_change_costs_the_same_queries_whatever_the_board_size(
    client, alice, stages, deals, django_assert_num_queries
):
    bulk_deals(alice, stages["proposal"], deals)
    moved = deal_of(alice, stages["qualification"], 1)
    client.force_login(alice)
    since = version_of(client, stages["pipeline"])
    move(moved, stages["proposal"], alice)

    with django_assert_num_queries(ONE_CHANGE_QUERIES):
        response = poll(client, stages["pipeline"], since)

    # Moved without neighbours: to the end of the column, under its last card.
    last = Opportunity.objects.filter(title=f"Deal {deals - 1}").get()
    assert changes_in(response) == {moved.pk: (stages["proposal"].pk, last.pk)}


# --- Writes that commit late, and the rows' upkeep --------------------------------------------


@on_postgresql
def test_a_write_that_commits_after_the_board_was_drawn_is_not_missed(client, alice, stages):
    """The write began first and holds an earlier transaction id than the board's
    version; it commits only after the board was drawn. A board that asked for "changes
    after the last id or time it saw" would never hear of it."""
    deal = deal_of(alice, stages["qualification"], 1)
    settings = connection.settings_dict
    late = psycopg.connect(
        host=settings["HOST"] or None,
        port=settings["PORT"] or None,
        user=settings["USER"],
        dbname=settings["NAME"],
        password=settings["PASSWORD"] or None,
    )
    try:
        late.execute(
            "UPDATE pipeline_opportunity SET stage_id = %s, version = version + 1 WHERE id = %s",
            [stages["proposal"].pk, deal.pk],
        )
        client.force_login(alice)
        since = version_of(client, stages["pipeline"])
        assert poll(client, stages["pipeline"], since).status_code == 204  # not yet committed
        committed = threading.Event()

        def commit() -> None:
            late.commit()
            committed.set()

        threading.Thread(target=commit).start()
        assert committed.wait(timeout=30)
    finally:
        late.close()

    response = poll(client, stages["pipeline"], since)

    assert changes_in(response) == {deal.pk: (stages["proposal"].pk, None)}


def test_every_kind_of_write_is_a_row_of_the_sequence(alice, charlie, ada, stages):
    BoardChange.objects.all().delete()
    deal = deal_of(alice, stages["qualification"], 1)
    move(deal, stages["proposal"], alice)
    edit(deal, ada, owner=charlie.pk)
    Opportunity.objects.filter(pk=deal.pk).delete()

    rows = list(
        BoardChange.objects.order_by("pk").values_list(
            "opportunity_id", "owner_id", "former_owner_id", "stage_id", "former_stage_id"
        )
    )

    qualification, proposal = stages["qualification"].pk, stages["proposal"].pk
    assert rows == [
        (deal.pk, alice.pk, None, qualification, None),  # created
        (deal.pk, alice.pk, alice.pk, proposal, qualification),  # moved
        (deal.pk, charlie.pk, alice.pk, proposal, proposal),  # handed over
        (deal.pk, charlie.pk, charlie.pk, proposal, proposal),  # deleted
    ]


def test_pruning_keeps_the_rows_an_honoured_version_may_need(alice, stages):
    BoardChange.objects.all().delete()
    deal_of(alice, stages["qualification"], 1)
    deal_of(alice, stages["qualification"], 2)
    old, recent = BoardChange.objects.order_by("pk")
    now = recent.at
    BoardChange.objects.filter(pk=old.pk).update(at=now - 2 * HONOURED - dt.timedelta(minutes=1))
    BoardChange.objects.filter(pk=recent.pk).update(at=now - 2 * HONOURED + dt.timedelta(minutes=1))

    assert BoardChange.objects.prune(now) == 1
    assert list(BoardChange.objects.values_list("pk", flat=True)) == [recent.pk]


def test_the_nightly_run_prunes_the_sequence(alice, stages):
    from crm import nightly

    BoardChange.objects.all().delete()
    deal_of(alice, stages["qualification"], 1)
    BoardChange.objects.update(at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    deal_of(alice, stages["qualification"], 2)

    run = nightly.run_nightly(day=dt.date(2026, 12, 4), only=["board_changes"])

    assert run.steps.get(job="board_changes").rows == 1
    assert BoardChange.objects.count() == 1
