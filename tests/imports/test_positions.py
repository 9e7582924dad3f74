"""Deals an import puts into a stage go to the end of its column, in the file's order."""

from pipeline.models import POSITION_GAP, Opportunity, StageChange
from tests.factories import OpportunityFactory
from tests.imports.importing import run_import


def positions(stage_name: str) -> list[tuple[str, int]]:
    return list(
        Opportunity.objects.filter(stage__name=stage_name)
        .order_by("position", "pk")
        .values_list("title", "position")
    )


def test_deals_entering_a_column_follow_its_last_card_in_file_order(alice, acme, pipeline):
    prospecting = pipeline.stages.get(name="Prospecting")
    OpportunityFactory(title="First", owner=alice, company=acme, stage=prospecting, position=10)
    OpportunityFactory(title="Last", owner=alice, company=acme, stage=prospecting, position=900)
    rows = "".join(f"D-{number},Deal {number},C-1,Prospecting\n" for number in range(5))

    # Batches of two: the order holds across batches.
    run_import(alice, "deals", "external_id,title,company,stage\n" + rows, batch_size=2)

    assert positions("Prospecting") == [
        ("First", 10),
        ("Last", 900),
        *[(f"Deal {number}", 900 + (number + 1) * POSITION_GAP) for number in range(5)],
    ]


def test_each_column_is_placed_on_its_own_and_an_empty_one_starts_at_one_gap(alice, acme, pipeline):
    proposal = pipeline.stages.get(name="Proposal")
    OpportunityFactory(title="Old", owner=alice, company=acme, stage=proposal, position=5)
    content = """external_id,title,company,stage,lost_reason
D-1,A,C-1,Prospecting,
D-2,B,C-1,Proposal,
D-3,C,C-1,Prospecting,
D-4,D,C-1,Lost,Budget cut
D-5,E,C-1,Proposal,
"""

    run_import(alice, "deals", content, batch_size=3)

    assert positions("Prospecting") == [("A", POSITION_GAP), ("C", 2 * POSITION_GAP)]
    assert positions("Proposal") == [
        ("Old", 5),
        ("B", 5 + POSITION_GAP),
        ("E", 5 + 2 * POSITION_GAP),
    ]
    assert positions("Lost") == [("D", POSITION_GAP)]


def test_a_reimport_moving_a_deal_puts_it_last_and_one_staying_keeps_its_place(
    alice, acme, pipeline
):
    run_import(alice, "deals", "external_id,title,company,stage\nD-1,A,C-1,Prospecting\n")
    run_import(alice, "deals", "external_id,title,company,stage\nD-2,B,C-1,Proposal\n")
    stayed = Opportunity.objects.get(external_id="D-2")

    result = run_import(
        alice,
        "deals",
        "external_id,title,company,stage\nD-1,A,C-1,Proposal\nD-2,B2,C-1,Proposal\n",
    )

    assert (result.outcome.updated, result.outcome.rejected) == (2, 0)
    assert positions("Proposal") == [("B2", stayed.position), ("A", 2 * POSITION_GAP)]
    moved = Opportunity.objects.get(external_id="D-1")
    assert list(
        StageChange.objects.filter(opportunity=moved)
        .order_by("pk")
        .values_list("from_stage__name", "to_stage__name")
    ) == [(None, "Prospecting"), ("Prospecting", "Proposal")]


def test_a_rolled_back_import_leaves_no_deal_waiting_for_a_place(alice, acme, pipeline):
    content = "external_id,title,company,stage\nD-1,A,C-1,Prospecting\nD-2,B,C-1,Proposal\n"

    run_import(alice, "deals", content, dry_run=True)
    run_import(alice, "deals", content)

    assert Opportunity.objects.count() == 2
    assert sorted(Opportunity.objects.values_list("position", flat=True)) == [
        POSITION_GAP,
        POSITION_GAP,
    ]


def test_a_card_placed_while_the_import_runs_stays_before_the_imported_deals(alice, acme, pipeline):
    prospecting = pipeline.stages.get(name="Prospecting")
    OpportunityFactory(title="Old", owner=alice, company=acme, stage=prospecting, position=10)
    rows = "".join(f"D-{number},Deal {number},C-1,Prospecting\n" for number in range(4))

    def place_a_card_after_the_first_batch(rows_done: int) -> None:
        # Where a board move made meanwhile would put it: after the last committed card.
        if rows_done == 2:
            OpportunityFactory(
                title="Meanwhile",
                owner=alice,
                company=acme,
                stage=prospecting,
                position=10 + POSITION_GAP,
            )

    run_import(
        alice,
        "deals",
        "external_id,title,company,stage\n" + rows,
        batch_size=2,
        on_progress=place_a_card_after_the_first_batch,
    )

    meanwhile = 10 + POSITION_GAP
    assert positions("Prospecting") == [
        ("Old", 10),
        ("Meanwhile", meanwhile),
        *[(f"Deal {number}", meanwhile + (number + 1) * POSITION_GAP) for number in range(4)],
    ]
