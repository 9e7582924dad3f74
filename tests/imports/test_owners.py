"""Owners named as exports name them: user name, e-mail, full name or the old CRM's id.

Team North: manager Maria, reps Alice and Bob. Team South: manager Sam, rep Charlie.
Ada is an admin.
"""

import pytest

from accounts.models import User
from contacts.models import Company
from crm.imports.options import ImportOptions, UnknownOwners
from crm.imports.parsing import ImportFileError
from pipeline.models import Opportunity
from tests.factories import CompanyFactory, UserFactory
from tests.imports.importing import run_import


def owners_by_name() -> dict[str, str]:
    return dict(Company.objects.values_list("name", "owner__username"))


def test_owners_by_full_name_ignoring_case_and_extra_spaces(maria, alice, bob):
    alice.first_name, alice.last_name = "Anna", "Example"
    alice.save()
    bob.first_name, bob.last_name = "Björn", "Østergård"
    bob.save()
    content = (
        "name,owner\n"
        "One,Anna Example\n"
        "Two,  anna   EXAMPLE \n"
        '"Three","Example, Anna"\n'
        "Four,BJÖRN østergård\n"
        "Five,ALICE\n"
        f"Six,{bob.email.upper()}\n"
    )

    result = run_import(maria, "companies", content)

    assert result.reasons == {}
    assert owners_by_name() == {
        "One": "alice",
        "Two": "alice",
        "Three": "alice",
        "Four": "bob",
        "Five": "alice",
        "Six": "bob",
    }


def test_an_owner_id_from_the_old_crm_finds_the_user(ada, alice):
    alice.external_id = "0058d000001ExamAAA"
    alice.save()

    result = run_import(
        ada,
        "companies",
        "Name,OwnerId\nAcme,0058d000001ExamAAA\n",
        {"name": "Name", "owner": "OwnerId"},
    )

    assert result.reasons == {}
    assert owners_by_name() == {"Acme": "alice"}


def test_a_name_two_users_share_is_a_row_error_naming_both(maria, alice, bob):
    for user in (alice, bob):
        user.first_name, user.last_name = "Sam", "Same"
        user.save()

    result = run_import(maria, "companies", "name,owner\nAcme,Sam Same\n")

    assert result.reasons == {
        2: [
            "owner: “Sam Same” names several users: alice (alice@example.com), "
            "bob (bob@example.com); give a user name or e-mail."
        ]
    }
    assert not Company.objects.exists()


def test_owners_are_still_only_people_the_importer_may_assign_to(alice, bob, charlie):
    result = run_import(
        alice,
        "companies",
        f"name,owner\nMine,{alice.get_full_name()}\nTheirs,{charlie.get_full_name()}\n",
    )

    assert result.reasons == {
        3: [f"owner: No active user “{charlie.get_full_name()}” you may make the owner."]
    }


def test_an_admins_import_may_name_a_user_who_has_left(ada, maria):
    gone = UserFactory(username="gone", first_name="Olaf", last_name="Departed", is_active=False)

    admins = run_import(ada, "companies", "name,owner\nOld deal,Olaf Departed\n")
    managers = run_import(maria, "companies", "name,owner\nOther,Olaf Departed\n")

    assert admins.reasons == {}
    assert Company.objects.get(name="Old deal").owner == gone
    assert managers.reasons == {
        2: ["owner: No active user “Olaf Departed” you may make the owner."]
    }


def test_unknown_owners_are_created_once_inactive_and_without_a_password(ada, alice):
    content = (
        "name,owner\nOne,Nora Newcomer\nTwo,nora   newcomer\nThree,walter@old.example\nFour,alice\n"
    )
    options = ImportOptions(unknown_owners=UnknownOwners.CREATE)

    result = run_import(ada, "companies", content, options=options)

    assert result.reasons == {}
    nora = User.objects.get(first_name="Nora")
    walter = User.objects.get(email="walter@old.example")
    assert (nora.username, nora.last_name, nora.is_active) == ("nora.newcomer", "Newcomer", False)
    assert (walter.username, walter.is_active) == ("walter", False)
    assert not nora.has_usable_password()
    assert not walter.has_usable_password()
    assert owners_by_name() == {
        "One": "nora.newcomer",
        "Two": "nora.newcomer",
        "Three": "walter",
        "Four": "alice",
    }

    # A second import finds them by the name it created them under.
    again = run_import(ada, "companies", "name,owner\nFive,Nora Newcomer\n", options=options)
    assert again.reasons == {}
    assert User.objects.filter(first_name="Nora").count() == 1


def test_only_admins_may_create_missing_owners(maria):
    options = ImportOptions(unknown_owners=UnknownOwners.CREATE)

    with pytest.raises(ImportFileError, match="Only admins may create users"):
        run_import(maria, "companies", "name,owner\nAcme,Nora Newcomer\n", options=options)

    assert not User.objects.filter(first_name="Nora").exists()


def test_unknown_owners_records_go_to_the_chosen_user(maria, alice, bob):
    options = ImportOptions(unknown_owners=UnknownOwners.ASSIGN, owners_to=bob.pk)

    result = run_import(
        maria, "companies", "name,owner\nOne,Nobody Known\nTwo,alice\n", options=options
    )

    assert result.reasons == {}
    assert owners_by_name() == {"One": "bob", "Two": "alice"}


def test_records_cannot_go_to_someone_the_importer_may_not_assign_to(maria, charlie):
    options = ImportOptions(unknown_owners=UnknownOwners.ASSIGN, owners_to=charlie.pk)

    with pytest.raises(ImportFileError, match="Choose an active user you may give records to"):
        run_import(maria, "companies", "name,owner\nOne,Nobody Known\n", options=options)

    assert not Company.objects.exists()


@pytest.mark.parametrize("batch_size", [2, 20])
def test_owners_are_read_once_per_import_whatever_the_batches(
    ada, alice, bob, batch_size, django_assert_num_queries
):
    content = "name,owner\n" + "".join(
        f"C{n},{(alice if n % 2 else bob).get_full_name()}\n" for n in range(20)
    )
    batches = 20 // batch_size

    # The companies' custom fields; savepoint and release; the users once; per batch an
    # INSERT of its companies.
    with django_assert_num_queries(4 + batches):
        result = run_import(ada, "companies", content, batch_size=batch_size)

    assert result.outcome.created == 20


def test_deals_take_owners_by_full_name_and_create_the_missing_ones(ada, alice, pipeline):

    CompanyFactory(name="Acme", owner=alice)
    alice.first_name, alice.last_name = "Anna", "Example"
    alice.save()
    content = "title,company,owner\nRenewal,Acme,ANNA example\nPilot,Acme,Old Rep\n"

    result = run_import(
        ada, "deals", content, options=ImportOptions(unknown_owners=UnknownOwners.CREATE)
    )

    assert result.reasons == {}
    owners = dict(Opportunity.objects.values_list("title", "owner__username"))
    assert owners == {"Renewal": "alice", "Pilot": "old.rep"}
