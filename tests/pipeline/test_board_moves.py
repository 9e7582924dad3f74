"""The board's move endpoint: one service call, answered with fragments (or a redirect)."""

import datetime as dt
import json
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.urls import reverse

from pipeline.models import (
    POSITION_GAP,
    EntryField,
    Opportunity,
    OpportunityStatus,
    StageChange,
    StageKind,
)
from tests.factories import (
    ContactFactory,
    OpportunityFactory,
    PipelineFactory,
    StageFactory,
    TaskFactory,
    UserFactory,
)
from tests.html import element

HTMX = {"HX-Request": "true"}

# session, user, [service:] savepoint, deal, stage, custom fields the stage requires, the
# deal's row lock, [PostgreSQL: the column's lock,] neighbour positions, UPDATE, INSERT
# StageChange, release savepoint, [fragments:] stages, column headers (the card is drawn
# from the deal the service read with the card's fields, as the UPDATE left it). Every
# change of stage is followed by the rollups: the deal and its stage history read before
# and after, and the zones they are kept in [PostgreSQL: and the owner's lock].
MOVE_QUERIES = 18 + 2 * (connection.vendor == "postgresql")


@pytest.fixture
def stages(db):
    pipeline = PipelineFactory(name="New business")
    return {
        "qualification": StageFactory(
            pipeline=pipeline, name="Qualification", position=1, probability=20
        ),
        "offer": StageFactory(
            pipeline=pipeline,
            name="Offer",
            position=2,
            probability=60,
            entry_fields=[EntryField.VALUE, EntryField.EXPECTED_CLOSE_DATE],
        ),
        "negotiation": StageFactory(
            pipeline=pipeline,
            name="Negotiation",
            position=3,
            probability=80,
            entry_fields=[EntryField.CONTACT, EntryField.NEXT_TASK],
            entry_checklist=["Budget confirmed", "Decision maker met"],
        ),
        "won": StageFactory(
            pipeline=pipeline, name="Won", position=4, probability=100, kind=StageKind.WON
        ),
        "lost": StageFactory(
            pipeline=pipeline, name="Lost", position=5, probability=0, kind=StageKind.LOST
        ),
    }


def move_url(deal, query=""):
    url = reverse("pipeline:move", args=[deal.pk])
    return f"{url}?{query}" if query else url


def post_move(client, deal, stage, *, htmx=True, query="", **fields):
    data = {"stage": stage.pk, "version": deal.version, "from_stage": deal.stage_id, **fields}
    headers = HTMX if htmx else {}
    return client.post(move_url(deal, query), data, headers=headers)


def triggers(response):
    return json.loads(response.headers.get("HX-Trigger", "{}"))


class _OutOfBand(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.swaps: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if "hx-swap-oob" in attributes:
            swap = attributes["hx-swap-oob"] or ""
            self.swaps[attributes.get("id") or swap.partition(":")[2]] = swap


def out_of_band(response) -> dict[str, str]:
    """The elements an htmx answer swaps out of band: {id (or target): how}."""
    parser = _OutOfBand()
    parser.feed(response.content.decode())
    return parser.swaps


def ready_for_offer(stage, owner, **kwargs):
    kwargs.setdefault("value", Decimal("5000.00"))
    kwargs.setdefault("expected_close_date", dt.date(2027, 3, 31))
    return OpportunityFactory(stage=stage, owner=owner, **kwargs)


# --- Success --------------------------------------------------------------------------------


def test_drop_answers_the_card_its_columns_headers_and_where_it_belongs(client, alice, stages):
    # Given alice's deal in Qualification and one deal already in Offer
    existing = ready_for_offer(stages["offer"], alice, value=Decimal("1000.00"))
    deal = ready_for_offer(stages["qualification"], alice, title="Rollout")
    client.force_login(alice)

    # When she drops it below the existing card
    response = post_move(client, deal, stages["offer"], after=existing.pk)

    # Then the deal moved once, with one history row
    assert response.status_code == 200
    deal.refresh_from_db()
    assert (deal.stage, deal.version) == (stages["offer"], 2)
    assert deal.position > existing.position
    assert StageChange.objects.filter(opportunity=deal).count() == 1
    # ...and the answer is the new card plus both column headers out of band
    # (the card too, so that it lands on the card the board shows when the answer comes)
    content = response.content.decode()
    assert out_of_band(response) == {
        f"deal-{deal.pk}": "true",
        f"column-{stages['qualification'].pk}-header": "true",
        f"column-{stages['offer'].pk}-header": "true",
        "#board-status": "innerHTML:#board-status",
    }
    assert 'data-version="2"' in content
    assert "6,000 EUR" in content  # Offer now adds up both deals
    assert "Moved “Rollout” to Offer." in content
    assert triggers(response)["dealMoved"] == {
        "id": deal.pk,
        "stage": stages["offer"].pk,
        "after": existing.pk,
        "before": None,
        "at": "end",
    }
    # Its neighbour was there: the board is up to date and need not be redrawn.
    assert set(triggers(response)) == {"dealMoved"}


def test_the_moved_card_is_the_card_a_fresh_read_draws(client, alice):
    """The answer draws the card from the deal as the service read it before the move;
    past the middle of the pipeline it now lacks a decision maker, as a fresh read says."""
    pipeline = PipelineFactory(name="Renewals")
    first, _, last = (
        StageFactory(pipeline=pipeline, name=name, position=position)
        for position, name in enumerate(["Contact", "Demo", "Contract"], start=1)
    )
    deal = OpportunityFactory(stage=first, owner=alice, value=Decimal("1200.00"))
    TaskFactory(opportunity=deal, assignee=alice)
    client.force_login(alice)

    answer = post_move(client, deal, last)

    fresh = client.get(reverse("pipeline:card", args=[deal.pk]), headers=HTMX)
    moved = element(answer.content, "li", id=f"deal-{deal.pk}")
    drawn_anew = element(fresh.content, "li", id=f"deal-{deal.pk}")
    assert "No decision maker" in moved.text
    assert moved.text == drawn_anew.text
    assert {**moved.attrs, "hx-swap-oob": ""} == {**drawn_anew.attrs, "hx-swap-oob": ""}


def test_a_drop_next_to_cards_that_left_the_column_ends_it_and_redraws_the_stale_board(
    client, alice, bob, stages
):
    # Given alice's board shows Bob's deal in Offer, but Bob has moved it on meanwhile
    existing = ready_for_offer(stages["offer"], alice)
    gone = ready_for_offer(stages["won"], bob)
    deal = ready_for_offer(stages["qualification"], alice)
    client.force_login(alice)

    # When she drops her deal just above it
    response = post_move(client, deal, stages["offer"], before=gone.pk)

    # Then her deal goes to the end of Offer, and her board is told to redraw itself
    assert response.status_code == 200
    deal.refresh_from_db()
    assert deal.position > existing.position
    assert triggers(response)["dealMoved"]["at"] == "end"
    assert "boardRefresh" in triggers(response)


def test_reorder_within_a_column_leaves_headers_alone_and_writes_no_history(client, alice, stages):
    first = OpportunityFactory(stage=stages["qualification"], owner=alice, position=POSITION_GAP)
    second = OpportunityFactory(
        stage=stages["qualification"], owner=alice, position=2 * POSITION_GAP
    )
    client.force_login(alice)

    response = post_move(client, second, stages["qualification"], before=first.pk)

    assert response.status_code == 200
    second.refresh_from_db()
    assert second.position < first.position
    assert not StageChange.objects.exists()
    content = response.content.decode()
    # Counts and totals cannot change when a card only changes place: no header is resent.
    assert set(out_of_band(response)) == {f"deal-{second.pk}", "#board-status"}
    assert "within Qualification" in content


def test_headers_after_a_move_count_only_deals_matching_the_boards_filters(
    client, alice, bob, stages
):
    OpportunityFactory(stage=stages["offer"], owner=bob, value=Decimal("900.00"))
    deal = ready_for_offer(stages["qualification"], alice)
    client.force_login(alice)

    response = post_move(client, deal, stages["offer"], query="owner=me")

    content = response.content.decode()
    assert "5,000 EUR" in content
    assert "5,900 EUR" not in content
    # The card's own "Move to" form keeps the filters for the next move.
    assert f"{move_url(deal)}?owner=me" in content


def test_move_to_won_closes_the_deal_and_lands_at_the_top_of_the_column(client, alice, stages):
    deal = OpportunityFactory(stage=stages["qualification"], owner=alice)
    client.force_login(alice)

    response = post_move(client, deal, stages["won"])

    deal.refresh_from_db()
    assert (deal.status, deal.stage) == (OpportunityStatus.WON, stages["won"])
    assert triggers(response)["dealMoved"]["at"] == "start"


def test_without_javascript_a_move_redirects_back_to_the_filtered_board(client, alice, stages):
    deal = OpportunityFactory(stage=stages["qualification"], owner=alice, title="Rollout")
    client.force_login(alice)

    response = post_move(client, deal, stages["won"], htmx=False, query="owner=me&q=roll")

    assert response.status_code == 303
    board = reverse("pipeline:board", args=[stages["won"].pipeline_id])
    assert response["Location"] == f"{board}?owner=me&q=roll"
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["Moved “Rollout” to Won."]
    assert Opportunity.objects.get(pk=deal.pk).stage == stages["won"]


# --- Conflicts ------------------------------------------------------------------------------


def test_stale_version_is_409_naming_who_moved_it_and_nothing_changes(client, alice, maria, stages):
    # Given alice's board shows her deal at version 1, and maria moved it meanwhile
    maria.first_name, maria.last_name = "Maria", "Rossi"
    maria.save()
    deal = ready_for_offer(stages["qualification"], alice)
    stale_version = deal.version
    client.force_login(maria)
    post_move(client, deal, stages["offer"])
    client.force_login(alice)

    # When alice drags the card with the version she saw
    response = client.post(
        move_url(deal),
        {
            "stage": stages["won"].pk,
            "version": stale_version,
            "from_stage": stages["qualification"].pk,
        },
        headers=HTMX,
    )

    # Then she is told who won the race, and the board is redrawn
    assert response.status_code == 409
    assert "Maria Rossi moved this deal first; it is now in Offer." in response.content.decode()
    assert response["HX-Retarget"] == "#board-status"
    assert set(triggers(response)) == {"moveFailed", "boardRefresh"}
    assert triggers(response)["moveFailed"] == {"id": deal.pk}
    deal.refresh_from_db()
    assert (deal.stage, deal.version) == (stages["offer"], 2)
    assert StageChange.objects.filter(opportunity=deal).count() == 1


def test_conflict_on_an_edit_in_the_same_stage_says_changed(client, alice, bob, stages):
    deal = OpportunityFactory(stage=stages["qualification"], owner=alice, version=3)
    Opportunity.objects.filter(pk=deal.pk).update(updated_by=bob)
    client.force_login(alice)

    response = client.post(
        move_url(deal),
        {"stage": stages["won"].pk, "version": 2, "from_stage": stages["qualification"].pk},
        headers=HTMX,
    )

    assert response.status_code == 409
    assert f"{bob} changed this deal first" in response.content.decode()


def test_conflict_without_javascript_redirects_with_the_message(client, alice, stages):
    deal = OpportunityFactory(stage=stages["qualification"], owner=alice, version=2)
    client.force_login(alice)

    response = client.post(move_url(deal), {"stage": stages["won"].pk, "version": 1})

    assert response.status_code == 303
    [message] = get_messages(response.wsgi_request)
    assert "changed this deal first" in str(message)


# --- Entry criteria and lost reasons: the dialog --------------------------------------------


def test_unmet_criteria_are_422_with_a_dialog_listing_them_with_inputs(client, alice, stages):
    deal = OpportunityFactory(
        stage=stages["qualification"], owner=alice, value=Decimal("0"), expected_close_date=None
    )
    client.force_login(alice)

    response = post_move(client, deal, stages["offer"], after="", before="")

    assert response.status_code == 422
    assert response["HX-Retarget"] == "#board-dialog-content"
    assert triggers(response)["moveFailed"] == {"id": deal.pk}
    content = response.content.decode()
    assert "Offer needs:" in content
    assert "<li>Value</li>" in content
    assert "<li>Expected close date</li>" in content
    assert 'name="value"' in content
    assert 'name="expected_close_date"' in content
    assert 'name="contact"' not in content
    assert f'name="version" value="{deal.version}"' in content
    assert Opportunity.objects.get(pk=deal.pk).stage == stages["qualification"]


def test_dialog_retry_with_the_missing_fields_moves_the_deal(client, alice, stages):
    deal = OpportunityFactory(
        stage=stages["qualification"], owner=alice, value=Decimal("0"), expected_close_date=None
    )
    client.force_login(alice)

    response = post_move(
        client,
        deal,
        stages["offer"],
        dialog="1",
        value="2500.00",
        expected_close_date="2027-02-01",
    )

    assert response.status_code == 200
    deal.refresh_from_db()
    assert (deal.stage, deal.value, deal.expected_close_date) == (
        stages["offer"],
        Decimal("2500.00"),
        dt.date(2027, 2, 1),
    )


def test_dialog_retry_still_missing_a_field_shows_the_dialog_again_with_the_input_kept(
    client, alice, stages
):
    deal = OpportunityFactory(
        stage=stages["qualification"], owner=alice, value=Decimal("0"), expected_close_date=None
    )
    client.force_login(alice)

    response = post_move(client, deal, stages["offer"], dialog="1", value="2500.00")

    assert response.status_code == 422
    content = response.content.decode()
    assert 'value="2500.00"' in content
    assert "<li>Expected close date</li>" in content
    assert Opportunity.objects.get(pk=deal.pk).value == Decimal("0")


def test_dialog_offers_the_companys_visible_contacts_and_the_whole_checklist(client, alice, stages):
    deal = OpportunityFactory(
        stage=stages["qualification"], owner=alice, checklist_done=["Budget confirmed", "NDA"]
    )
    own = ContactFactory(company=deal.company, owner=alice, last_name="Own")
    elsewhere = ContactFactory(owner=alice, last_name="Elsewhere")
    client.force_login(alice)

    response = post_move(client, deal, stages["negotiation"])

    content = response.content.decode()
    assert response.status_code == 422
    assert f'value="{own.pk}"' in content
    assert f'value="{elsewhere.pk}"' not in content
    # Every item of the stage's checklist, the done one ticked; other stages' ticks kept.
    assert 'value="Budget confirmed" id="id_checklist_0" checked' in content
    assert 'value="Decision maker met" id="id_checklist_1">' in content
    assert '<input type="hidden" name="checklist" value="NDA">' in content
    assert "needs an open task" in content


def test_dialog_retry_with_contact_and_checklist_keeps_other_ticks(client, alice, stages):
    stage = stages["negotiation"]
    stage.entry_fields = [EntryField.CONTACT]
    stage.save()
    deal = OpportunityFactory(stage=stages["qualification"], owner=alice, checklist_done=["NDA"])
    contact = ContactFactory(company=deal.company, owner=alice)
    client.force_login(alice)

    response = client.post(
        move_url(deal),
        {
            "stage": stage.pk,
            "version": 1,
            "dialog": "1",
            "contact": contact.pk,
            "checklist_shown": "1",
            "checklist": ["NDA", "Budget confirmed", "Decision maker met"],
        },
        headers=HTMX,
    )

    assert response.status_code == 200
    deal.refresh_from_db()
    assert deal.contact == contact
    assert deal.checklist_done == ["Budget confirmed", "Decision maker met", "NDA"]


def test_contact_of_another_company_is_refused_in_the_dialog(client, alice, stages):
    deal = OpportunityFactory(stage=stages["qualification"], owner=alice)
    stranger = ContactFactory(owner=alice)
    client.force_login(alice)

    response = post_move(client, deal, stages["negotiation"], dialog="1", contact=stranger.pk)

    assert response.status_code == 422
    assert "Choose a contact of this deal&#x27;s company." in response.content.decode()
    assert Opportunity.objects.get(pk=deal.pk).contact is None


def test_moving_to_lost_asks_for_a_reason_then_closes_the_deal(client, alice, stages):
    deal = OpportunityFactory(stage=stages["qualification"], owner=alice, title="Rollout")
    client.force_login(alice)

    asked = post_move(client, deal, stages["lost"])

    assert asked.status_code == 422
    content = asked.content.decode()
    assert "Mark “Rollout” as lost" in content
    assert 'name="lost_reason"' in content
    assert Opportunity.objects.get(pk=deal.pk).status == OpportunityStatus.OPEN

    moved = post_move(client, deal, stages["lost"], dialog="1", lost_reason="Chose a rival")

    assert moved.status_code == 200
    deal.refresh_from_db()
    assert (deal.status, deal.lost_reason) == (OpportunityStatus.LOST, "Chose a rival")


def test_without_javascript_unmet_criteria_show_the_dialog_as_a_page(client, alice, stages):
    deal = OpportunityFactory(stage=stages["qualification"], owner=alice, value=Decimal("0"))
    client.force_login(alice)

    response = post_move(client, deal, stages["offer"], htmx=False)

    assert response.status_code == 422
    content = response.content.decode()
    assert "<!doctype html>" in content
    assert f'action="{move_url(deal)}"' in content
    assert 'name="expected_close_date"' in content


def test_other_validation_errors_are_422_with_the_message(client, alice, stages):
    deal = OpportunityFactory(stage=stages["qualification"], owner=alice)
    elsewhere = StageFactory(name="Another pipeline's stage")
    client.force_login(alice)

    response = post_move(client, deal, elsewhere)

    assert response.status_code == 422
    assert "Choose a stage of this deal&#x27;s pipeline." in response.content.decode()
    assert response["HX-Retarget"] == "#board-status"
    assert triggers(response)["moveFailed"] == {"id": deal.pk}


def test_an_unreadable_move_is_400_and_changes_nothing(client, alice, stages):
    deal = OpportunityFactory(stage=stages["qualification"], owner=alice)
    client.force_login(alice)

    response = client.post(move_url(deal), {"stage": "offer"}, headers=HTMX)

    assert response.status_code == 400
    assert Opportunity.objects.get(pk=deal.pk).version == 1


# --- Who may move what ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mover", "owner", "status"),
    [
        ("alice", "alice", 200),  # her own deal
        ("bob", "alice", 403),  # a teammate's: visible, not his to change
        ("maria", "alice", 200),  # the manager of alice's team
        ("charlie", "alice", 404),  # another team's rep: not even visible
        ("sam", "alice", 404),  # another team's manager
        ("ada", "charlie", 200),  # an admin moves anyone's
    ],
)
def test_who_may_move_a_deal(client, request, stages, mover, owner, status):
    deal = OpportunityFactory(stage=stages["qualification"], owner=request.getfixturevalue(owner))
    client.force_login(request.getfixturevalue(mover))

    response = post_move(client, deal, stages["won"])

    assert response.status_code == status
    deal.refresh_from_db()
    if status == 200:
        assert deal.stage == stages["won"]
    else:
        assert (deal.stage, deal.version) == (stages["qualification"], 1)
        assert not StageChange.objects.exists()
        assert triggers(response)["moveFailed"] == {"id": deal.pk}
        assert response["HX-Retarget"] == "#board-status"


@pytest.mark.parametrize(("mover", "status"), [("bob", 403), ("charlie", 404)])
def test_without_javascript_refused_moves_are_plain_403_and_404(
    client, request, alice, stages, mover, status
):
    deal = OpportunityFactory(stage=stages["qualification"], owner=alice)
    client.force_login(request.getfixturevalue(mover))

    response = post_move(client, deal, stages["won"], htmx=False)

    assert response.status_code == status
    assert Opportunity.objects.get(pk=deal.pk).version == 1


def test_anonymous_htmx_move_is_sent_to_the_login_page(client, alice, stages):
    deal = OpportunityFactory(stage=stages["qualification"], owner=alice)

    response = post_move(client, deal, stages["won"])

    assert response.status_code == 401
    assert response["HX-Redirect"].startswith(reverse("login"))
    assert Opportunity.objects.get(pk=deal.pk).version == 1


def test_move_answers_get_with_its_page_and_refuses_other_methods(client, alice, stages):
    deal = OpportunityFactory(stage=stages["qualification"], owner=alice)
    client.force_login(alice)

    assert client.get(move_url(deal)).status_code == 200
    assert client.put(move_url(deal)).status_code == 405
    assert client.delete(move_url(deal)).status_code == 405
    deal.refresh_from_db()
    assert deal.stage == stages["qualification"]


# --- Cost -----------------------------------------------------------------------------------


def test_move_query_count_does_not_grow_with_the_columns(
    client, alice, stages, django_assert_num_queries
):
    offer = stages["offer"]
    column = [ready_for_offer(offer, alice) for _ in range(3)]
    small = ready_for_offer(stages["qualification"], alice)
    client.force_login(alice)

    with django_assert_num_queries(MOVE_QUERIES):
        response = post_move(client, small, offer, after=column[0].pk, before=column[1].pk)
    assert response.status_code == 200

    # Given 2,000 more deals in the two columns (some with open tasks), from many owners,
    # below the cards the move is dropped between
    owners = [UserFactory(team=alice.team) for _ in range(5)]
    below = max(Opportunity.objects.filter(stage=offer).values_list("position", flat=True))
    Opportunity.objects.bulk_create(
        Opportunity(
            title=f"Deal {n}",
            company=small.company,
            owner=owners[n % 5] if n % 2 else alice,
            pipeline=offer.pipeline,
            stage=offer if n % 2 else stages["qualification"],
            value=Decimal("100.00"),
            position=below + (n + 1) * POSITION_GAP,
        )
        for n in range(2000)
    )
    large = ready_for_offer(stages["qualification"], alice)

    with django_assert_num_queries(MOVE_QUERIES):
        response = post_move(client, large, offer, after=column[1].pk, before=column[2].pk)
    assert response.status_code == 200


def test_without_javascript_the_dialog_page_posts_the_move_and_returns_to_the_board(
    client, alice, stages
):
    deal = OpportunityFactory(
        stage=stages["qualification"], owner=alice, value=Decimal("0"), expected_close_date=None
    )
    client.force_login(alice)

    response = post_move(
        client,
        deal,
        stages["offer"],
        htmx=False,
        query="owner=me",
        dialog="1",
        value="900.00",
        expected_close_date="2027-04-30",
    )

    assert response.status_code == 303
    assert response["Location"].endswith("/board/?owner=me")
    assert Opportunity.objects.get(pk=deal.pk).stage == stages["offer"]
