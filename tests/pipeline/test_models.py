"""The database itself refuses invalid stages, deals, stage changes, touchpoints and tasks."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import ProtectedError
from django.utils import timezone

from pipeline.models import (
    AlertKind,
    BuyingRole,
    DealField,
    ForecastCategory,
    Opportunity,
    OpportunityStatus,
    Pipeline,
    Product,
    Stage,
    StageAlert,
    StageChange,
    StageKind,
    Task,
    Touchpoint,
)
from tests.constraints import constraints_without_refusal_test, refused_by
from tests.factories import (
    CompanyFactory,
    ContactFactory,
    DealContactFactory,
    LeadFactory,
    LineItemFactory,
    OpportunityFactory,
    PipelineFactory,
    ProductFactory,
    ProductPriceFactory,
    StageFactory,
    TaskFactory,
    TouchpointFactory,
)


def test_every_pipeline_constraint_has_a_refusal_test():
    assert constraints_without_refusal_test("pipeline", __file__) == []


@pytest.fixture
def deal(alice, stage):
    return OpportunityFactory(owner=alice, stage=stage)


# Pipeline and stage


@pytest.mark.django_db
def test_pipeline_names_are_unique():
    PipelineFactory(name="New business")

    with refused_by("pipeline_pipeline_name"):
        PipelineFactory(name="New business")


def test_stage_name_is_unique_within_its_pipeline(stage):
    with refused_by("stage_name_unique"):
        StageFactory(pipeline=stage.pipeline, name=stage.name)


def test_same_stage_name_in_another_pipeline_is_accepted(stage):
    StageFactory(name=stage.name)

    assert Stage.objects.filter(name=stage.name).count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize("probability", [101, 140])
def test_stage_probability_above_100_is_refused(probability):
    with refused_by("stage_probability_range"):
        StageFactory(probability=probability)


@pytest.mark.django_db
@pytest.mark.parametrize("probability", [0, 100])
def test_open_stage_probability_at_the_bounds_is_accepted(probability):
    stage = StageFactory(probability=probability, kind=StageKind.OPEN)

    assert Stage.objects.get(pk=stage.pk).probability == probability


@pytest.mark.django_db
def test_unknown_stage_kind_is_refused():
    # An unknown kind is neither open, won nor lost, so it breaks both; PostgreSQL names either.
    with refused_by("stage_kind_valid", "stage_closed_probability"):
        StageFactory(kind="limbo")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kind", "probability"), [(StageKind.WON, 90), (StageKind.LOST, 10), (StageKind.WON, 0)]
)
def test_closed_stage_with_an_estimated_probability_is_refused(kind, probability):
    with refused_by("stage_closed_probability"):
        StageFactory(kind=kind, probability=probability)


@pytest.mark.django_db
@pytest.mark.parametrize(("kind", "probability"), [(StageKind.WON, 100), (StageKind.LOST, 0)])
def test_won_stage_at_100_and_lost_stage_at_0_are_accepted(kind, probability):
    stage = StageFactory(kind=kind, probability=probability)

    assert Stage.objects.get(pk=stage.pk).kind == kind


@pytest.mark.django_db
def test_zero_rotting_days_is_refused():
    with refused_by("stage_rotting_days_positive"):
        StageFactory(rotting_days=0)


@pytest.mark.django_db
@pytest.mark.parametrize("rotting_days", [None, 1])
def test_one_rotting_day_or_never_is_accepted(rotting_days):
    stage = StageFactory(rotting_days=rotting_days)

    assert Stage.objects.get(pk=stage.pk).rotting_days == rotting_days


def test_deleting_a_stage_holding_deals_is_refused(deal, stage):
    with pytest.raises(ProtectedError) as refusal:
        stage.delete()

    assert deal in refusal.value.protected_objects


def test_deleting_a_stage_with_history_is_refused(deal, stage):
    later = StageFactory(pipeline=stage.pipeline)
    StageChange.objects.create(opportunity=deal, from_stage=stage, to_stage=later)
    Opportunity.objects.filter(pk=deal.pk).update(stage=later)

    with pytest.raises(ProtectedError):
        stage.delete()


def test_deleting_an_empty_stage_is_accepted(stage):
    stage.delete()

    assert not Stage.objects.exists()


def test_deleting_a_pipeline_holding_deals_is_refused(deal, stage):
    with pytest.raises(ProtectedError):
        stage.pipeline.delete()

    assert Pipeline.objects.filter(pk=stage.pipeline_id).exists()


# Opportunity


def test_negative_deal_value_is_refused(alice, stage):
    with refused_by("opportunity_value_not_negative"):
        OpportunityFactory(owner=alice, stage=stage, value=Decimal("-0.01"))


def test_deal_worth_zero_is_accepted(alice, stage):
    deal = OpportunityFactory(owner=alice, stage=stage, value=Decimal("0.00"))

    assert Opportunity.objects.get(pk=deal.pk).value == Decimal("0.00")


@pytest.mark.parametrize("currency", ["eur", "EU", "E1R", "€"])
def test_currency_that_is_not_an_iso_code_is_refused(alice, stage, currency):
    with refused_by("opportunity_currency_iso"):
        OpportunityFactory(owner=alice, stage=stage, currency=currency)


def test_iso_currency_is_accepted(alice, stage):
    deal = OpportunityFactory(owner=alice, stage=stage, currency="IDR")

    assert Opportunity.objects.get(pk=deal.pk).currency == "IDR"


def test_unknown_deal_status_is_refused(alice, stage):
    with refused_by("opportunity_status_valid"):
        OpportunityFactory(owner=alice, stage=stage, status="pending", closed_at=timezone.now())


def test_unknown_forecast_category_is_refused(alice, stage):
    with refused_by("opportunity_forecast_category_valid"):
        OpportunityFactory(owner=alice, stage=stage, forecast_category="hopeful")


@pytest.mark.parametrize("category", ForecastCategory.values)
def test_every_forecast_category_is_accepted(alice, stage, category):
    deal = OpportunityFactory(owner=alice, stage=stage, forecast_category=category)

    assert Opportunity.objects.get(pk=deal.pk).forecast_category == category


def test_open_deal_with_a_closing_time_is_refused(alice, stage):
    with refused_by("opportunity_closed_at_matches_status"):
        OpportunityFactory(
            owner=alice, stage=stage, status=OpportunityStatus.OPEN, closed_at=timezone.now()
        )


@pytest.mark.parametrize("status", [OpportunityStatus.WON, OpportunityStatus.LOST])
def test_closed_deal_without_a_closing_time_is_refused(alice, stage, status):
    with refused_by("opportunity_closed_at_matches_status"):
        OpportunityFactory(
            owner=alice, stage=stage, status=status, lost_reason="Price", closed_at=None
        )


@pytest.mark.parametrize(
    ("status", "closed"),
    [
        (OpportunityStatus.OPEN, False),
        (OpportunityStatus.WON, True),
        (OpportunityStatus.LOST, True),
    ],
)
def test_closing_time_matching_the_status_is_accepted(alice, stage, status, closed):
    deal = OpportunityFactory(
        owner=alice,
        stage=stage,
        status=status,
        lost_reason="Price" if status == OpportunityStatus.LOST else "",
        closed_at=timezone.now() if closed else None,
    )

    assert Opportunity.objects.get(pk=deal.pk).status == status


def test_lost_deal_without_a_reason_is_refused(alice, stage):
    with refused_by("opportunity_lost_has_reason"):
        OpportunityFactory(
            owner=alice,
            stage=stage,
            status=OpportunityStatus.LOST,
            closed_at=timezone.now(),
            lost_reason="",
        )


def test_version_zero_is_refused(alice, stage):
    with refused_by("opportunity_version_positive"):
        OpportunityFactory(owner=alice, stage=stage, version=0)


def test_new_deal_starts_at_version_one(alice, stage):
    deal = OpportunityFactory(owner=alice, stage=stage)

    assert Opportunity.objects.get(pk=deal.pk).version == 1


def test_deal_external_id_is_unique(alice, stage):
    OpportunityFactory(owner=alice, stage=stage, external_id="SF-9")

    with refused_by("opportunity_external_id_unique"):
        OpportunityFactory(owner=alice, stage=stage, external_id="SF-9")


def test_many_deals_without_external_id_are_accepted(alice, stage):
    OpportunityFactory.create_batch(2, owner=alice, stage=stage, external_id="")

    assert Opportunity.objects.filter(external_id="").count() == 2


def test_deleting_a_user_who_owns_a_deal_is_refused(alice, bob, stage):
    # The company belongs to Bob, so only the deal holds on to Alice.
    deal = OpportunityFactory(owner=alice, stage=stage, company=CompanyFactory(owner=bob))

    with pytest.raises(ProtectedError) as refusal:
        alice.delete()

    assert list(refusal.value.protected_objects) == [deal]


def test_deleting_a_company_with_deals_is_refused(deal):
    with pytest.raises(ProtectedError):
        deal.company.delete()


def test_deleting_the_deal_contact_keeps_the_deal(alice, stage):
    contact = ContactFactory(company__owner=alice)
    deal = OpportunityFactory(owner=alice, stage=stage, company=contact.company, contact=contact)

    contact.delete()

    deal.refresh_from_db()
    assert deal.contact is None


def test_deleting_a_deal_deletes_its_history_touchpoints_and_tasks(deal, stage):
    StageChange.objects.create(opportunity=deal, from_stage=None, to_stage=stage)
    TouchpointFactory(opportunity=deal)
    TaskFactory(opportunity=deal)

    deal.delete()

    assert not StageChange.objects.exists()
    assert not Touchpoint.objects.exists()
    assert not Task.objects.exists()


# Stage change


def test_stage_change_into_the_same_stage_is_refused(deal, stage):
    with refused_by("stage_change_moves"):
        StageChange.objects.create(opportunity=deal, from_stage=stage, to_stage=stage)


@pytest.mark.parametrize("from_previous_stage", [False, True])
def test_creation_or_move_between_two_stages_is_recorded(deal, stage, from_previous_stage):
    previous = StageFactory(pipeline=stage.pipeline) if from_previous_stage else None

    StageChange.objects.create(opportunity=deal, from_stage=previous, to_stage=stage)

    assert deal.stage_changes.get().from_stage == previous


def test_deleting_the_mover_keeps_the_stage_change(alice, bob, stage):
    deal = OpportunityFactory(owner=alice, stage=stage)
    StageChange.objects.create(opportunity=deal, to_stage=stage, by=bob)

    bob.delete()

    assert deal.stage_changes.get().by is None


# Touchpoint and task: each is about at least one lead, contact, deal or company


@pytest.fixture
def subjects(alice, stage):
    return {
        "lead": LeadFactory(owner=alice),
        "contact": ContactFactory(company__owner=alice),
        "opportunity": OpportunityFactory(owner=alice, stage=stage),
        "company": CompanyFactory(owner=alice),
    }


NO_SUBJECT = {"lead": None, "contact": None, "opportunity": None, "company": None}


def test_touchpoint_about_nothing_is_refused(alice):
    with refused_by("touchpoint_has_subject"):
        TouchpointFactory(by=alice, opportunity=None)


@pytest.mark.parametrize("subject", ["lead", "contact", "opportunity", "company"])
def test_touchpoint_about_one_subject_is_accepted(alice, subjects, subject):
    fields = {**NO_SUBJECT, subject: subjects[subject]}

    touchpoint = TouchpointFactory(by=alice, **fields)

    assert getattr(Touchpoint.objects.get(pk=touchpoint.pk), subject) == subjects[subject]


def test_unknown_touchpoint_kind_is_refused(deal):
    with refused_by("touchpoint_kind_valid"):
        TouchpointFactory(opportunity=deal, kind="telegram")


def test_two_touchpoints_with_one_external_id_are_refused(deal):
    TouchpointFactory(opportunity=deal, external_id="00U5e00000AbCdE")

    with refused_by("touchpoint_external_id_unique"):
        TouchpointFactory(opportunity=deal, external_id="00U5e00000AbCdE")


def test_touchpoints_without_external_id_are_many(deal):
    TouchpointFactory.create_batch(2, opportunity=deal, external_id="")

    assert deal.touchpoints.filter(external_id="").count() == 2


def test_deleting_the_author_keeps_the_touchpoint(deal, bob):
    touchpoint = TouchpointFactory(opportunity=deal, by=bob)

    bob.delete()

    touchpoint.refresh_from_db()
    assert touchpoint.by is None


def test_task_about_nothing_is_refused(alice):
    with refused_by("task_has_subject"):
        TaskFactory(assignee=alice, opportunity=None)


@pytest.mark.parametrize("subject", ["lead", "contact", "opportunity", "company"])
def test_task_about_one_subject_is_accepted(alice, subjects, subject):
    fields = {**NO_SUBJECT, subject: subjects[subject]}

    task = TaskFactory(assignee=alice, **fields)

    assert getattr(Task.objects.get(pk=task.pk), subject) == subjects[subject]


def test_two_tasks_with_one_external_id_are_refused(deal):
    TaskFactory(opportunity=deal, external_id="00T5e00000XyZ01")

    with refused_by("task_external_id_unique"):
        TaskFactory(opportunity=deal, external_id="00T5e00000XyZ01")


def test_tasks_without_external_id_are_many(deal):
    TaskFactory.create_batch(2, opportunity=deal, external_id="")

    assert deal.tasks.filter(external_id="").count() == 2


def test_done_task_flagged_overdue_is_refused(deal):
    with refused_by("task_done_is_not_overdue"):
        TaskFactory(opportunity=deal, done_at=timezone.now(), overdue_since=dt.date(2026, 1, 5))


@pytest.mark.parametrize(
    ("done", "overdue"), [(True, False), (False, True), (False, False)], ids=str
)
def test_done_or_overdue_task_is_accepted(deal, done, overdue):
    task = TaskFactory(
        opportunity=deal,
        done_at=timezone.now() if done else None,
        overdue_since=dt.date(2026, 1, 5) if overdue else None,
    )

    assert Task.objects.get(pk=task.pk).is_done is done


def test_deleting_a_user_with_tasks_is_refused(alice, bob, stage):
    deal = OpportunityFactory(owner=bob, stage=stage)
    task = TaskFactory(opportunity=deal, assignee=alice)

    with pytest.raises(ProtectedError) as refusal:
        alice.delete()

    assert list(refusal.value.protected_objects) == [task]


# StageAlert


def raise_alert(stage, kind=AlertKind.CONGESTED, on=dt.date(2026, 11, 23)):
    return StageAlert.objects.create(
        stage=stage, kind=kind, raised_on=on, count=24, baseline=Decimal("9.5")
    )


@pytest.mark.django_db
def test_one_alert_of_a_kind_per_stage_and_day():
    stage = StageFactory()
    raise_alert(stage)
    with refused_by("stage_alert_unique_per_day"):
        raise_alert(stage)


@pytest.mark.django_db
def test_alerts_of_other_kinds_or_days_are_accepted():
    stage = StageFactory()
    raise_alert(stage)
    raise_alert(stage, kind=AlertKind.CLOSING_CROWD)
    raise_alert(stage, on=dt.date(2026, 11, 24))
    assert StageAlert.objects.filter(stage=stage).count() == 3


@pytest.mark.django_db
def test_unknown_alert_kind_is_refused():
    with refused_by("stage_alert_kind_valid"):
        raise_alert(StageFactory(), kind="on_fire")


# A deal's company or contact


def test_a_deal_with_neither_company_nor_contact_is_refused(alice, stage):
    with refused_by("opportunity_has_company_or_contact"):
        OpportunityFactory(owner=alice, stage=stage, company=None, contact=None)


def test_a_deal_with_only_a_contact_is_accepted(alice, stage):
    deal = OpportunityFactory(owner=alice, stage=stage, company=None, contact=ContactFactory())

    assert deal.company is None


# Products and line items


@pytest.mark.django_db
def test_product_codes_are_unique_in_any_case():
    ProductFactory(code="LIC-100")

    with refused_by("product_code_unique"):
        ProductFactory(code="lic-100")


@pytest.mark.django_db
def test_products_without_a_code_may_be_many():
    ProductFactory(code="")
    ProductFactory(code="")

    assert Product.objects.filter(code="").count() == 2


@pytest.mark.django_db
def test_a_product_external_id_is_unique():
    ProductFactory(external_id="sf-01t1")

    with refused_by("product_external_id_unique"):
        ProductFactory(external_id="sf-01t1")


@pytest.mark.django_db
def test_a_product_has_one_price_per_currency():
    price = ProductPriceFactory(currency="EUR")
    ProductPriceFactory(product=price.product, currency="USD")

    with refused_by("product_price_one_per_currency"):
        ProductPriceFactory(product=price.product, currency="EUR")


@pytest.mark.django_db
def test_a_negative_price_is_refused():
    with refused_by("product_price_not_negative"):
        ProductPriceFactory(unit_price=Decimal("-0.01"))


def test_a_line_item_of_no_quantity_is_refused(deal):
    with refused_by("line_item_quantity_positive"):
        LineItemFactory(opportunity=deal, quantity=Decimal("0.00"))


def test_a_line_item_at_a_negative_price_is_refused(deal):
    with refused_by("line_item_price_not_negative"):
        LineItemFactory(opportunity=deal, unit_price=Decimal("-1.00"))


@pytest.mark.parametrize("discount", [Decimal("100.01"), Decimal("-0.01")])
def test_a_discount_outside_0_to_100_percent_is_refused(deal, discount):
    with refused_by("line_item_discount_range"):
        LineItemFactory(opportunity=deal, discount=discount)


def test_a_line_item_total_is_quantity_times_price_less_discount_to_the_cent(deal):
    item = LineItemFactory(
        opportunity=deal,
        quantity=Decimal("3.00"),
        unit_price=Decimal("33.33"),
        discount=Decimal("12.50"),
    )

    # 99.99 less 12.5% is 87.49125: rounded half up to the cent.
    assert item.total == Decimal("87.49")
    assert LineItemFactory(opportunity=deal, discount=Decimal("100.00")).total == Decimal("0.00")


# The buying team


@pytest.mark.django_db
def test_the_buying_roles_a_team_starts_with_name_who_decides():
    roles = dict(BuyingRole.objects.values_list("name", "decides"))

    assert roles == {
        "Decision maker": True,
        "Economic buyer": True,
        "Champion": False,
        "Influencer": False,
        "User": False,
        "Blocker": False,
    }


@pytest.mark.django_db
def test_buying_role_names_are_unique_in_any_case():
    with refused_by("buying_role_name_unique"):
        BuyingRole.objects.create(name="champion")


def test_a_contact_is_on_a_buying_team_once(deal):
    member = DealContactFactory(opportunity=deal)

    with refused_by("deal_contact_once_per_deal"):
        DealContactFactory(opportunity=deal, contact=member.contact)


def test_a_buying_team_has_one_primary_member(deal):
    DealContactFactory(opportunity=deal, is_primary=True)

    with refused_by("deal_contact_one_primary"):
        DealContactFactory(opportunity=deal, is_primary=True)


# Custom fields


def test_deal_field_key_is_unique(db):
    DealField.objects.create(key="budget", label="Budget", kind="money", currency="EUR")

    with refused_by("deal_field_key_unique"):
        DealField.objects.create(key="budget", label="Other budget", kind="number")
