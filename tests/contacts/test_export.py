"""CSV export of the lead and contact lists: same filters, visibility, formula escaping."""

import csv
import io

import pytest
from django.urls import reverse

from contacts.models import LeadStatus
from core.csv_export import spreadsheet_safe
from tests.factories import ContactFactory, LeadFactory

# session, user, then one server-side cursor over the rows, whatever their number
# ... and the custom fields, whose columns follow the list's own.
EXPORT_QUERIES = 4


def exported_rows(response):
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="')
    body = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(body)))


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+49 30 1234", "'+49 30 1234"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("Ada", "Ada"),
        ("", ""),
        (None, ""),
        (-5, "-5"),
    ],
)
def test_cells_that_would_run_as_formulas_are_escaped(value, cell):
    assert spreadsheet_safe(value) == cell


def test_lead_export_escapes_a_hostile_name(client, alice):
    LeadFactory(first_name="=cmd|'/c calc'!A1", last_name="Evil", owner=alice)
    client.force_login(alice)

    rows = exported_rows(client.get(reverse("contacts:lead_export")))

    assert [row["First name"] for row in rows] == ["'=cmd|'/c calc'!A1"]


def test_lead_export_holds_only_visible_leads_and_honours_the_filters(client, alice, charlie):
    LeadFactory(last_name="Mine", owner=alice, status=LeadStatus.NEW)
    LeadFactory(last_name="Contacted", owner=alice, status=LeadStatus.CONTACTED)
    LeadFactory(last_name="Theirs", owner=charlie, status=LeadStatus.NEW)
    client.force_login(alice)

    everything = exported_rows(client.get(reverse("contacts:lead_export")))
    new_only = exported_rows(client.get(reverse("contacts:lead_export"), {"status": "new"}))

    assert {row["Last name"] for row in everything} == {"Mine", "Contacted"}
    assert [row["Last name"] for row in new_only] == ["Mine"]


def test_contact_export_hides_another_teams_contacts(client, alice, charlie):
    ContactFactory(last_name="Ours", owner=alice, company__owner=alice)
    ContactFactory(last_name="Theirs", owner=charlie, company__owner=charlie)
    client.force_login(alice)

    rows = exported_rows(client.get(reverse("contacts:contact_export")))

    assert [row["Last name"] for row in rows] == ["Ours"]


def test_export_needs_a_login(client, db):
    response = client.get(reverse("contacts:lead_export"))

    assert response.status_code == 302


@pytest.mark.parametrize("rows", [2, 40])
def test_export_query_count_does_not_grow_with_rows(client, alice, rows, django_assert_num_queries):
    LeadFactory.create_batch(rows, owner=alice)
    client.force_login(alice)

    with django_assert_num_queries(EXPORT_QUERIES):
        response = client.get(reverse("contacts:lead_export"))
        exported = exported_rows(response)

    assert len(exported) == rows


def test_export_shows_choice_labels_and_owner_usernames(client, alice):
    LeadFactory(last_name="Labelled", owner=alice, status=LeadStatus.CONTACTED)
    client.force_login(alice)

    [row] = exported_rows(client.get(reverse("contacts:lead_export")))

    # The username, not the display name: an exported file imports back with its owners.
    assert (row["Status"], row["Owner"]) == (str(LeadStatus.CONTACTED.label), alice.username)
