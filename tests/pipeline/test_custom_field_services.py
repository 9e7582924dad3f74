"""Custom fields of deals: defining them, setting a deal's values, and the entry criterion.

North: manager Maria, reps Alice and Bob. South: manager Sam, rep Charlie. Ada is admin.
"""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from core.custom_fields.kinds import Choice, FieldKind
from core.custom_fields.services import FieldSpec
from pipeline.models import DealChange, DealField, Opportunity, StageKind
from pipeline.services import DealFields, EntryCriteriaNotMet, MoveConflict, move_opportunity
from pipeline.services.custom_fields import (
    archive_deal_field,
    change_deal_field,
    define_deal_field,
    reorder_deal_fields,
    set_deal_custom_values,
)
from pipeline.services.opportunities import create_opportunity
from tests.factories import OpportunityFactory, StageFactory

TIERS = (Choice("gold", "Gold"), Choice("silver", "Silver"))


@pytest.fixture
def stages(db):
    qualify = StageFactory(name="Qualify", position=0)
    pipeline = qualify.pipeline
    propose = StageFactory(pipeline=pipeline, name="Propose", position=1)
    negotiate = StageFactory(pipeline=pipeline, name="Negotiate", position=2)
    won = StageFactory(
        pipeline=pipeline, name="Won", position=3, kind=StageKind.WON, probability=100
    )
    lost = StageFactory(
        pipeline=pipeline, name="Lost", position=4, kind=StageKind.LOST, probability=0
    )
    return {
        "qualify": qualify,
        "propose": propose,
        "negotiate": negotiate,
        "won": won,
        "lost": lost,
    }


@pytest.fixture
def budget(ada):
    return define_deal_field(
        by=ada, spec=FieldSpec(label="Budget", kind=FieldKind.MONEY, currency="eur")
    )


@pytest.fixture
def tier(ada):
    return define_deal_field(
        by=ada, spec=FieldSpec(label="Tier", kind=FieldKind.CHOICE, choices=TIERS)
    )


@pytest.fixture
def deal(alice, stages):
    return OpportunityFactory(owner=alice, stage=stages["qualify"], title="Acme rollout")


def test_admin_defines_a_field_with_a_key_from_its_label(ada, budget):
    assert (budget.key, budget.kind, budget.currency, budget.position) == (
        "budget",
        "money",
        "EUR",
        0,
    )
    second = define_deal_field(by=ada, spec=FieldSpec(label="Budget", kind=FieldKind.NUMBER))
    assert (second.key, second.position) == ("budget_2", 1)


@pytest.mark.parametrize("user", ["alice", "maria"])
def test_only_admins_define_fields(request, user):
    with pytest.raises(PermissionDenied):
        define_deal_field(by=request.getfixturevalue(user), spec=FieldSpec(label="X", kind="text"))
    assert not DealField.objects.exists()


def test_bad_definitions_name_the_field(ada):
    with pytest.raises(ValidationError) as error:
        define_deal_field(by=ada, spec=FieldSpec(label=" ", kind="colour"))
    assert set(error.value.message_dict) == {"label", "kind"}
    with pytest.raises(ValidationError) as error:
        define_deal_field(by=ada, spec=FieldSpec(label="Tier", kind=FieldKind.CHOICE))
    assert set(error.value.message_dict) == {"choices"}
    with pytest.raises(ValidationError) as error:
        define_deal_field(by=ada, spec=FieldSpec(label="Fee", kind=FieldKind.MONEY, currency="xx"))
    assert set(error.value.message_dict) == {"currency"}


def test_renaming_keeps_the_key_and_the_values(ada, alice, budget, deal):
    set_deal_custom_values(by=alice, opportunity_id=deal.pk, version=None, values={"budget": "10"})
    renamed = change_deal_field(
        by=ada,
        field_id=budget.pk,
        spec=FieldSpec(label="Approved budget", kind=FieldKind.MONEY, currency="EUR"),
        required_from_stage=None,
    )
    assert (renamed.key, renamed.label) == ("budget", "Approved budget")
    assert Opportunity.objects.get(pk=deal.pk).custom_fields == {"budget": "10"}


def test_a_change_of_kind_is_refused_while_values_would_not_fit(ada, alice, stages):
    notes = define_deal_field(by=ada, spec=FieldSpec(label="Seats", kind=FieldKind.TEXT))
    first = OpportunityFactory(owner=alice, stage=stages["qualify"], title="First misfit")
    OpportunityFactory(owner=alice, stage=stages["qualify"], custom_fields={"seats": "many"})
    OpportunityFactory(owner=alice, stage=stages["qualify"], custom_fields={"seats": "12"})
    Opportunity.objects.filter(pk=first.pk).update(custom_fields={"seats": "a dozen"})

    with pytest.raises(ValidationError) as error:
        change_deal_field(
            by=ada,
            field_id=notes.pk,
            spec=FieldSpec(label="Seats", kind=FieldKind.NUMBER),
            required_from_stage=None,
        )

    [message] = error.value.message_dict["kind"]
    assert "2 records" in message
    assert "First misfit" in message
    assert DealField.objects.get(pk=notes.pk).kind == FieldKind.TEXT


def test_a_change_of_kind_goes_through_when_every_value_fits(ada, alice, stages):
    seats = define_deal_field(by=ada, spec=FieldSpec(label="Seats", kind=FieldKind.TEXT))
    OpportunityFactory(owner=alice, stage=stages["qualify"], custom_fields={"seats": "12"})
    changed = change_deal_field(
        by=ada,
        field_id=seats.pk,
        spec=FieldSpec(label="Seats", kind=FieldKind.NUMBER),
        required_from_stage=None,
    )
    assert changed.kind == FieldKind.NUMBER


def test_removing_a_choice_in_use_is_refused(ada, alice, tier, deal):
    set_deal_custom_values(by=alice, opportunity_id=deal.pk, version=None, values={"tier": "gold"})

    with pytest.raises(ValidationError) as error:
        change_deal_field(
            by=ada,
            field_id=tier.pk,
            spec=FieldSpec(
                label="Tier", kind=FieldKind.CHOICE, choices=[Choice("silver", "Silver")]
            ),
            required_from_stage=None,
        )
    assert "Acme rollout" in error.value.message_dict["choices"][0]
    # An unused choice goes, and a label changes under its key.
    change_deal_field(
        by=ada,
        field_id=tier.pk,
        spec=FieldSpec(label="Tier", kind=FieldKind.CHOICE, choices=[Choice("gold", "Or")]),
        required_from_stage=None,
    )
    assert DealField.objects.get(pk=tier.pk).choices == [{"key": "gold", "label": "Or"}]


def test_reorder_and_archive(ada, budget, tier):
    reorder_deal_fields(by=ada, keys=["tier", "budget"])
    assert list(DealField.objects.order_by("position").values_list("key", flat=True)) == [
        "tier",
        "budget",
    ]
    with pytest.raises(ValidationError):
        reorder_deal_fields(by=ada, keys=["tier"])
    archive_deal_field(by=ada, field_id=tier.pk)
    assert DealField.objects.get(pk=tier.pk).is_archived


def test_owner_sets_values_with_history_and_a_new_version(alice, budget, tier, deal):
    edited = set_deal_custom_values(
        by=alice,
        opportunity_id=deal.pk,
        version=deal.version,
        values={"budget": "1,5".replace(",", "."), "tier": "gold"},
    )
    assert edited.version == deal.version + 1
    assert Opportunity.objects.get(pk=deal.pk).custom_fields == {"budget": "1.5", "tier": "gold"}
    changes = {
        c.field: (c.old_value, c.new_value, c.by)
        for c in DealChange.objects.filter(opportunity=deal)
    }
    assert changes == {"custom:budget": (None, "1.5", alice), "custom:tier": (None, "gold", alice)}

    set_deal_custom_values(by=alice, opportunity_id=deal.pk, version=None, values={"tier": ""})
    assert Opportunity.objects.get(pk=deal.pk).custom_fields == {"budget": "1.5"}
    emptied = DealChange.objects.filter(field="custom:tier").order_by("pk").last()
    assert (emptied.old_value, emptied.new_value) == ("gold", None)


def test_one_bad_value_writes_nothing(alice, budget, tier, deal):
    before = Opportunity.objects.values().get(pk=deal.pk)
    with pytest.raises(ValidationError) as error:
        set_deal_custom_values(
            by=alice,
            opportunity_id=deal.pk,
            version=deal.version,
            values={"budget": "12", "tier": "platinum", "nope": 1},
        )
    assert set(error.value.message_dict) == {"custom_fields.tier", "custom_fields.nope"}
    assert "Tier" in error.value.message_dict["custom_fields.tier"][0]
    assert Opportunity.objects.values().get(pk=deal.pk) == before
    assert not DealChange.objects.exists()


def test_a_stale_version_is_a_conflict(alice, bob, budget, deal):
    set_deal_custom_values(
        by=alice, opportunity_id=deal.pk, version=deal.version, values={"budget": "1"}
    )
    with pytest.raises(MoveConflict):
        set_deal_custom_values(
            by=alice, opportunity_id=deal.pk, version=deal.version, values={"budget": "2"}
        )
    assert Opportunity.objects.get(pk=deal.pk).custom_fields == {"budget": "1"}


def test_teammate_may_not_set_values_and_other_team_cannot_see(bob, charlie, maria, budget, deal):
    with pytest.raises(PermissionDenied):
        set_deal_custom_values(by=bob, opportunity_id=deal.pk, version=None, values={"budget": "1"})
    with pytest.raises(Opportunity.DoesNotExist):
        set_deal_custom_values(
            by=charlie, opportunity_id=deal.pk, version=None, values={"budget": "1"}
        )
    set_deal_custom_values(by=maria, opportunity_id=deal.pk, version=None, values={"budget": "1"})
    assert Opportunity.objects.get(pk=deal.pk).custom_fields == {"budget": "1"}


def test_archived_fields_take_no_values(ada, alice, budget, deal):
    archive_deal_field(by=ada, field_id=budget.pk)
    with pytest.raises(ValidationError):
        set_deal_custom_values(
            by=alice, opportunity_id=deal.pk, version=None, values={"budget": "1"}
        )


# --- The entry criterion -----------------------------------------------------------------


@pytest.fixture
def required_budget(ada, stages):
    return define_deal_field(
        by=ada,
        spec=FieldSpec(label="Budget", kind=FieldKind.MONEY, currency="EUR"),
        required_from_stage=stages["propose"],
    )


@pytest.mark.parametrize("target", ["propose", "negotiate", "won"])
def test_a_deal_cannot_enter_the_stage_or_a_later_one_without_the_value(
    alice, stages, required_budget, deal, target
):
    with pytest.raises(EntryCriteriaNotMet) as refused:
        move_opportunity(
            by=alice, opportunity_id=deal.pk, to_stage_id=stages[target].pk, version=deal.version
        )
    assert "Budget" in refused.value.missing
    assert Opportunity.objects.get(pk=deal.pk).stage == stages["qualify"]


def test_with_the_value_the_deal_moves_on(alice, stages, required_budget, deal):
    edited = set_deal_custom_values(
        by=alice, opportunity_id=deal.pk, version=None, values={"budget": "900"}
    )
    move_opportunity(
        by=alice, opportunity_id=deal.pk, to_stage_id=stages["negotiate"].pk, version=edited.version
    )
    assert Opportunity.objects.get(pk=deal.pk).stage == stages["negotiate"]


def test_earlier_and_lost_stages_do_not_ask(alice, stages, required_budget):
    deal = OpportunityFactory(owner=alice, stage=stages["propose"], custom_fields={"budget": "1"})
    Opportunity.objects.filter(pk=deal.pk).update(custom_fields={})
    move_opportunity(
        by=alice, opportunity_id=deal.pk, to_stage_id=stages["qualify"].pk, version=deal.version
    )
    deal.refresh_from_db()
    move_opportunity(
        by=alice,
        opportunity_id=deal.pk,
        to_stage_id=stages["lost"].pk,
        version=deal.version,
        fields=DealFields(lost_reason="Went quiet"),
    )


def test_a_deal_is_not_created_past_the_stage_without_the_value(alice, stages, required_budget):
    company = OpportunityFactory.build().company
    company.owner = alice
    company.save()
    common = {
        "by": alice,
        "title": "New",
        "company": company,
        "pipeline": stages["qualify"].pipeline,
        "value": Decimal(0),
        "currency": "EUR",
    }
    with pytest.raises(ValidationError) as error:
        create_opportunity(**common, stage=stages["negotiate"])
    assert "Budget is required in Negotiate." in error.value.message_dict["custom_fields.budget"]
    assert not Opportunity.objects.filter(title="New").exists()

    with pytest.raises(ValidationError) as error:
        create_opportunity(**common, stage=stages["negotiate"], custom_fields={"budget": "lots"})
    assert "custom_fields.budget" in error.value.message_dict

    created = create_opportunity(**common, stage=stages["negotiate"], custom_fields={"budget": "5"})
    assert created.custom_fields == {"budget": "5"}
    assert create_opportunity(**common, stage=stages["qualify"]).custom_fields == {}
