"""The buying roles settings page: admins list, add, rename, reorder, mark deciding, retire."""

import pytest
from django.urls import reverse

from pipeline.models import BuyingRole, DealContact
from tests.factories import DealContactFactory, OpportunityFactory
from tests.html import element, elements

HTMX = {"HX-Request": "true"}
# session, user, the roles with their use.
PAGE_QUERIES = 3
URL = "/settings/buying-roles/"


@pytest.fixture
def admin(client, ada):
    client.force_login(ada)
    return client


def role_names(response):
    return [
        row_input.attrs["value"]
        for row_input in elements(response.content, "input", name="name")
        if row_input.attrs.get("id", "").startswith("buying-role-")
    ]


def test_the_page_is_linked_from_settings_and_lists_the_roles_in_order(admin):
    overview = admin.get("/settings/")
    (link,) = [a for a in elements(overview.content, "a") if "Manage buying roles" in a.text]
    assert link.attrs["href"] == reverse("pipeline:buying_roles") == URL

    response = admin.get(URL)

    assert response.status_code == 200
    assert role_names(response) == list(
        BuyingRole.objects.order_by("position", "name").values_list("name", flat=True)
    )
    decides = element(
        response.content,
        "input",
        id=f"buying-role-{BuyingRole.objects.get(name='Decision maker').pk}-decides",
    )
    assert "checked" in decides.attrs


@pytest.mark.parametrize("person", ["alice", "maria"])
def test_reps_and_managers_are_refused(client, request, person):
    client.force_login(request.getfixturevalue(person))

    assert client.get(URL).status_code == 403
    assert client.post(URL, {"name": "Sponsor"}).status_code == 403
    assert not BuyingRole.objects.filter(name="Sponsor").exists()


def test_anonymous_goes_to_sign_in(client, db):
    assert client.get(URL).status_code == 302


def test_admin_adds_a_deciding_role(admin):
    response = admin.post(URL, {"name": "Sponsor", "decides": "on"}, headers=HTMX)

    assert response.status_code == 200
    assert "Sponsor" in role_names(response)
    assert BuyingRole.objects.get(name="Sponsor").decides is True


def test_a_taken_name_is_422_naming_it(admin):
    count = BuyingRole.objects.count()

    response = admin.post(URL, {"name": "CHAMPION"}, headers=HTMX)

    assert response.status_code == 422
    assert response["HX-Retarget"] == "#buying-roles"
    assert "exists already" in element(response.content, id="buying-roles-error").text
    assert BuyingRole.objects.count() == count


def test_admin_renames_and_unmarks_deciding(admin):
    role = BuyingRole.objects.get(name="Economic buyer")

    response = admin.post(
        reverse("pipeline:buying_role", args=[role.pk]), {"action": "save", "name": "Budget owner"}
    )

    assert response.status_code == 303
    role.refresh_from_db()
    assert (role.name, role.decides) == ("Budget owner", False)


def test_the_arrows_reorder(admin):
    response = admin.get(URL)
    first, second = BuyingRole.objects.order_by("position", "name")[:2]
    # The first role's "down" and the second's "up" send the same order.
    (down,) = {
        form_input.attrs["value"]
        for form_input in elements(response.content, "input", name="order")
        if form_input.attrs["value"].startswith(f"{second.pk},{first.pk},")
    }

    admin.post(reverse("pipeline:reorder_buying_roles"), {"order": down}, headers=HTMX)

    assert list(BuyingRole.objects.order_by("position")[:2]) == [second, first]


def test_a_role_in_use_is_retired_and_can_be_offered_again(admin):
    role = BuyingRole.objects.get(name="Blocker")
    DealContactFactory(role=role)
    url = reverse("pipeline:buying_role", args=[role.pk])

    retired = admin.post(url, {"action": "retire"}, headers=HTMX)

    assert retired.status_code == 200
    role.refresh_from_db()
    assert role.is_active is False
    assert DealContact.objects.filter(role=role).exists()
    admin.post(url, {"action": "restore"}, headers=HTMX)
    role.refresh_from_db()
    assert role.is_active is True


def test_an_unused_role_is_deleted(admin):
    role = BuyingRole.objects.get(name="User")

    admin.post(reverse("pipeline:buying_role", args=[role.pk]), {"action": "retire"})

    assert not BuyingRole.objects.filter(pk=role.pk).exists()


def test_page_query_count_is_the_same_for_10_and_1000_roles(admin, django_assert_num_queries):
    deal = OpportunityFactory()
    BuyingRole.objects.bulk_create(BuyingRole(name=f"Role {n}", position=10 + n) for n in range(4))
    DealContactFactory(opportunity=deal, role=BuyingRole.objects.get(name="Role 1"))
    with django_assert_num_queries(PAGE_QUERIES):
        small = admin.get(URL)
    BuyingRole.objects.bulk_create(
        BuyingRole(name=f"More {n}", position=100 + n) for n in range(990)
    )
    with django_assert_num_queries(PAGE_QUERIES):
        large = admin.get(URL)

    assert len(role_names(small)) == 10
    assert len(role_names(large)) == 1000
