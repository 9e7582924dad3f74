"""A deal's buying team: adding people with roles, the primary member, who may, and races.

North: manager Maria, reps Alice and Bob. South: manager Sam, rep Charlie. Ada is admin.
"""

import pytest
from django.apps import apps as django_apps
from django.core.exceptions import PermissionDenied, ValidationError

from pipeline.models import BuyingRole, DealChange, DealContact, Opportunity
from pipeline.services import (
    DealFields,
    MoveConflict,
    create_opportunity,
    move_opportunity,
    update_opportunity,
)
from pipeline.services.buying_team import (
    add_deal_contact,
    change_deal_contact_role,
    make_primary_deal_contact,
    remove_deal_contact,
)
from tests.factories import (
    BuyingRoleFactory,
    CompanyFactory,
    ContactFactory,
    DealContactFactory,
    OpportunityFactory,
    StageFactory,
)


@pytest.fixture
def deal(alice):
    return OpportunityFactory(owner=alice, title="Acme rollout")


@pytest.fixture
def decider(db):
    return BuyingRole.objects.get(name="Decision maker")


@pytest.fixture
def champion(db):
    return BuyingRole.objects.get(name="Champion")


def team(deal):
    return list(
        DealContact.objects.filter(opportunity=deal)
        .order_by("pk")
        .values_list("contact_id", "role_id", "is_primary")
    )


def written(deal):
    """Everything an edit of the team may write: the deal's row, its team and history."""
    return (
        Opportunity.objects.values().get(pk=deal.pk),
        team(deal),
        list(DealChange.objects.filter(opportunity=deal).values()),
    )


def test_owner_adds_a_contact_with_a_role_and_the_history_says_so(alice, deal, decider):
    contact = ContactFactory(company=deal.company, first_name="Ann", last_name="Lee")

    member = add_deal_contact(
        by=alice, opportunity_id=deal.pk, version=1, contact_id=contact.pk, role_id=decider.pk
    )

    assert team(deal) == [(contact.pk, decider.pk, False)]
    deal.refresh_from_db()
    assert (deal.version, deal.updated_by, deal.contact_id) == (2, alice, None)
    change = DealChange.objects.get(opportunity=deal)
    assert (change.field, change.old_value, change.by) == ("buying_team", [], alice)
    assert change.new_value == [{"contact": contact.pk, "role": decider.pk, "primary": False}]
    assert change.new_display == "Ann Lee (Decision maker)"
    assert member.role == decider


def test_a_contact_of_another_visible_company_may_join(alice, deal, champion):
    consultant = ContactFactory(company__owner=alice)

    add_deal_contact(
        by=alice, opportunity_id=deal.pk, version=None, contact_id=consultant.pk, role_id=None
    )

    assert team(deal) == [(consultant.pk, None, False)]


def test_adding_as_primary_makes_them_the_deals_contact(alice, deal, decider):
    contact = ContactFactory(company=deal.company)

    add_deal_contact(
        by=alice,
        opportunity_id=deal.pk,
        version=1,
        contact_id=contact.pk,
        role_id=decider.pk,
        is_primary=True,
    )

    deal.refresh_from_db()
    assert deal.contact_id == contact.pk
    assert team(deal) == [(contact.pk, decider.pk, True)]
    fields = set(DealChange.objects.filter(opportunity=deal).values_list("field", flat=True))
    assert fields == {"buying_team", "contact"}


def test_a_contact_of_another_company_cannot_be_primary(alice, deal):
    outsider = ContactFactory(company__owner=alice)
    before = written(deal)

    with pytest.raises(ValidationError) as error:
        add_deal_contact(
            by=alice,
            opportunity_id=deal.pk,
            version=1,
            contact_id=outsider.pk,
            role_id=None,
            is_primary=True,
        )

    assert "contact" in error.value.message_dict
    assert written(deal) == before


def test_a_contact_the_actor_cannot_see_is_refused(alice, deal, charlie):
    hidden = ContactFactory(company__owner=charlie)
    before = written(deal)

    with pytest.raises(ValidationError) as error:
        add_deal_contact(
            by=alice, opportunity_id=deal.pk, version=1, contact_id=hidden.pk, role_id=None
        )

    assert "contact" in error.value.message_dict
    assert written(deal) == before


def test_the_same_contact_twice_is_refused_and_nothing_is_written(alice, deal):
    member = DealContactFactory(opportunity=deal, contact=ContactFactory(company=deal.company))
    before = written(deal)

    with pytest.raises(ValidationError) as error:
        add_deal_contact(
            by=alice, opportunity_id=deal.pk, version=1, contact_id=member.contact_id, role_id=None
        )

    assert "already on the buying team" in error.value.message_dict["contact"][0]
    assert written(deal) == before


def test_a_retired_role_is_not_offered(alice, deal):
    retired = BuyingRoleFactory(name="Gatekeeper", is_active=False)
    contact = ContactFactory(company=deal.company)
    before = written(deal)

    with pytest.raises(ValidationError) as error:
        add_deal_contact(
            by=alice, opportunity_id=deal.pk, version=1, contact_id=contact.pk, role_id=retired.pk
        )

    assert "role" in error.value.message_dict
    assert written(deal) == before


def test_a_stale_version_loses_and_nothing_is_written(alice, deal):
    contact = ContactFactory(company=deal.company)
    update_opportunity(by=alice, opportunity_id=deal.pk, version=1, fields={"title": "Renamed"})
    before = written(deal)

    with pytest.raises(MoveConflict):
        add_deal_contact(
            by=alice, opportunity_id=deal.pk, version=1, contact_id=contact.pk, role_id=None
        )

    assert written(deal) == before


def test_manager_changes_their_reps_team(maria, deal):
    contact = ContactFactory(company=deal.company)

    add_deal_contact(
        by=maria, opportunity_id=deal.pk, version=1, contact_id=contact.pk, role_id=None
    )

    assert team(deal) == [(contact.pk, None, False)]


def test_teammate_may_not_change_the_team(bob, deal):
    contact = ContactFactory(company=deal.company)
    before = written(deal)

    with pytest.raises(PermissionDenied):
        add_deal_contact(
            by=bob, opportunity_id=deal.pk, version=1, contact_id=contact.pk, role_id=None
        )

    assert written(deal) == before


def test_other_team_cannot_see_the_deal(charlie, deal):
    contact = ContactFactory(company__owner=charlie)

    with pytest.raises(Opportunity.DoesNotExist):
        add_deal_contact(
            by=charlie, opportunity_id=deal.pk, version=1, contact_id=contact.pk, role_id=None
        )


def test_change_role(alice, deal, decider, champion):
    member = DealContactFactory(opportunity=deal, contact=ContactFactory(company=deal.company))
    member.role = champion
    member.save()

    change_deal_contact_role(
        by=alice, opportunity_id=deal.pk, version=1, member_id=member.pk, role_id=decider.pk
    )

    assert team(deal) == [(member.contact_id, decider.pk, False)]
    change = DealChange.objects.get(opportunity=deal)
    assert change.old_value[0]["role"] == champion.pk
    assert change.new_value[0]["role"] == decider.pk


def test_a_member_of_another_deal_is_not_found(alice, deal):
    elsewhere = DealContactFactory(opportunity=OpportunityFactory(owner=alice))

    with pytest.raises(ValidationError) as error:
        change_deal_contact_role(
            by=alice, opportunity_id=deal.pk, version=1, member_id=elsewhere.pk, role_id=None
        )

    assert "member" in error.value.message_dict


def test_make_primary_moves_the_star_and_the_deals_contact(alice, deal):
    first = ContactFactory(company=deal.company)
    second = ContactFactory(company=deal.company)
    update_opportunity(by=alice, opportunity_id=deal.pk, version=1, fields={"contact": first})
    other = DealContactFactory(opportunity=deal, contact=second)

    make_primary_deal_contact(by=alice, opportunity_id=deal.pk, version=2, member_id=other.pk)

    deal.refresh_from_db()
    assert (deal.contact_id, deal.version) == (second.pk, 3)
    assert team(deal) == [(first.pk, None, False), (second.pk, None, True)]
    contact_change = DealChange.objects.filter(opportunity=deal, field="contact").latest("pk")
    assert (contact_change.old_value, contact_change.new_value) == (first.pk, second.pk)


def test_removing_the_primary_clears_the_deals_contact(alice, deal):
    contact = ContactFactory(company=deal.company)
    update_opportunity(by=alice, opportunity_id=deal.pk, version=1, fields={"contact": contact})
    member = DealContact.objects.get(opportunity=deal)

    remove_deal_contact(by=alice, opportunity_id=deal.pk, version=2, member_id=member.pk)

    deal.refresh_from_db()
    assert (deal.contact_id, team(deal)) == (None, [])


def test_a_deal_without_a_company_keeps_its_primary(alice):
    contact = ContactFactory(company__owner=alice)
    deal = OpportunityFactory(owner=alice, company=None, contact=contact)
    member = DealContactFactory(opportunity=deal, contact=contact, is_primary=True)
    before = written(deal)

    with pytest.raises(ValidationError) as error:
        remove_deal_contact(by=alice, opportunity_id=deal.pk, version=1, member_id=member.pk)

    assert "member" in error.value.message_dict
    assert written(deal) == before


def test_a_deal_created_with_a_contact_starts_its_team_with_them(alice):
    contact = ContactFactory(company__owner=alice)
    stage = StageFactory()

    deal = create_opportunity(
        by=alice,
        title="New",
        company=contact.company,
        contact=contact,
        pipeline=stage.pipeline,
        value="10",
        currency="EUR",
    )

    assert team(deal) == [(contact.pk, None, True)]


def test_editing_the_contact_moves_the_primary_and_keeps_the_old_one(alice, deal):
    first = ContactFactory(company=deal.company)
    second = ContactFactory(company=deal.company)

    update_opportunity(by=alice, opportunity_id=deal.pk, version=1, fields={"contact": first})
    update_opportunity(by=alice, opportunity_id=deal.pk, version=2, fields={"contact": second})

    assert team(deal) == [(first.pk, None, False), (second.pk, None, True)]
    update_opportunity(by=alice, opportunity_id=deal.pk, version=3, fields={"contact": None})
    assert team(deal) == [(first.pk, None, False), (second.pk, None, False)]
    assert DealChange.objects.filter(opportunity=deal, field="buying_team").count() == 3


def test_the_migration_makes_each_deals_contact_its_primary_member(alice):
    migration = __import__(
        "pipeline.migrations.0011_decision_maker_entry_field", fromlist=["add_primary_members"]
    )
    contact = ContactFactory(company__owner=alice)
    deal = OpportunityFactory(owner=alice, company=contact.company, contact=contact)
    without = OpportunityFactory(owner=alice, company=CompanyFactory(owner=alice))

    migration.add_primary_members(django_apps, None)
    migration.add_primary_members(django_apps, None)  # safe to re-run

    assert team(deal) == [(contact.pk, None, True)]
    assert team(without) == []


def test_a_contact_given_in_the_move_dialog_becomes_the_primary(alice, deal):
    contact = ContactFactory(company=deal.company)
    target = StageFactory(pipeline=deal.pipeline, position=deal.stage.position + 1)
    target.entry_fields = ["contact"]
    target.save()

    move_opportunity(
        opportunity_id=deal.pk,
        by=alice,
        to_stage_id=target.pk,
        version=1,
        fields=DealFields(contact_id=contact.pk),
    )

    assert team(deal) == [(contact.pk, None, True)]
