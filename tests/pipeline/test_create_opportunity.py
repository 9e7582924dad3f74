"""Creating a deal: first open stage, top of its column, first StageChange, one transaction."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from pipeline.models import Opportunity, StageChange, StageKind
from pipeline.services import EntryCriteriaNotMet, create_opportunity, first_open_stage
from tests.factories import (
    CompanyFactory,
    ContactFactory,
    OpportunityFactory,
    PipelineFactory,
    StageFactory,
)


@pytest.fixture
def pipeline(db):
    """Won and lost come first by position, yet open stages lead the board."""
    pipeline = PipelineFactory(name="New business")
    StageFactory(pipeline=pipeline, name="Won", position=1, probability=100, kind=StageKind.WON)
    StageFactory(pipeline=pipeline, name="Lost", position=2, probability=0, kind=StageKind.LOST)
    StageFactory(pipeline=pipeline, name="Offer", position=5)
    StageFactory(pipeline=pipeline, name="Contact", position=4)
    return pipeline


def test_first_open_stage_is_the_leftmost_column(pipeline):
    assert first_open_stage(pipeline).name == "Contact"


def test_a_new_deal_starts_in_the_first_open_stage_on_top_with_its_history(alice, pipeline):
    company = CompanyFactory(owner=alice)
    contact_stage = first_open_stage(pipeline)
    below = OpportunityFactory(owner=alice, stage=contact_stage, position=10)

    deal = create_opportunity(
        by=alice,
        title="  Acme   rollout ",
        company=company,
        pipeline=pipeline,
        value=Decimal("12500.00"),
        currency="eur",
    )

    assert (deal.title, deal.stage, deal.owner, deal.currency) == (
        "Acme rollout",
        contact_stage,
        alice,
        "EUR",
    )
    assert deal.position < below.position
    change = StageChange.objects.get(opportunity=deal)
    assert (change.from_stage, change.to_stage, change.by) == (None, contact_stage, alice)
    assert deal.created_by == alice


def test_bad_input_names_each_field_and_writes_nothing(alice, pipeline):
    other_company = CompanyFactory(owner=alice)
    won = pipeline.stages.get(name="Won")

    with pytest.raises(ValidationError) as refusal:
        create_opportunity(
            by=alice,
            title=" ",
            company=CompanyFactory(owner=alice),
            pipeline=pipeline,
            stage=won,
            value=Decimal("-1"),
            currency="euro",
            contact=ContactFactory(company=other_company),
        )

    assert set(refusal.value.message_dict) == {"title", "value", "currency", "stage", "contact"}
    assert not Opportunity.objects.exists()
    assert not StageChange.objects.exists()


def test_a_stage_of_another_pipeline_is_refused(alice, pipeline):
    with pytest.raises(ValidationError) as refusal:
        create_opportunity(
            by=alice,
            title="Deal",
            company=CompanyFactory(owner=alice),
            pipeline=pipeline,
            stage=StageFactory(),
            value=Decimal(0),
            currency="EUR",
        )
    assert "stage" in refusal.value.message_dict


def test_an_invisible_company_is_refused(alice, charlie, pipeline):
    with pytest.raises(ValidationError) as refusal:
        create_opportunity(
            by=alice,
            title="Deal",
            company=CompanyFactory(owner=charlie),
            pipeline=pipeline,
            value=Decimal(0),
            currency="EUR",
        )
    assert "company" in refusal.value.message_dict


def test_a_rep_cannot_create_deals_for_others_a_manager_can_for_the_team(
    alice, bob, maria, pipeline
):
    company = CompanyFactory(owner=alice)
    arguments = {
        "title": "Deal",
        "company": company,
        "pipeline": pipeline,
        "value": Decimal(0),
        "currency": "EUR",
    }

    with pytest.raises(PermissionDenied):
        create_opportunity(by=alice, owner=bob, **arguments)
    assert create_opportunity(by=maria, owner=bob, **arguments).owner == bob


def test_admin_add_form_creates_the_deal_through_the_service(client, ada, pipeline):
    ada.is_superuser = True
    ada.save()
    client.force_login(ada)
    company = CompanyFactory(owner=ada)
    stage = pipeline.stages.get(name="Offer")

    response = client.post(
        reverse("admin:pipeline_opportunity_add"),
        {
            "title": "Admin deal",
            "company": company.pk,
            "owner": ada.pk,
            "pipeline": pipeline.pk,
            "stage": stage.pk,
            "value": "500.00",
            "currency": "EUR",
            "forecast_category": "pipeline",
            "position": "0",
            "checklist_done": "[]",
            "stage_changes-TOTAL_FORMS": "0",
            "stage_changes-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    deal = Opportunity.objects.get(title="Admin deal")
    assert deal.stage == stage
    assert StageChange.objects.filter(opportunity=deal, from_stage=None, to_stage=stage).exists()


# --- company and/or contact, forecast category, the stage's entry criteria ----------------


def _nothing_written():
    return not Opportunity.objects.exists() and not StageChange.objects.exists()


def test_a_deal_with_only_a_contact_is_with_the_contacts_company(alice, pipeline):
    contact = ContactFactory(company=CompanyFactory(owner=alice), owner=alice)

    deal = create_opportunity(
        by=alice,
        title="Consumer deal",
        contact=contact,
        pipeline=pipeline,
        value=Decimal(0),
        currency="EUR",
    )

    assert (deal.contact, deal.company) == (contact, contact.company)


def test_a_deal_with_neither_company_nor_contact_is_refused_naming_company(alice, pipeline):
    with pytest.raises(ValidationError) as refusal:
        create_opportunity(
            by=alice, title="Nobody's deal", pipeline=pipeline, value=Decimal(0), currency="EUR"
        )

    assert list(refusal.value.message_dict) == ["company"]
    assert _nothing_written()


def test_a_contact_the_user_cannot_see_is_refused(alice, charlie, pipeline):
    hidden = ContactFactory(company=CompanyFactory(owner=charlie), owner=charlie)

    with pytest.raises(ValidationError) as refusal:
        create_opportunity(
            by=alice,
            title="Deal",
            contact=hidden,
            pipeline=pipeline,
            value=Decimal(0),
            currency="EUR",
        )

    assert refusal.value.message_dict == {"contact": ["Choose a contact you can see."]}
    assert _nothing_written()


def test_a_contact_of_another_company_is_refused(alice, pipeline):
    company = CompanyFactory(owner=alice)
    elsewhere = ContactFactory(company=CompanyFactory(owner=alice), owner=alice)

    with pytest.raises(ValidationError) as refusal:
        create_opportunity(
            by=alice,
            title="Deal",
            company=company,
            contact=elsewhere,
            pipeline=pipeline,
            value=Decimal(0),
            currency="EUR",
        )

    assert list(refusal.value.message_dict) == ["contact"]
    assert _nothing_written()


def test_the_forecast_category_is_kept(alice, pipeline):
    deal = create_opportunity(
        by=alice,
        title="Deal",
        company=CompanyFactory(owner=alice),
        pipeline=pipeline,
        value=Decimal(0),
        currency="EUR",
        forecast_category="commit",
    )

    deal.refresh_from_db()
    assert deal.forecast_category == "commit"


@pytest.mark.parametrize("category", ["closed", "maybe"])
def test_a_forecast_category_an_open_deal_cannot_have_is_refused(alice, pipeline, category):
    with pytest.raises(ValidationError) as refusal:
        create_opportunity(
            by=alice,
            title="Deal",
            company=CompanyFactory(owner=alice),
            pipeline=pipeline,
            value=Decimal(0),
            currency="EUR",
            forecast_category=category,
        )

    assert list(refusal.value.message_dict) == ["forecast_category"]
    assert _nothing_written()


def test_a_stage_whose_entry_criteria_are_unmet_is_refused_as_a_move_would_be(alice, pipeline):
    offer = pipeline.stages.get(name="Offer")
    offer.entry_fields = ["value", "expected_close_date", "contact", "next_task"]
    offer.entry_checklist = ["Budget confirmed"]
    offer.save()

    with pytest.raises(EntryCriteriaNotMet) as refusal:
        create_opportunity(
            by=alice,
            title="Deal",
            company=CompanyFactory(owner=alice),
            pipeline=pipeline,
            stage=offer,
            value=Decimal(0),
            currency="EUR",
        )

    assert refusal.value.stage == offer
    assert refusal.value.missing == [
        "Value",
        "Expected close date",
        "Contact",
        "An open task",
        "Checklist: Budget confirmed",
    ]
    assert _nothing_written()


def test_a_deal_that_meets_the_stage_criteria_enters_it(alice, pipeline):
    offer = pipeline.stages.get(name="Offer")
    offer.entry_fields = ["value", "expected_close_date", "contact"]
    offer.save()
    contact = ContactFactory(company=CompanyFactory(owner=alice), owner=alice)

    deal = create_opportunity(
        by=alice,
        title="Deal",
        contact=contact,
        pipeline=pipeline,
        stage=offer,
        value=Decimal("10"),
        currency="EUR",
        expected_close_date=dt.date(2027, 1, 31),
    )

    assert deal.stage == offer
    assert StageChange.objects.get(opportunity=deal).to_stage == offer
