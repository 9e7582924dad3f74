"""Pipeline and stage settings: what the services allow, refuse and write."""

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from forecasting.models import PipelineSnapshot
from pipeline.models import (
    POSITION_GAP,
    EntryField,
    Opportunity,
    OpportunityStatus,
    Pipeline,
    Stage,
    StageChange,
    StageKind,
)
from pipeline.services import (
    add_stage,
    create_pipeline,
    delete_stage,
    move_opportunity,
    rename_pipeline,
    reorder_stages,
    set_pipeline_active,
    set_stage_probability,
    update_stage,
)
from tests.factories import OpportunityFactory, PipelineFactory, StageFactory


@pytest.fixture
def pipeline(db):
    return PipelineFactory(name="New business")


@pytest.fixture
def stages(pipeline):
    """Qualification, Proposal, Won, Lost at positions 1..4."""
    return {
        "qualification": StageFactory(pipeline=pipeline, name="Qualification", position=1),
        "proposal": StageFactory(pipeline=pipeline, name="Proposal", position=2, probability=60),
        "won": StageFactory(
            pipeline=pipeline, name="Won", position=3, probability=100, kind=StageKind.WON
        ),
        "lost": StageFactory(
            pipeline=pipeline, name="Lost", position=4, probability=0, kind=StageKind.LOST
        ),
    }


def names_in_order(pipeline):
    return list(
        Stage.objects.in_use()
        .filter(pipeline=pipeline)
        .order_by("position")
        .values_list("name", flat=True)
    )


def field_errors(excinfo):
    return excinfo.value.message_dict


# --- pipelines --------------------------------------------------------------------------------


def test_new_pipeline_is_inactive_with_a_won_and_a_lost_stage(db):
    PipelineFactory(name="Existing", position=4)

    pipeline = create_pipeline(name="  Partner   deals ")

    assert pipeline.name == "Partner deals"
    assert pipeline.position == 5
    assert pipeline.is_active is False
    stages = list(pipeline.stages.order_by("position"))
    assert [(s.name, s.kind, s.probability, s.position) for s in stages] == [
        ("Won", StageKind.WON, 100, 1),
        ("Lost", StageKind.LOST, 0, 2),
    ]


def test_pipeline_names_are_required_and_unique(pipeline):
    with pytest.raises(ValidationError) as excinfo:
        create_pipeline(name="   ")
    assert "name" in field_errors(excinfo)

    with pytest.raises(ValidationError) as excinfo:
        create_pipeline(name="New business")
    assert field_errors(excinfo) == {"name": ["A pipeline called New business already exists."]}
    assert Pipeline.objects.count() == 1


def test_rename_pipeline_refuses_a_taken_name(pipeline):
    other = PipelineFactory(name="Renewals")

    rename_pipeline(pipeline=pipeline, name="Enterprise")
    with pytest.raises(ValidationError) as excinfo:
        rename_pipeline(pipeline=other, name="Enterprise")

    pipeline.refresh_from_db()
    other.refresh_from_db()
    assert (pipeline.name, other.name) == ("Enterprise", "Renewals")
    assert "name" in field_errors(excinfo)


def test_activating_a_pipeline_needs_an_open_stage(db):
    pipeline = create_pipeline(name="Partners")

    with pytest.raises(ValidationError) as excinfo:
        set_pipeline_active(pipeline=pipeline, is_active=True)
    assert "is_active" in field_errors(excinfo)

    add_stage(pipeline=pipeline, name="Intro", probability=10)
    set_pipeline_active(pipeline=pipeline, is_active=True)
    pipeline.refresh_from_db()
    assert pipeline.is_active is True

    set_pipeline_active(pipeline=pipeline, is_active=False)
    pipeline.refresh_from_db()
    assert pipeline.is_active is False


# --- adding and editing stages ----------------------------------------------------------------


def test_open_stage_is_added_before_the_closing_stages(stages):
    pipeline = stages["won"].pipeline

    stage = add_stage(
        pipeline=pipeline,
        name="Negotiation",
        probability=80,
        rotting_days=10,
        entry_fields=[EntryField.VALUE, EntryField.VALUE, EntryField.EXPECTED_CLOSE_DATE],
        entry_checklist=["  Budget   confirmed ", "", "Budget confirmed", "Decision maker met"],
    )

    assert names_in_order(pipeline) == ["Qualification", "Proposal", "Negotiation", "Won", "Lost"]
    assert list(pipeline.stages.order_by("position").values_list("position", flat=True)) == [
        1,
        2,
        3,
        4,
        5,
    ]
    stage.refresh_from_db()
    assert stage.entry_fields == ["value", "expected_close_date"]
    assert stage.entry_checklist == ["Budget confirmed", "Decision maker met"]
    assert stage.rotting_days == 10


def test_closing_stage_is_added_at_the_end(stages):
    pipeline = stages["won"].pipeline

    add_stage(pipeline=pipeline, name="Lost - no budget", probability=0, kind=StageKind.LOST)
    add_stage(pipeline=pipeline, name="Discovery", probability=15)

    assert names_in_order(pipeline) == [
        "Qualification",
        "Proposal",
        "Discovery",
        "Won",
        "Lost",
        "Lost - no budget",
    ]


def test_first_open_stage_of_a_new_pipeline_comes_before_won_and_lost(db):
    pipeline = create_pipeline(name="Partners")

    add_stage(pipeline=pipeline, name="Intro", probability=10)

    assert names_in_order(pipeline) == ["Intro", "Won", "Lost"]


@pytest.mark.parametrize(
    ("kind", "probability", "extra", "field"),
    [
        (StageKind.OPEN, 101, {}, "probability"),
        (StageKind.OPEN, -1, {}, "probability"),
        (StageKind.WON, 90, {}, "probability"),
        (StageKind.LOST, 10, {}, "probability"),
        (StageKind.OPEN, 20, {"rotting_days": 0}, "rotting_days"),
        (StageKind.WON, 100, {"rotting_days": 5}, "rotting_days"),
        (StageKind.OPEN, 20, {"entry_fields": ["budget"]}, "entry_fields"),
        (StageKind.LOST, 0, {"entry_fields": [EntryField.VALUE]}, "entry_fields"),
        (StageKind.LOST, 0, {"entry_checklist": ["Reason noted"]}, "entry_checklist"),
        (StageKind.OPEN, 20, {"entry_checklist": ["x" * 101]}, "entry_checklist"),
        (
            StageKind.OPEN,
            20,
            {"entry_checklist": [f"item {n}" for n in range(21)]},
            "entry_checklist",
        ),
        (StageKind.OPEN, 20, {"name": " "}, "name"),
        (StageKind.OPEN, 20, {"name": "Qualification"}, "name"),
        ("maybe", 20, {}, "kind"),
    ],
)
def test_bad_stage_settings_are_refused_naming_the_field(stages, kind, probability, extra, field):
    pipeline = stages["won"].pipeline
    arguments = {"name": "New stage", **extra}

    with pytest.raises(ValidationError) as excinfo:
        add_stage(pipeline=pipeline, kind=kind, probability=probability, **arguments)

    assert field in field_errors(excinfo)
    assert pipeline.stages.count() == 4


def test_won_stage_may_have_entry_criteria(stages):
    stage = add_stage(
        pipeline=stages["won"].pipeline,
        name="Won - signed",
        probability=100,
        kind=StageKind.WON,
        entry_fields=[EntryField.VALUE],
        entry_checklist=["Contract signed"],
    )

    assert (stage.entry_fields, stage.entry_checklist) == (["value"], ["Contract signed"])


def test_update_stage_changes_settings_but_not_kind_or_position(stages):
    stage = stages["proposal"]

    update_stage(
        stage=stage,
        name="Offer",
        probability=55,
        rotting_days=None,
        entry_fields=[EntryField.CONTACT],
        entry_checklist=["Pricing approved"],
    )

    stage.refresh_from_db()
    assert (stage.name, stage.probability, stage.rotting_days) == ("Offer", 55, None)
    assert (stage.entry_fields, stage.entry_checklist) == (["contact"], ["Pricing approved"])
    assert (stage.kind, stage.position) == (StageKind.OPEN, 2)


def test_update_keeps_closing_probabilities(stages):
    with pytest.raises(ValidationError) as excinfo:
        update_stage(
            stage=stages["won"],
            name="Won",
            probability=90,
            rotting_days=None,
            entry_fields=[],
            entry_checklist=[],
        )

    assert field_errors(excinfo) == {"probability": ["A won stage is always 100 %."]}
    stages["won"].refresh_from_db()
    assert stages["won"].probability == 100


def test_update_refuses_a_name_another_stage_has(stages):
    with pytest.raises(ValidationError) as excinfo:
        update_stage(
            stage=stages["proposal"],
            name="Qualification",
            probability=60,
            rotting_days=14,
            entry_fields=[],
            entry_checklist=[],
        )

    assert field_errors(excinfo) == {
        "name": ["This pipeline already has a stage called Qualification."]
    }


def test_name_of_an_archived_stage_can_be_reused(stages, ada):
    OpportunityFactory(stage=stages["proposal"])
    delete_stage(stage=stages["proposal"], move_deals_to=stages["qualification"], by=ada)

    reborn = add_stage(pipeline=stages["won"].pipeline, name="Proposal", probability=50)

    archived = Stage.objects.get(pk=stages["proposal"].pk)
    assert (archived.name, reborn.name) == ("Proposal", "Proposal")
    assert archived.archived_at is not None
    assert reborn.archived_at is None


# --- reordering -------------------------------------------------------------------------------


def test_reorder_sets_positions_one_to_n_in_the_given_order(stages):
    pipeline = stages["won"].pipeline
    order = [stages[name].pk for name in ("proposal", "qualification", "lost", "won")]

    reorder_stages(pipeline=pipeline, stage_ids=order)

    assert list(pipeline.stages.order_by("position").values_list("pk", "position")) == list(
        zip(order, [1, 2, 3, 4], strict=True)
    )


@pytest.mark.parametrize(
    "order",
    [
        ["qualification", "proposal", "won"],  # a stage missing
        ["qualification", "proposal", "won", "lost", "lost"],  # a stage twice
        ["qualification", "won", "proposal", "lost"],  # an open stage after a closing one
    ],
)
def test_reorder_refuses_a_list_that_does_not_fit(stages, order):
    pipeline = stages["won"].pipeline

    with pytest.raises(ValidationError) as excinfo:
        reorder_stages(pipeline=pipeline, stage_ids=[stages[name].pk for name in order])

    assert "stage_ids" in field_errors(excinfo)
    assert names_in_order(pipeline) == ["Qualification", "Proposal", "Won", "Lost"]


def test_reorder_refuses_a_stage_of_another_pipeline_or_an_archived_one(stages, ada):
    pipeline = stages["won"].pipeline
    foreign = StageFactory(name="Elsewhere")
    base = [stages[name].pk for name in ("qualification", "proposal", "won", "lost")]

    with pytest.raises(ValidationError):
        reorder_stages(pipeline=pipeline, stage_ids=[foreign.pk, *base])

    OpportunityFactory(stage=stages["proposal"])
    delete_stage(stage=stages["proposal"], move_deals_to=stages["qualification"], by=ada)
    with pytest.raises(ValidationError):
        reorder_stages(pipeline=pipeline, stage_ids=base)
    reorder_stages(pipeline=pipeline, stage_ids=[pk for pk in base if pk != stages["proposal"].pk])


# --- removing ---------------------------------------------------------------------------------


def test_deleting_a_stage_without_deals_or_history_deletes_it(stages, ada):
    removal = delete_stage(stage=stages["proposal"], move_deals_to=None, by=ada)

    assert removal.moved == 0
    assert removal.archived is False
    assert not Stage.objects.filter(name="Proposal").exists()


def test_deleting_a_stage_moves_its_deals_and_archives_it(stages, alice, ada):
    # Given two deals in Proposal and one already in Qualification
    source, target = stages["proposal"], stages["qualification"]
    waiting = OpportunityFactory(stage=target, owner=alice, position=5 * POSITION_GAP)
    first = OpportunityFactory(stage=source, owner=alice, position=POSITION_GAP)
    second = OpportunityFactory(stage=source, owner=alice, position=2 * POSITION_GAP)
    before = timezone.now()

    # When Proposal is removed, its deals going to Qualification
    removal = delete_stage(stage=source, move_deals_to=target, by=ada)

    # Then both deals are in Qualification, below the card that was there, in their order
    assert (removal.moved, removal.archived, removal.target) == (2, True, target)
    column = list(Opportunity.objects.filter(stage=target).order_by("position"))
    assert column == [waiting, first, second]
    for deal in (first, second):
        deal.refresh_from_db()
        assert deal.version == 2
        assert deal.updated_by == ada
        assert deal.stage_entered_at >= before
        assert deal.status == OpportunityStatus.OPEN
        change = StageChange.objects.get(opportunity=deal)
        assert (change.from_stage, change.to_stage, change.by) == (source, target, ada)
        assert change.at == deal.stage_entered_at == deal.updated_at
    waiting.refresh_from_db()
    assert waiting.version == 1
    assert not StageChange.objects.filter(opportunity=waiting).exists()
    # and Proposal is archived, not deleted: the history still points at it
    source.refresh_from_db()
    assert source.archived_at is not None
    assert not Stage.objects.in_use().filter(pk=source.pk).exists()


def test_closed_deals_move_between_closing_stages_of_the_same_kind(stages, ada):
    pipeline = stages["won"].pipeline
    no_budget = add_stage(
        pipeline=pipeline, name="Lost - no budget", probability=0, kind=StageKind.LOST
    )
    closed_at = timezone.now() - dt.timedelta(days=3)
    deal = OpportunityFactory(
        stage=no_budget, status=OpportunityStatus.LOST, closed_at=closed_at, lost_reason="Budget"
    )

    removal = delete_stage(stage=no_budget, move_deals_to=stages["lost"], by=ada)

    deal.refresh_from_db()
    assert removal.moved == 1
    assert (deal.stage, deal.status, deal.lost_reason) == (stages["lost"], "lost", "Budget")
    assert deal.closed_at == closed_at
    assert StageChange.objects.filter(
        opportunity=deal, from_stage=no_budget, to_stage=stages["lost"]
    ).exists()


def test_moving_deals_is_set_based(stages, ada):
    small = stages["proposal"]
    large = StageFactory(pipeline=small.pipeline, name="Demo", position=2)
    OpportunityFactory.create_batch(2, stage=small)
    OpportunityFactory.create_batch(25, stage=large)
    target = stages["qualification"]

    with CaptureQueriesContext(connection) as small_queries:
        delete_stage(stage=small, move_deals_to=target, by=ada)
    with CaptureQueriesContext(connection) as large_queries:
        delete_stage(stage=large, move_deals_to=target, by=ada)

    assert len(large_queries) == len(small_queries)
    assert StageChange.objects.filter(to_stage=target).count() == 27


@pytest.mark.parametrize("target", [None, "foreign", "won", "itself"])
def test_deals_need_a_suitable_target(stages, ada, target):
    deal = OpportunityFactory(stage=stages["proposal"])
    targets = {
        None: None,
        "foreign": StageFactory(name="Elsewhere"),
        "won": stages["won"],
        "itself": stages["proposal"],
    }

    with pytest.raises(ValidationError) as excinfo:
        delete_stage(stage=stages["proposal"], move_deals_to=targets[target], by=ada)

    assert "move_deals_to" in field_errors(excinfo)
    deal.refresh_from_db()
    assert (deal.stage, deal.version) == (stages["proposal"], 1)
    assert Stage.objects.in_use().filter(pk=stages["proposal"].pk).exists()


def test_an_archived_stage_takes_no_deals(stages, ada):
    OpportunityFactory(stage=stages["proposal"])
    delete_stage(stage=stages["proposal"], move_deals_to=stages["qualification"], by=ada)
    OpportunityFactory(stage=stages["qualification"])
    add_stage(pipeline=stages["won"].pipeline, name="Demo", probability=40)

    with pytest.raises(ValidationError) as excinfo:
        delete_stage(stage=stages["qualification"], move_deals_to=stages["proposal"], by=ada)

    assert "move_deals_to" in field_errors(excinfo)


@pytest.mark.parametrize("kind", ["won", "lost"])
def test_last_won_or_lost_stage_cannot_be_removed(stages, ada, kind):
    with pytest.raises(ValidationError) as excinfo:
        delete_stage(stage=stages[kind], move_deals_to=None, by=ada)

    assert f"needs a {kind} stage" in excinfo.value.messages[0]
    assert Stage.objects.filter(pk=stages[kind].pk).exists()


def test_a_second_won_stage_can_be_removed(stages, ada):
    extra = add_stage(
        pipeline=stages["won"].pipeline, name="Won - upsell", probability=100, kind=StageKind.WON
    )

    delete_stage(stage=extra, move_deals_to=None, by=ada)

    assert not Stage.objects.filter(pk=extra.pk).exists()


def test_last_open_stage_of_an_active_pipeline_stays(db, ada):
    pipeline = create_pipeline(name="Partners")
    intro = add_stage(pipeline=pipeline, name="Intro", probability=10)
    set_pipeline_active(pipeline=pipeline, is_active=True)

    with pytest.raises(ValidationError):
        delete_stage(stage=intro, move_deals_to=None, by=ada)

    set_pipeline_active(pipeline=pipeline, is_active=False)
    delete_stage(stage=intro, move_deals_to=None, by=ada)
    assert names_in_order(pipeline) == ["Won", "Lost"]


def test_a_stage_in_nightly_snapshots_is_archived_not_deleted(stages, alice, ada):
    deal = OpportunityFactory(stage=stages["qualification"], owner=alice)
    PipelineSnapshot.objects.create(
        taken_on=dt.date(2026, 1, 5),
        opportunity=deal,
        pipeline=deal.pipeline,
        stage=stages["proposal"],
        owner=alice,
        value=Decimal("1000.00"),
        currency="EUR",
        probability=60,
        forecast_category="pipeline",
    )

    removal = delete_stage(stage=stages["proposal"], move_deals_to=None, by=ada)

    assert removal.archived is True
    assert PipelineSnapshot.objects.filter(stage=stages["proposal"]).count() == 1


def test_an_archived_stage_cannot_be_removed_or_edited_again(stages, ada):
    OpportunityFactory(stage=stages["proposal"])
    delete_stage(stage=stages["proposal"], move_deals_to=stages["qualification"], by=ada)
    stages["proposal"].refresh_from_db()

    with pytest.raises(ValidationError):
        delete_stage(stage=stages["proposal"], move_deals_to=None, by=ada)
    with pytest.raises(ValidationError):
        update_stage(
            stage=stages["proposal"],
            name="Back",
            probability=10,
            rotting_days=None,
            entry_fields=[],
            entry_checklist=[],
        )


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locking")
@pytest.mark.django_db(transaction=True)
def test_removal_waits_for_a_move_holding_the_stage_and_carries_its_deal_along(stages, alice, ada):
    # Given a rep's move of a deal into Proposal, not yet committed, that holds the Proposal
    # row as a move must (KEY SHARE: Django checks foreign keys only at commit)
    deal = OpportunityFactory(stage=stages["qualification"], owner=alice)
    proposal, qualification = stages["proposal"], stages["qualification"]
    moved, release = threading.Event(), threading.Event()
    removals = []

    def move_and_hold() -> None:
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT id FROM pipeline_stage WHERE id = %s AND archived_at IS NULL"
                        " FOR KEY SHARE",
                        [proposal.pk],
                    )
                move_opportunity(
                    opportunity_id=deal.pk, by=alice, to_stage_id=proposal.pk, version=1
                )
                moved.set()
                release.wait(10)
        finally:
            connection.close()

    def remove() -> None:
        try:
            removals.append(delete_stage(stage=proposal, move_deals_to=qualification, by=ada))
        finally:
            connection.close()

    mover = threading.Thread(target=move_and_hold)
    mover.start()
    assert moved.wait(10)

    # When an admin removes Proposal meanwhile
    remover = threading.Thread(target=remove)
    remover.start()
    remover.join(0.5)

    # Then the removal waits for the move (its lock on the stage row) ...
    assert remover.is_alive()
    release.set()
    mover.join(10)
    remover.join(10)
    # ... and then carries the deal along: no deal is left behind in an archived stage
    assert removals[0].moved == 1
    assert removals[0].archived is True
    deal.refresh_from_db()
    assert (deal.stage, deal.version) == (qualification, 3)
    history = [(c.from_stage, c.to_stage) for c in StageChange.objects.filter(opportunity=deal)]
    assert history == [(qualification, proposal), (proposal, qualification)]


def test_set_stage_probability_changes_only_the_probability(stages):
    stage = set_stage_probability(stage=stages["proposal"], probability=35)

    stage.refresh_from_db()
    assert (stage.name, stage.probability, stage.position) == ("Proposal", 35, 2)


@pytest.mark.parametrize(("name", "probability"), [("proposal", 101), ("won", 90), ("lost", 0)])
def test_set_stage_probability_refuses_bad_values_and_closing_stages(stages, name, probability):
    with pytest.raises(ValidationError) as excinfo:
        set_stage_probability(stage=stages[name], probability=probability)

    assert "probability" in field_errors(excinfo)
    stages[name].refresh_from_db()
    assert stages[name].probability == {"proposal": 60, "won": 100, "lost": 0}[name]


def test_set_stage_probability_of_a_removed_stage_is_refused(stages):
    Stage.objects.filter(pk=stages["proposal"].pk).update(archived_at=timezone.now())

    with pytest.raises(ValidationError):
        set_stage_probability(stage=stages["proposal"], probability=30)
