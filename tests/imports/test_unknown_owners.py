"""Choosing what happens to owners the CRM does not know: on the mapping page, in the preview,
and on the command line.

Team North: manager Maria, reps Alice and Bob. Team South: manager Sam, rep Charlie.
Ada is an admin.
"""

import io

import pytest
from bs4 import BeautifulSoup
from django.core.management import CommandError, call_command
from django.urls import reverse

from accounts.models import User
from contacts.models import Company
from crm.imports.models import ImportJob
from tests.imports.test_views import upload

COMPANIES = "Name;Owner\nAcme;Nora Newcomer\nGlobex;alice\nInitech;nora newcomer\n"
MAPPING = {"name": "Name", "owner": "Owner"}


def elements(response, selector: str) -> list:
    return BeautifulSoup(response.content, "html.parser").select(selector)


def mapping_page(client, job_id):
    return client.get(reverse("imports:columns", args=[job_id]))


def upload_companies(client, content: str = COMPANIES) -> ImportJob:
    response = upload(client, content, kind="companies")
    assert response.status_code == 302
    return ImportJob.objects.latest("pk")


def test_mapping_page_offers_creating_users_to_admins_only(client, ada, maria):
    for user, offered in ((ada, {"reject", "create", "assign"}), (maria, {"reject", "assign"})):
        client.force_login(user)
        job = upload_companies(client)

        page = mapping_page(client, job.pk)

        radios = elements(page, 'input[name="unknown_owners"]')
        assert {radio["value"] for radio in radios} == offered
        receivers = {
            option.text for option in elements(page, 'select[name="owners_to"] option')[1:]
        }
        expected = (
            User.objects.filter(is_active=True)
            if user.is_admin
            else User.objects.filter(team__manager=maria, is_active=True)
            | User.objects.filter(pk=maria.pk)
        )
        assert receivers == {str(person) for person in expected}


def test_a_users_import_has_no_owner_choice(client, ada):
    client.force_login(ada)
    response = upload(client, "email;name\nx@example.com;X\n", kind="users")
    assert response.status_code == 302

    page = mapping_page(client, ImportJob.objects.latest("pk").pk)

    assert elements(page, 'input[name="unknown_owners"]') == []


def test_giving_unknown_owners_records_to_a_user_is_saved_and_previewed(client, maria, alice, bob):
    client.force_login(maria)
    job = upload_companies(client)

    missing = client.post(
        reverse("imports:columns", args=[job.pk]), {**MAPPING, "unknown_owners": "assign"}
    )
    response = client.post(
        reverse("imports:columns", args=[job.pk]),
        {**MAPPING, "unknown_owners": "assign", "owners_to": bob.pk},
    )

    assert missing.status_code == 400
    assert "owners_to" in missing.context["form"].errors
    assert response.status_code == 302
    job.refresh_from_db()
    assert (job.options["unknown_owners"], job.options["owners_to"]) == ("assign", bob.pk)
    preview = client.get(reverse("imports:preview", args=[job.pk]))
    listed = [item.text.split() for item in elements(preview, "#unknown-owners li")]
    assert listed == [["Nora", "Newcomer", "their", "records", "go", "to", *str(bob).split()]]
    assert all(not row.problems for row in preview.context["rows"])


def test_a_manager_cannot_give_records_to_another_team(client, maria, charlie):
    client.force_login(maria)
    job = upload_companies(client)

    response = client.post(
        reverse("imports:columns", args=[job.pk]),
        {**MAPPING, "unknown_owners": "assign", "owners_to": charlie.pk},
    )

    assert response.status_code == 400
    assert "owners_to" in response.context["form"].errors


def test_an_admin_creates_missing_owners_through_the_pages(
    client, ada, alice, celery_eager, django_capture_on_commit_callbacks
):
    client.force_login(ada)
    job = upload_companies(client)
    client.post(reverse("imports:columns", args=[job.pk]), {**MAPPING, "unknown_owners": "create"})

    preview = client.get(reverse("imports:preview", args=[job.pk]))
    assert [item.text.split()[:2] for item in elements(preview, "#unknown-owners li")] == [
        ["Nora", "Newcomer"]
    ]
    assert not User.objects.filter(first_name="Nora").exists()  # the preview writes nothing

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("imports:preview", args=[job.pk]))

    job.refresh_from_db()
    assert (job.status, job.created_count, job.rejected_count) == ("done", 3, 0)
    nora = User.objects.get(first_name="Nora")
    assert not nora.is_active
    assert set(Company.objects.filter(owner=nora).values_list("name", flat=True)) == {
        "Acme",
        "Initech",
    }


def test_rejecting_is_the_default_and_the_preview_says_so(client, maria, alice):
    client.force_login(maria)
    job = upload_companies(client)
    client.post(reverse("imports:columns", args=[job.pk]), MAPPING)

    preview = client.get(reverse("imports:preview", args=[job.pk]))

    assert [item.text.split()[-4:] for item in elements(preview, "#unknown-owners li")] == [
        ["their", "rows", "are", "rejected"]
    ]
    rows = {row.line: row for row in preview.context["rows"]}
    assert [problem.field for problem in rows[2].problems] == ["owner"]
    assert not rows[3].problems


@pytest.mark.parametrize("rows", [3, 300])
def test_preview_with_unknown_owners_query_count(client, ada, rows, django_assert_num_queries):
    client.force_login(ada)
    content = "Name;Owner\n" + "".join(f"C{n};Person {n % 40}\n" for n in range(rows))
    job = upload_companies(client, content)
    client.post(reverse("imports:columns", args=[job.pk]), {**MAPPING, "unknown_owners": "create"})

    # Session and user; the import, its first chunk, the companies' custom fields, the users.
    with django_assert_num_queries(6):
        preview = client.get(reverse("imports:preview", args=[job.pk]))

    assert len(elements(preview, "#unknown-owners li")) == min(rows, 20)


# The command line


@pytest.fixture
def companies_file(tmp_path):
    path = tmp_path / "companies.csv"
    path.write_text(COMPANIES, encoding="utf-8")
    return path


def import_csv(*args: str) -> tuple[str, str]:
    """Run the command; an import with rejected rows (exit status 2) is no error here."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import_csv", *args, stdout=out, stderr=err)
    except CommandError as error:
        if error.returncode != 2:
            raise
    return out.getvalue(), err.getvalue()


def test_command_creates_missing_owners_when_asked(ada, alice, companies_file):
    out, err = import_csv(
        "companies", str(companies_file), "--user", "ada", "--unknown-owners", "create"
    )

    assert "3 created, 0 updated, 0 rejected" in out, err
    assert User.objects.get(first_name="Nora").is_active is False


def test_command_assigns_unknown_owners_records(maria, alice, bob, companies_file):
    out, _err = import_csv(
        "companies",
        str(companies_file),
        "--user",
        "maria",
        "--unknown-owners",
        "assign",
        "--owners-to",
        "bob",
    )

    assert "3 created" in out
    assert dict(Company.objects.values_list("name", "owner__username")) == {
        "Acme": "bob",
        "Globex": "alice",
        "Initech": "bob",
    }


def test_command_rejects_unknown_owners_by_default(maria, alice, companies_file):
    out, err = import_csv("companies", str(companies_file), "--user", "maria")

    assert "1 created, 0 updated, 2 rejected" in out
    assert "line 2 (owner): No active user “Nora Newcomer” you may make the owner." in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--unknown-owners", "assign"], "needs --owners-to"),
        (["--owners-to", "bob"], "goes with --unknown-owners assign"),
        (["--unknown-owners", "assign", "--owners-to", "charlie"], "may not give records to"),
        (["--unknown-owners", "create"], "Only admins may create users"),
    ],
)
def test_command_refuses_owner_choices_the_user_may_not_make(
    maria, alice, charlie, companies_file, args, message
):
    with pytest.raises(CommandError, match=message):
        import_csv("companies", str(companies_file), "--user", "maria", *args)

    assert not Company.objects.exists()


def test_the_report_of_a_users_import_says_how_new_users_sign_in(
    client, ada, celery_eager, django_capture_on_commit_callbacks
):
    client.force_login(ada)
    upload(client, "email;name;team\nnew@example.com;New Person;East\n", kind="users")
    job = ImportJob.objects.latest("pk")
    client.post(reverse("imports:columns", args=[job.pk]), {"email": "email", "name": "name"})
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("imports:preview", args=[job.pk]))

    report = client.get(reverse("imports:detail", args=[job.pk]))

    (note,) = elements(report, "#new-users-note")
    assert "Forgot password?" in note.text
    assert User.objects.get(email="new@example.com").username == "new"
