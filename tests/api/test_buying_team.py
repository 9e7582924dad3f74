"""The API's buying team: a deal's contacts with roles, and the buying roles.

North: manager Maria, reps Alice and Bob. South: manager Sam, rep Charlie. Ada is admin.
"""

import pytest

from contacts.models import Contact
from pipeline.models import BuyingRole, DealChange, DealContact, Opportunity
from pipeline.services import update_opportunity
from tests.factories import ContactFactory, DealContactFactory, OpportunityFactory

# session, user, the deal, its team.
LIST_QUERIES = 4
# session, user, the roles.
ROLES_QUERIES = 3


@pytest.fixture
def deal(alice):
    return OpportunityFactory(owner=alice, title="Acme rollout")


@pytest.fixture
def decider(db):
    return BuyingRole.objects.get(name="Decision maker")


def team_url(deal):
    return f"/api/opportunities/{deal.pk}/contacts/"


def member_url(deal, member):
    return f"/api/opportunities/{deal.pk}/contacts/{member.pk}/"


@pytest.mark.parametrize("viewer", ["alice", "bob", "maria"])
def test_owner_teammate_and_manager_read_the_team(api_as, request, deal, decider, viewer):
    member = DealContactFactory(
        opportunity=deal,
        contact=ContactFactory(company=deal.company, first_name="Ann", last_name="Lee"),
        role=decider,
    )

    response = api_as(request.getfixturevalue(viewer)).get(team_url(deal))

    assert response.status_code == 200
    assert response.json() == [
        {
            "id": member.pk,
            "contact": member.contact_id,
            "contact_name": "Ann Lee",
            "role": decider.pk,
            "role_name": "Decision maker",
            "decides": True,
            "is_primary": False,
            "created_at": response.json()[0]["created_at"],
        }
    ]


def test_other_team_gets_404_everywhere_and_nothing_changes(api_as, charlie, deal):
    member = DealContactFactory(opportunity=deal, contact=ContactFactory(company=deal.company))
    api = api_as(charlie)
    own = ContactFactory(company__owner=charlie)

    answers = [
        api.get(team_url(deal)).status_code,
        api.post(team_url(deal), {"contact": own.pk}, format="json").status_code,
        api.patch(member_url(deal, member), {"role": None}, format="json").status_code,
        api.delete(member_url(deal, member)).status_code,
    ]

    assert answers == [404, 404, 404, 404]
    assert list(DealContact.objects.values_list("pk", flat=True)) == [member.pk]


def test_teammate_may_not_change_the_team(api_as, bob, deal):
    contact = ContactFactory(company=deal.company)

    response = api_as(bob).post(team_url(deal), {"contact": contact.pk}, format="json")

    assert response.status_code == 403
    assert not DealContact.objects.exists()


def test_owner_adds_a_primary_decision_maker(api_as, alice, deal, decider):
    contact = ContactFactory(company=deal.company)

    response = api_as(alice).post(
        team_url(deal),
        {"contact": contact.pk, "role": decider.pk, "is_primary": True, "version": 1},
        format="json",
    )

    assert response.status_code == 201
    assert (response.json()["decides"], response.json()["is_primary"]) == (True, True)
    deal.refresh_from_db()
    assert (deal.contact_id, deal.version) == (contact.pk, 2)
    assert DealChange.objects.filter(opportunity=deal, field="buying_team").exists()


def test_bad_input_is_400_naming_the_field(api_as, alice, charlie, deal):
    hidden = ContactFactory(company__owner=charlie)

    response = api_as(alice).post(team_url(deal), {"contact": hidden.pk}, format="json")

    assert response.status_code == 400
    assert "contact" in response.json()
    assert not DealContact.objects.exists()


def test_a_stale_version_is_409_with_the_current_deal(api_as, alice, maria, deal):
    contact = ContactFactory(company=deal.company)
    update_opportunity(by=maria, opportunity_id=deal.pk, version=1, fields={"title": "New"})

    response = api_as(alice).post(
        team_url(deal), {"contact": contact.pk, "version": 1}, format="json"
    )

    assert response.status_code == 409
    assert response.json()["current"]["version"] == 2
    assert not DealContact.objects.exists()


def test_manager_changes_the_role_makes_primary_and_removes(api_as, maria, deal, decider):
    member = DealContactFactory(opportunity=deal, contact=ContactFactory(company=deal.company))
    api = api_as(maria)

    changed = api.patch(
        member_url(deal, member), {"role": decider.pk, "is_primary": True}, format="json"
    )
    removed = api.delete(member_url(deal, member) + "?version=3")

    assert changed.status_code == 200
    assert (changed.json()["role"], changed.json()["is_primary"]) == (decider.pk, True)
    assert removed.status_code == 204
    deal.refresh_from_db()
    assert (deal.contact_id, DealContact.objects.count()) == (None, 0)


def test_unmaking_primary_is_refused(api_as, alice, deal):
    member = DealContactFactory(opportunity=deal, contact=ContactFactory(company=deal.company))

    response = api_as(alice).patch(member_url(deal, member), {"is_primary": False}, format="json")

    assert response.status_code == 400
    assert "is_primary" in response.json()


def grow(deal, rows):
    start = Contact.objects.count()
    contacts = Contact.objects.bulk_create(
        Contact(
            company=deal.company,
            owner=deal.owner,
            first_name=f"P{start + n}",
            email=f"p{start + n}@example.com",
        )
        for n in range(rows)
    )
    role = BuyingRole.objects.get(name="Champion")
    DealContact.objects.bulk_create(
        DealContact(opportunity=deal, contact=contact, role=role) for contact in contacts
    )


def test_team_list_costs_the_same_for_10_and_1000_members(
    api_as, alice, deal, django_assert_num_queries
):
    api = api_as(alice)
    grow(deal, 10)
    with django_assert_num_queries(LIST_QUERIES):
        small = api.get(team_url(deal))
    grow(deal, 990)
    with django_assert_num_queries(LIST_QUERIES):
        large = api.get(team_url(deal))

    assert (len(small.json()), len(large.json())) == (10, 1000)


def test_everyone_reads_roles_and_only_admins_write(api_as, alice, ada):
    roles = api_as(alice).get("/api/buying-roles/")
    refused = api_as(alice).post("/api/buying-roles/", {"name": "Sponsor"}, format="json")
    added = api_as(ada).post(
        "/api/buying-roles/", {"name": "Sponsor", "decides": True}, format="json"
    )

    assert roles.status_code == 200
    assert [role["name"] for role in roles.json()][:2] == ["Decision maker", "Economic buyer"]
    assert refused.status_code == 403
    assert added.status_code == 201
    assert added.json()["decides"] is True


def test_admin_renames_retires_and_restores(api_as, ada):
    role = BuyingRole.objects.get(name="Blocker")
    DealContactFactory(role=role)
    api = api_as(ada)

    renamed = api.patch(f"/api/buying-roles/{role.pk}/", {"name": "Detractor"}, format="json")
    retired = api.delete(f"/api/buying-roles/{role.pk}/")
    role.refresh_from_db()
    assert (role.name, role.is_active) == ("Detractor", False)
    restored = api.patch(f"/api/buying-roles/{role.pk}/", {"is_active": True}, format="json")

    assert (renamed.status_code, retired.status_code, restored.status_code) == (200, 204, 200)
    assert restored.json()["is_active"] is True


def test_a_taken_role_name_is_400(api_as, ada):
    response = api_as(ada).post("/api/buying-roles/", {"name": "champion"}, format="json")

    assert response.status_code == 400
    assert "name" in response.json()


def test_roles_cost_the_same_for_10_and_1000(api_as, alice, django_assert_num_queries):
    api = api_as(alice)
    BuyingRole.objects.bulk_create(BuyingRole(name=f"R{n}", position=10 + n) for n in range(4))
    with django_assert_num_queries(ROLES_QUERIES):
        small = api.get("/api/buying-roles/")
    BuyingRole.objects.bulk_create(BuyingRole(name=f"M{n}", position=20 + n) for n in range(990))
    with django_assert_num_queries(ROLES_QUERIES):
        large = api.get("/api/buying-roles/")

    assert (len(small.json()), len(large.json())) == (10, 1000)


def test_a_deal_that_is_not_there_is_404(api_as, alice, db):
    missing = Opportunity.objects.count() + 1000

    assert api_as(alice).get(f"/api/opportunities/{missing}/contacts/").status_code == 404
