"""What entering a stage does to a deal, the same through every door.

The rule lives in ``pipeline.stage_entry``; the board, the API, imports and new deals all go
through it, so a won deal dragged back to an open stage is back in the Pipeline forecast
category whichever way it was reopened, and the nightly snapshot sees it so.
"""

import datetime as dt
import importlib

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.utils import timezone

from forecasting.jobs import take_pipeline_snapshot
from forecasting.models import PipelineSnapshot
from pipeline.models import ForecastCategory, Opportunity, OpportunityStatus, StageKind
from pipeline.services import create_opportunity, move_opportunity, update_opportunity
from pipeline.stage_entry import forecast_category_problem, stage_entry_fields
from tests.factories import CompanyFactory, OpportunityFactory, PipelineFactory, StageFactory
from tests.imports.importing import run_import

NOW = dt.datetime(2026, 11, 23, 9, 30, tzinfo=dt.UTC)


@pytest.fixture
def stages(db):
    pipeline = PipelineFactory(name="Sales")
    return {
        "prospecting": StageFactory(pipeline=pipeline, name="Prospecting", position=1),
        "proposal": StageFactory(pipeline=pipeline, name="Proposal", position=2, probability=60),
        "won": StageFactory(
            pipeline=pipeline, name="Won", position=3, probability=100, kind=StageKind.WON
        ),
        "lost": StageFactory(
            pipeline=pipeline, name="Lost", position=4, probability=0, kind=StageKind.LOST
        ),
    }


def won_deal(stages, owner, **kwargs):
    return OpportunityFactory(
        stage=stages["won"],
        owner=owner,
        status=OpportunityStatus.WON,
        closed_at=NOW - dt.timedelta(days=3),
        forecast_category=ForecastCategory.CLOSED,
        **kwargs,
    )


# --- The rule ---------------------------------------------------------------------------------


def test_entering_a_won_stage_closes_the_deal_as_won(stages, alice):
    deal = OpportunityFactory(stage=stages["proposal"], owner=alice, forecast_category="commit")

    entered = stage_entry_fields(deal, stages["won"], at=NOW)

    assert entered == {
        "stage": stages["won"],
        "stage_entered_at": NOW,
        "stale_since": None,
        "status": OpportunityStatus.WON,
        "closed_at": NOW,
        "lost_reason": "",
        "forecast_category": ForecastCategory.CLOSED,
    }


def test_entering_a_lost_stage_needs_a_reason_and_takes_the_deal_out_of_the_forecast(stages, alice):
    deal = OpportunityFactory(stage=stages["proposal"], owner=alice)

    with pytest.raises(ValidationError) as refused:
        stage_entry_fields(deal, stages["lost"], at=NOW, lost_reason="  ")
    entered = stage_entry_fields(deal, stages["lost"], at=NOW, lost_reason=" Budget cut ")

    assert list(refused.value.message_dict) == ["lost_reason"]
    assert (entered["status"], entered["closed_at"], entered["lost_reason"]) == (
        OpportunityStatus.LOST,
        NOW,
        "Budget cut",
    )
    assert entered["forecast_category"] == ForecastCategory.OMITTED


@pytest.mark.parametrize("category", ["pipeline", "best_case", "commit", "omitted"])
def test_moving_between_open_stages_keeps_the_reps_forecast_call(stages, alice, category):
    deal = OpportunityFactory(stage=stages["prospecting"], owner=alice, forecast_category=category)

    entered = stage_entry_fields(deal, stages["proposal"], at=NOW)

    assert (entered["status"], entered["forecast_category"]) == (OpportunityStatus.OPEN, category)
    assert (entered["closed_at"], entered["stage_entered_at"]) == (None, NOW)


@pytest.mark.parametrize("closed_in", ["won", "lost"])
def test_a_reopened_deal_is_back_in_the_pipeline_category(stages, alice, closed_in):
    deal = OpportunityFactory(stage=stages[closed_in], owner=alice)
    closing = stage_entry_fields(deal, stages[closed_in], at=NOW, lost_reason="Budget cut")
    for name, value in closing.items():
        setattr(deal, name, value)

    entered = stage_entry_fields(deal, stages["prospecting"], at=NOW)

    assert entered["forecast_category"] == ForecastCategory.PIPELINE
    assert (entered["status"], entered["closed_at"], entered["lost_reason"]) == ("open", None, "")


def test_an_open_deal_left_in_the_closed_category_falls_back_to_pipeline(stages, alice):
    deal = OpportunityFactory(stage=stages["prospecting"], owner=alice, forecast_category="closed")

    entered = stage_entry_fields(deal, stages["proposal"], at=NOW)

    assert entered["forecast_category"] == ForecastCategory.PIPELINE


# --- Every door -------------------------------------------------------------------------------


def test_a_won_deal_dragged_back_on_the_board_is_in_pipeline_and_so_is_its_snapshot(
    client, stages, alice
):
    deal = won_deal(stages, alice)
    client.force_login(alice)

    response = client.post(
        f"/deals/{deal.pk}/move/",
        {"stage": stages["proposal"].pk, "version": deal.version, "from_stage": deal.stage_id},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 200
    deal.refresh_from_db()
    assert (deal.status, deal.closed_at, deal.forecast_category) == ("open", None, "pipeline")
    take_pipeline_snapshot(timezone.localdate())
    assert PipelineSnapshot.objects.get(opportunity=deal).forecast_category == "pipeline"


def test_a_deal_reopened_through_the_api_is_in_pipeline(api_as, stages, alice):
    deal = won_deal(stages, alice)

    response = api_as(alice).post(
        f"/api/opportunities/{deal.pk}/move/",
        {"stage": stages["prospecting"].pk, "version": deal.version},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["status"] == "open"
    assert Opportunity.objects.get(pk=deal.pk).forecast_category == "pipeline"


def test_a_deal_reopened_by_an_import_is_in_pipeline_and_no_longer_stale(stages, alice):
    acme = CompanyFactory(name="Acme", owner=alice)
    deal = won_deal(
        stages, alice, company=acme, external_id="D-7", stale_since=dt.date(2026, 11, 1)
    )

    result = run_import(
        alice, "deals", "external_id,title,company,stage\nD-7,Renewal,Acme,Proposal\n"
    )

    assert (result.outcome.updated, result.outcome.rejected) == (1, 0)
    deal.refresh_from_db()
    assert (deal.stage, deal.status, deal.closed_at) == (stages["proposal"], "open", None)
    assert (deal.forecast_category, deal.stale_since) == ("pipeline", None)


def test_an_import_into_a_lost_stage_without_a_reason_records_that_none_was_given(
    stages, alice
):
    # Exports from other CRMs rarely carry a reason; the board still asks for one.
    acme = CompanyFactory(name="Acme", owner=alice)
    OpportunityFactory(stage=stages["proposal"], owner=alice, company=acme, external_id="D-8")

    result = run_import(alice, "deals", "external_id,title,company,stage\nD-8,Pilot,Acme,Lost\n")

    assert result.reasons == {}
    deal = Opportunity.objects.get(external_id="D-8")
    assert (deal.status, deal.lost_reason) == ("lost", "Not recorded")


def test_a_new_deal_enters_its_stage_open_and_in_pipeline(stages, alice):
    deal = create_opportunity(
        by=alice,
        title="Pilot",
        company=CompanyFactory(owner=alice),
        pipeline=stages["proposal"].pipeline,
        stage=stages["proposal"],
        value=1000,
        currency="EUR",
    )

    deal.refresh_from_db()
    assert (deal.status, deal.forecast_category, deal.closed_at) == ("open", "pipeline", None)
    assert deal.stage_entered_at == deal.created_at


def test_moving_a_deal_into_won_and_back_with_the_service(stages, alice):
    deal = OpportunityFactory(stage=stages["proposal"], owner=alice, forecast_category="commit")

    move_opportunity(opportunity_id=deal.pk, by=alice, to_stage_id=stages["won"].pk, version=1)
    deal.refresh_from_db()
    assert deal.forecast_category == "closed"
    move_opportunity(opportunity_id=deal.pk, by=alice, to_stage_id=stages["proposal"].pk, version=2)

    deal.refresh_from_db()
    assert (deal.status, deal.forecast_category) == ("open", "pipeline")


# --- Editing the category ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "category", "allowed"),
    [
        ("open", "commit", True),
        ("open", "omitted", True),
        ("open", "closed", False),
        ("won", "closed", True),
        ("won", "commit", False),
        ("lost", "omitted", True),
        ("lost", "pipeline", False),
    ],
)
def test_the_forecast_category_must_fit_the_deals_status(status, category, allowed):
    assert (forecast_category_problem(status, category) is None) is allowed


def test_an_edit_may_not_put_an_open_deal_in_the_closed_category(stages, alice):
    deal = OpportunityFactory(stage=stages["proposal"], owner=alice)

    with pytest.raises(ValidationError) as refused:
        update_opportunity(
            by=alice, opportunity_id=deal.pk, version=None, fields={"forecast_category": "closed"}
        )

    assert list(refused.value.message_dict) == ["forecast_category"]
    assert Opportunity.objects.get(pk=deal.pk).forecast_category == "pipeline"


def test_an_edit_may_not_put_a_won_deal_back_in_the_forecast(stages, alice):
    deal = won_deal(stages, alice)

    with pytest.raises(ValidationError) as refused:
        update_opportunity(
            by=alice, opportunity_id=deal.pk, version=None, fields={"forecast_category": "commit"}
        )

    assert list(refused.value.message_dict) == ["forecast_category"]


# --- Existing data ----------------------------------------------------------------------------


def test_the_migration_puts_open_deals_left_in_closed_back_in_pipeline(stages, alice):
    proposal = stages["proposal"]
    reopened = OpportunityFactory(stage=proposal, owner=alice, forecast_category="closed")
    committed = OpportunityFactory(stage=proposal, owner=alice, forecast_category="commit")
    won = won_deal(stages, alice)
    migration = importlib.import_module("pipeline.migrations.0008_reopened_deals_back_in_pipeline")

    migration.reopened_deals_back_in_pipeline(apps, None)

    categories = dict(Opportunity.objects.values_list("pk", "forecast_category"))
    assert categories == {reopened.pk: "pipeline", committed.pk: "commit", won.pk: "closed"}
