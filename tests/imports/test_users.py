"""Importing users and teams: roles, teams, managers, re-imports; admins only.

The Salesforce file has the User object's documented columns (Id, Username, FirstName,
LastName, Name, Email, IsActive, ManagerId; Salesforce field reference, User); its ids are
made up in Salesforce's 18-character form.
"""

import pytest

from accounts.models import Role, Team, User
from tests.factories import TeamFactory, UserFactory
from tests.imports.importing import run_import

SALESFORCE_USERS = (
    "Id,Username,FirstName,LastName,Name,Email,IsActive,ManagerId\n"
    "0058d000001RossAAA,maria.rossi@acme.example,Maria,Rossi,Maria Rossi,"
    "maria.rossi@acme.example,true,\n"
    "0058d000001ExamAAA,anna.example@acme.example,Anna,Example,Anna Example,"
    "anna@acme.example,true,0058d000001RossAAA\n"
    "0058d000001GoneAAA,old.rep@acme.example,Olaf,Departed,Olaf Departed,"
    "olaf@acme.example,false,0058d000001RossAAA\n"
)
SALESFORCE_MAP = {
    "external_id": "Id",
    "username": "Username",
    "first_name": "FirstName",
    "last_name": "LastName",
    "email": "Email",
    "is_active": "IsActive",
    "manager": "ManagerId",
}


def test_admin_imports_a_salesforce_user_list_with_its_manager_hierarchy(ada):
    result = run_import(ada, "users", SALESFORCE_USERS, SALESFORCE_MAP)

    assert (result.outcome.created, result.outcome.rejected) == (3, 0), result.reasons
    maria = User.objects.get(external_id="0058d000001RossAAA")
    anna = User.objects.get(external_id="0058d000001ExamAAA")
    olaf = User.objects.get(external_id="0058d000001GoneAAA")
    assert (anna.username, anna.email, anna.first_name, anna.last_name) == (
        "anna.example@acme.example",
        "anna@acme.example",
        "Anna",
        "Example",
    )
    # Salesforce has managers, not teams: Maria's reports become her team, and she its manager.
    assert anna.team == olaf.team
    assert anna.team.name == "Maria Rossi's team"
    assert anna.team.manager == maria
    assert maria.role == Role.MANAGER
    assert (anna.role, anna.is_active, olaf.is_active) == (Role.REP, True, False)
    # Nobody's password travels in a file: new users choose one through password reset.
    assert not any(user.has_usable_password() for user in (maria, anna, olaf))


def test_roles_by_code_or_name_and_teams_by_name_created_when_missing(ada):
    north = TeamFactory(name="North")
    content = (
        "email,name,role,team\n"
        "rita@example.com,Rita Rep,rep,north\n"
        "mo@example.com,Mo Manager,Sales Manager,  North \n"
        "al@example.com,Al Admin,ADMINISTRATOR,\n"
        "ed@example.com,Ed East,rep,East\n"
        "xi@example.com,Xi Unknown,chief,Nowhere\n"
    )

    result = run_import(ada, "users", content)

    assert result.reasons == {6: ["role: “chief” is not a role; use one of: rep, manager, admin."]}
    roles = dict(User.objects.exclude(pk=ada.pk).values_list("email", "role"))
    assert roles == {
        "rita@example.com": "rep",
        "mo@example.com": "manager",
        "al@example.com": "admin",
        "ed@example.com": "rep",
    }
    assert not Team.objects.filter(name="Nowhere").exists()
    assert User.objects.get(email="rita@example.com").team == north
    assert User.objects.get(email="mo@example.com").team == north
    assert Team.objects.get(name="East").members.get().email == "ed@example.com"


def test_user_names_are_made_valid_and_unique_from_the_email_or_the_name(ada):
    UserFactory(username="anna")
    content = (
        "email,first_name,last_name\n"
        "anna@one.example,Anna,One\n"
        "anna@two.example,Anna,Two\n"
        ",Jean Luc,Picard\n"
    )

    result = run_import(
        ada,
        "users",
        content,
        {"email": "email", "first_name": "first_name", "last_name": "last_name", "username": ""},
    )

    assert result.outcome.created == 3, result.reasons
    assert set(
        User.objects.filter(last_name__in=["One", "Two", "Picard"]).values_list(
            "username", flat=True
        )
    ) == {"anna2", "anna3", "jean.luc.picard"}


def test_the_manager_column_sets_the_teams_manager_and_conflicts_are_rejected(ada, maria, north):
    content = (
        "email,name,team,manager\n"
        "lena@example.com,Lena Lead,South,\n"
        "rob@example.com,Rob Rep,South,lena@example.com\n"
        "sue@example.com,Sue Rep,South,  LENA lead \n"
        "tom@example.com,Tom Rep,South,maria\n"
        "uma@example.com,Uma Rep,North,nobody@example.com\n"
    )

    result = run_import(ada, "users", content)

    assert result.reasons == {
        5: [
            "manager: Line 3 makes lena (lena@example.com) the manager of South; this row "
            f"names maria ({maria.email})."
        ],
        6: ["manager: No user “nobody@example.com” in the CRM or on an earlier row of this file."],
    }
    south = Team.objects.get(name="South")
    assert south.manager.email == "lena@example.com"
    assert south.manager.role == Role.MANAGER
    assert set(south.members.values_list("email", flat=True)) == {
        "lena@example.com",
        "rob@example.com",
        "sue@example.com",
    }
    north.refresh_from_db()
    assert north.manager == maria


def test_reimporting_by_external_id_or_email_updates_the_users(ada, alice):
    run_import(ada, "users", SALESFORCE_USERS, SALESFORCE_MAP)
    content = (
        "Id,Email,LastName,IsActive,Role\n"
        "0058d000001ExamAAA,anna.new@acme.example,Beispiel,yes,manager\n"
        f",{alice.email.upper()},Liddell,no,\n"
    )

    result = run_import(
        ada,
        "users",
        content,
        {
            "external_id": "Id",
            "email": "Email",
            "last_name": "LastName",
            "is_active": "IsActive",
            "role": "Role",
        },
    )

    assert (result.outcome.created, result.outcome.updated) == (0, 2), result.reasons
    anna = User.objects.get(external_id="0058d000001ExamAAA")
    assert (anna.email, anna.first_name, anna.last_name, anna.role) == (
        "anna.new@acme.example",
        "Anna",
        "Beispiel",
        "manager",
    )
    alice.refresh_from_db()
    assert (alice.last_name, alice.is_active, alice.username) == ("Liddell", False, "alice")
    assert User.objects.count() == 6  # Ada, Maria, Alice and the three imported


def test_a_row_may_not_merge_two_users_nor_name_one_twice(ada, alice, bob):
    content = (
        "external_id,username,email\n"
        f"X-1,alice,{bob.email}\n"
        "X-2,new.person,new@example.com\n"
        "X-2,other,other@example.com\n"
    )

    result = run_import(ada, "users", content)

    assert result.reasons == {
        2: [f"email: “{bob.email}” belongs to another user, bob ({bob.email})."],
        4: ["external_id: “X-2” is also on line 3; give each user once."],
    }
    alice.refresh_from_db()
    assert alice.external_id == ""


def test_an_admin_cannot_deactivate_themselves_or_drop_their_role(ada):
    content = f"email,is_active,role\n{ada.email},no,\n"

    result = run_import(ada, "users", content)

    assert result.reasons == {2: ["is_active: You cannot deactivate yourself in an import."]}
    ada.refresh_from_db()
    assert ada.is_active


def test_an_admin_cannot_change_a_superuser(ada):
    root = UserFactory(username="root", email="root@example.com", is_superuser=True)

    result = run_import(ada, "users", "email,is_active\nroot@example.com,no\n")

    assert result.reasons == {2: [": Only a superuser may change a superuser's account."]}
    root.refresh_from_db()
    assert root.is_active


@pytest.mark.parametrize("who", ["maria", "alice"])
def test_only_admins_import_users(request, who):
    user = request.getfixturevalue(who)

    result = run_import(user, "users", SALESFORCE_USERS, SALESFORCE_MAP)

    assert (result.outcome.created, result.outcome.rejected) == (0, 3)
    assert set(result.reasons[2]) == {": Only admins import users."}
    assert not User.objects.filter(external_id__startswith="0058").exists()


def test_a_users_import_costs_the_same_queries_for_four_or_forty_rows(
    ada, django_assert_num_queries
):
    def users_file(count: int, offset: int) -> str:
        return "email,name,team\n" + "".join(
            f"u{n}@example.com,User {n},Team {offset + n % 3}\n"
            for n in range(offset, offset + count)
        )

    # Savepoint; users and teams read once; new teams, new users; savepoint released. (Forty
    # rows: SQLite takes at most 999 parameters a statement, so more users take two INSERTs.)
    with django_assert_num_queries(6):
        run_import(ada, "users", users_file(4, 0))
    with django_assert_num_queries(6):
        run_import(ada, "users", users_file(40, 100))

    assert User.objects.filter(email__startswith="u").count() == 44
    assert Team.objects.count() == 6


def test_rows_whose_new_manager_is_rejected_are_rejected_and_make_no_team(ada, maria):
    content = (
        "email,name,team,manager\n"
        "lena@example.com,Lena Lead,North,nobody@example.com\n"
        "rob@example.com,Rob Rep,East,lena@example.com\n"
        "sue@example.com,Sue Rep,West,rob@example.com\n"
    )

    result = run_import(ada, "users", content)

    rejected = "manager: The manager's own row is rejected; fix it and import again."
    assert result.reasons == {
        2: ["manager: No user “nobody@example.com” in the CRM or on an earlier row of this file."],
        3: [rejected],
        4: [rejected],
    }
    assert not Team.objects.filter(name__in=["East", "West"]).exists()
    assert not User.objects.filter(
        email__in=["lena@example.com", "rob@example.com", "sue@example.com"]
    ).exists()
