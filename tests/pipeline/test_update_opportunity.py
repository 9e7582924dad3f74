"""Editing a deal's details: who may, what is checked, and the version that guards races.

North: manager Maria, reps Alice and Bob. South: manager Sam, rep Charlie. Ada is admin.
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from pipeline.models import Opportunity
from pipeline.services import MoveConflict, move_opportunity, update_opportunity
from tests.factories import CompanyFactory, ContactFactory, OpportunityFactory, StageFactory


@pytest.fixture
def deal(alice):
    contact = ContactFactory(company__owner=alice)
    return OpportunityFactory(
        owner=alice, company=contact.company, contact=contact, title="Acme rollout"
    )


def snapshot(deal):
    return Opportunity.objects.values().get(pk=deal.pk)


def test_owner_edits_details_and_the_version_goes_up(alice, deal):
    edited = update_opportunity(
        by=alice,
        opportunity_id=deal.pk,
        version=None,
        fields={
            "title": "  Acme   renewal ",
            "value": "52000.00",
            "currency": "usd",
            "expected_close_date": dt.date(2027, 1, 31),
            "checklist_done": ["Budget", "Budget", "Authority"],
            "external_id": " crm-7 ",
        },
    )

    assert edited.title == "Acme renewal"
    assert edited.value == Decimal("52000.00")
    assert edited.currency == "USD"
    assert edited.expected_close_date == dt.date(2027, 1, 31)
    assert edited.checklist_done == ["Authority", "Budget"]
    assert edited.external_id == "crm-7"
    assert (edited.version, edited.updated_by) == (2, alice)


def test_an_edit_repeating_the_current_values_still_bumps_the_version(alice, deal):
    edited = update_opportunity(
        by=alice, opportunity_id=deal.pk, version=None, fields={"title": deal.title}
    )

    assert edited.version == 2


def test_an_edit_without_fields_writes_nothing(alice, deal):
    before = snapshot(deal)

    update_opportunity(by=alice, opportunity_id=deal.pk, version=None, fields={})

    assert snapshot(deal) == before


def test_manager_edits_their_reps_deal(maria, deal):
    edited = update_opportunity(
        by=maria, opportunity_id=deal.pk, version=None, fields={"title": "Renamed"}
    )

    assert (edited.title, edited.updated_by) == ("Renamed", maria)


def test_teammate_may_see_but_not_edit(bob, deal):
    before = snapshot(deal)

    with pytest.raises(PermissionDenied):
        update_opportunity(by=bob, opportunity_id=deal.pk, version=None, fields={"title": "Mine"})

    assert snapshot(deal) == before


def test_other_team_cannot_even_see_the_deal(charlie, sam, deal):
    for outsider in (charlie, sam):
        with pytest.raises(Opportunity.DoesNotExist):
            update_opportunity(
                by=outsider, opportunity_id=deal.pk, version=None, fields={"title": "Ours"}
            )


def test_bad_input_names_each_field_and_writes_nothing(alice, deal):
    before = snapshot(deal)

    with pytest.raises(ValidationError) as refusal:
        update_opportunity(
            by=alice,
            opportunity_id=deal.pk,
            version=None,
            fields={
                "title": " ",
                "value": "-1",
                "currency": "euro",
                "forecast_category": "certain",
                "expected_close_date": "next week",
                "contact": ContactFactory(company__owner=alice),
            },
        )

    assert set(refusal.value.message_dict) == {
        "title",
        "value",
        "currency",
        "forecast_category",
        "expected_close_date",
        "contact",
    }
    assert snapshot(deal) == before


def test_board_fields_are_not_editable_here(alice, deal):
    with pytest.raises(ValidationError) as refusal:
        update_opportunity(
            by=alice,
            opportunity_id=deal.pk,
            version=None,
            fields={"stage": StageFactory(pipeline=deal.pipeline).pk, "status": "won"},
        )

    assert set(refusal.value.message_dict) == {"stage", "status"}


def test_a_new_company_needs_a_contact_of_its_own(alice, deal):
    company = CompanyFactory(owner=alice)

    with pytest.raises(ValidationError) as refusal:
        update_opportunity(
            by=alice, opportunity_id=deal.pk, version=None, fields={"company": company.pk}
        )
    assert list(refusal.value.message_dict) == ["contact"]

    contact = ContactFactory(company=company)
    edited = update_opportunity(
        by=alice,
        opportunity_id=deal.pk,
        version=None,
        fields={"company": company.pk, "contact": contact.pk},
    )
    assert (edited.company, edited.contact) == (company, contact)


def test_a_company_the_editor_cannot_see_is_refused(alice, charlie, deal):
    hidden = CompanyFactory(owner=charlie)

    with pytest.raises(ValidationError) as refusal:
        update_opportunity(
            by=alice,
            opportunity_id=deal.pk,
            version=None,
            fields={"company": hidden, "contact": None},
        )

    assert list(refusal.value.message_dict) == ["company"]


def test_owner_follows_the_assignment_rule(alice, bob, maria, deal):
    with pytest.raises(ValidationError) as refusal:
        update_opportunity(by=alice, opportunity_id=deal.pk, version=None, fields={"owner": bob})
    assert list(refusal.value.message_dict) == ["owner"]

    edited = update_opportunity(
        by=maria, opportunity_id=deal.pk, version=None, fields={"owner": bob.pk}
    )
    assert edited.owner == bob


def test_naming_the_current_owner_is_accepted_even_when_no_longer_assignable(alice, maria, deal):
    alice.is_active = False
    alice.save(update_fields=["is_active"])

    edited = update_opportunity(
        by=maria, opportunity_id=deal.pk, version=None, fields={"owner": alice.pk, "title": "Kept"}
    )

    assert (edited.owner, edited.title) == (alice, "Kept")


def test_a_taken_external_id_names_the_field(alice, deal):
    OpportunityFactory(owner=alice, external_id="crm-1")

    with pytest.raises(ValidationError) as refusal:
        update_opportunity(
            by=alice, opportunity_id=deal.pk, version=None, fields={"external_id": "crm-1"}
        )

    assert list(refusal.value.message_dict) == ["external_id"]


def test_a_stale_version_is_a_conflict_and_writes_nothing(alice, bob, maria, deal):
    # Given Maria moved the deal after Alice read version 1
    target = StageFactory(pipeline=deal.pipeline, position=deal.stage.position + 1)
    move_opportunity(opportunity_id=deal.pk, by=maria, to_stage_id=target.pk, version=1)
    before = snapshot(deal)

    # When Alice saves her edit of version 1
    with pytest.raises(MoveConflict) as conflict:
        update_opportunity(by=alice, opportunity_id=deal.pk, version=1, fields={"title": "Late"})

    # Then nothing is written, and she is told who changed it and where it is now
    assert snapshot(deal) == before
    assert conflict.value.current.version == 2
    assert str(maria) in str(conflict.value)


def test_the_current_version_is_accepted(alice, deal):
    edited = update_opportunity(
        by=alice, opportunity_id=deal.pk, version=1, fields={"title": "On time"}
    )

    assert (edited.title, edited.version) == ("On time", 2)


def test_an_edit_makes_an_earlier_board_move_lose(alice, deal):
    update_opportunity(by=alice, opportunity_id=deal.pk, version=None, fields={"title": "Edited"})
    target = StageFactory(pipeline=deal.pipeline, position=deal.stage.position + 1)

    with pytest.raises(MoveConflict):
        move_opportunity(opportunity_id=deal.pk, by=alice, to_stage_id=target.pk, version=1)


def test_an_edit_records_each_changed_field_in_the_deal_history(alice, deal):
    other = ContactFactory(company=deal.company, first_name="Zoe", last_name="Quinn")

    update_opportunity(
        by=alice,
        opportunity_id=deal.pk,
        version=deal.version,
        fields={"title": deal.title, "value": "9100.50", "contact": other.pk},
    )

    changes = {change.field: change for change in deal.changes.all()}
    # The title was set to what it was: no row for it. The buying team's primary follows
    # the contact.
    assert set(changes) == {"value", "contact", "buying_team"}
    assert (changes["value"].old_value, changes["value"].new_value) == (
        str(deal.value),
        "9100.50",
    )
    assert changes["contact"].new_value == other.pk
    assert changes["contact"].new_display == str(other)
    assert {change.by for change in changes.values()} == {alice}


def test_a_refused_edit_records_no_history(alice, deal):
    with pytest.raises(ValidationError):
        update_opportunity(
            by=alice,
            opportunity_id=deal.pk,
            version=None,
            fields={"title": "Renamed", "value": "-1"},
        )

    assert not deal.changes.exists()


def test_a_stale_version_records_no_history(alice, deal):
    update_opportunity(by=alice, opportunity_id=deal.pk, version=1, fields={"title": "First"})

    with pytest.raises(MoveConflict, match=f"{alice} changed this deal first"):
        update_opportunity(by=alice, opportunity_id=deal.pk, version=1, fields={"title": "Late"})

    assert list(deal.changes.values_list("field", "new_value")) == [("title", "First")]
