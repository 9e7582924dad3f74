"""The buying roles admins keep: add, rename, reorder, deciding flag, retire."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from pipeline.models import BuyingRole
from pipeline.services.buying_roles import (
    add_buying_role,
    rename_buying_role,
    reorder_buying_roles,
    restore_buying_role,
    retire_buying_role,
    set_buying_role_decides,
)
from tests.factories import DealContactFactory


def names():
    return list(BuyingRole.objects.order_by("position", "name").values_list("name", flat=True))


def test_admin_adds_a_role_at_the_end(ada):
    role = add_buying_role(by=ada, name="  Legal  counsel ", decides=True)

    assert (role.name, role.decides, role.is_active) == ("Legal counsel", True, True)
    assert names()[-1] == "Legal counsel"


def test_a_name_taken_in_another_case_is_refused(ada):
    count = BuyingRole.objects.count()

    with pytest.raises(ValidationError) as error:
        add_buying_role(by=ada, name="champion")

    assert "name" in error.value.message_dict
    assert BuyingRole.objects.count() == count


def test_a_blank_name_is_refused(ada):
    role = BuyingRole.objects.get(name="User")

    with pytest.raises(ValidationError) as error:
        rename_buying_role(by=ada, role_id=role.pk, name="   ")

    assert "name" in error.value.message_dict
    role.refresh_from_db()
    assert role.name == "User"


def test_admin_renames_and_marks_as_deciding(ada):
    role = BuyingRole.objects.get(name="Influencer")

    rename_buying_role(by=ada, role_id=role.pk, name="Technical buyer")
    set_buying_role_decides(by=ada, role_id=role.pk, decides=True)

    role.refresh_from_db()
    assert (role.name, role.decides) == ("Technical buyer", True)


def test_admin_reorders_every_role(ada):
    ids = list(BuyingRole.objects.order_by("-position").values_list("pk", flat=True))
    expected = list(reversed(names()))

    reorder_buying_roles(by=ada, role_ids=ids)

    assert names() == expected


def test_a_reorder_missing_a_role_is_refused(ada):
    before = names()
    ids = list(BuyingRole.objects.values_list("pk", flat=True))[1:]

    with pytest.raises(ValidationError):
        reorder_buying_roles(by=ada, role_ids=ids)

    assert names() == before


def test_a_role_in_use_is_retired_not_deleted(ada):
    role = BuyingRole.objects.get(name="Blocker")
    DealContactFactory(role=role)

    assert retire_buying_role(by=ada, role_id=role.pk) is False

    role.refresh_from_db()
    assert role.is_active is False
    restore_buying_role(by=ada, role_id=role.pk)
    role.refresh_from_db()
    assert role.is_active is True


def test_an_unused_role_is_deleted(ada):
    role = BuyingRole.objects.get(name="User")

    assert retire_buying_role(by=ada, role_id=role.pk) is True

    assert not BuyingRole.objects.filter(pk=role.pk).exists()


@pytest.mark.parametrize("person", ["alice", "maria"])
def test_only_admins_change_roles(request, person):
    user = request.getfixturevalue(person)

    with pytest.raises(PermissionDenied):
        add_buying_role(by=user, name="Sponsor")

    assert not BuyingRole.objects.filter(name="Sponsor").exists()
