"""Settings -> Quotas: who sees the editor, what a cell save answers, the form fallback."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from forecasting.models import Quota
from tests.factories import QuotaFactory, TeamFactory, UserFactory
from tests.html import element, elements

HTMX = {"HTTP_HX_REQUEST": "true"}
PAGE = "/settings/quotas/?year=2026&kind=quarter"
CELL = reverse("forecasting:quota_cell")


def text(found):
    return found.text


def one(content, tag, **attributes):
    return element(content, tag, **attributes)


def value(content, name, attribute="value"):
    return element(content, "input", name=name).attrs.get(attribute)


def q3(owner, amount):
    field = {"team": owner, "user": None} if owner.__class__.__name__ == "Team" else {"user": owner}
    return QuotaFactory(
        **field,
        period_start=dt.date(2026, 7, 1),
        period_end=dt.date(2026, 9, 30),
        amount=Decimal(amount),
    )


def test_a_manager_sees_their_team_and_its_reps_but_not_themselves(client, maria, alice, bob, sam):
    q3(alice, "4000.00")
    client.force_login(maria)

    response = client.get(PAGE)

    assert response.status_code == 200
    rows = [header.text for header in elements(response.content, "th", scope="row")]
    # The team first, then its members by name (not Maria: nobody sets their own target).
    assert rows[0] == str(maria.team)
    assert rows[1:] == sorted([str(alice), str(bob)])
    assert value(response.content, f"user-{alice.pk}:2026-Q3") == "4000.00"
    # North has no quota of its own: its Q3 shows the sum of its reps', greyed.
    team_q3 = f"team-{maria.team_id}:2026-Q3"
    assert value(response.content, team_q3) == ""
    assert value(response.content, team_q3, "placeholder") == "4,000 EUR"
    assert text(one(response.content, "td", id=f"total-team-{maria.team_id}")) == "4,000 EUR"


def test_an_admin_sees_every_team_and_a_rep_gets_403(client, ada, alice, charlie):
    client.force_login(ada)
    page = client.get(PAGE)
    client.force_login(alice)

    lines = [row.attrs.get("id") for row in elements(page.content, "tr") if row.attrs.get("id")]
    north, south = alice.team, charlie.team
    assert lines[0] == f"line-team-{north.pk}"
    assert set(lines[1:3]) == {f"line-user-{north.manager_id}", f"line-user-{alice.pk}"}
    assert lines[3] == f"line-team-{south.pk}"
    assert set(lines[4:]) == {f"line-user-{south.manager_id}", f"line-user-{charlie.pk}"}
    assert client.get(PAGE).status_code == 403
    assert client.post(CELL, {f"user-{alice.pk}:2026-Q3": "1"}, **HTMX).status_code == 403
    assert not Quota.objects.exists()


def test_a_month_view_lists_twelve_months(client, maria, alice):
    client.force_login(maria)

    response = client.get("/settings/quotas/?year=2027&kind=month")

    headers = [text(th) for th in elements(response.content, "th", scope="col")]
    assert headers[1:4] == ["2027-01", "2027-02", "2027-03"]
    assert len(headers) == 14  # the owner, twelve months, the year


@pytest.mark.parametrize(("query", "field"), [("year=twenty", "Year"), ("kind=week", "Periods")])
def test_a_bad_choice_names_the_field(client, maria, query, field):
    client.force_login(maria)

    response = client.get(f"/settings/quotas/?{query}")

    assert response.status_code == 400
    assert text(one(response.content, "div", id="quota-choice-errors")).startswith(field)


def test_saving_a_reps_cell_answers_the_cell_and_the_totals(client, maria, alice, bob):
    q3(bob, "6000.00")
    client.force_login(maria)

    response = client.post(CELL, {f"user-{alice.pk}:2026-Q3": "4000"}, **HTMX)

    assert response.status_code == 200
    assert Quota.objects.get(user=alice).amount == Decimal("4000.00")
    assert value(response.content, f"user-{alice.pk}:2026-Q3") == "4000.00"
    assert text(one(response.content, "td", id=f"total-user-{alice.pk}")) == "4,000 EUR"
    team_total = one(response.content, "td", id=f"total-team-{maria.team_id}")
    assert (text(team_total), team_total.attrs.get("hx-swap-oob")) == ("10,000 EUR", "true")
    assert value(response.content, f"team-{maria.team_id}:2026-Q3", "placeholder") == "10,000 EUR"


def test_a_teams_own_quota_replaces_the_default(client, maria, alice, north):
    q3(alice, "4000.00")
    client.force_login(maria)

    response = client.post(CELL, {f"team-{north.pk}:2026-Q3": "9000"}, **HTMX)

    assert text(one(response.content, "td", id=f"total-team-{north.pk}")) == "9,000 EUR"
    assert Quota.objects.get(team=north).amount == Decimal("9000.00")


def test_a_blank_cell_removes_the_quota(client, maria, alice):
    q3(alice, "4000.00")
    client.force_login(maria)

    response = client.post(CELL, {f"user-{alice.pk}:2026-Q3": " "}, **HTMX)

    assert response.status_code == 200
    assert not Quota.objects.exists()


@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        ("2026-Q3", "lots", "Enter the amount as a number"),
        ("2026-Q3", "-5", "cannot be negative"),
        ("2026-Q3", "1.005", "at most two decimals"),
        ("2026-07", "100", "quarterly"),
    ],
)
def test_a_refused_cell_shows_its_message_and_saves_nothing(
    client, maria, alice, field, typed, message
):
    q3(alice, "4000.00")
    client.force_login(maria)

    response = client.post(CELL, {f"user-{alice.pk}:{field}": typed}, **HTMX)

    assert response.status_code == 422
    assert value(response.content, f"user-{alice.pk}:{field}") == typed
    assert message in one(response.content, "div", class_="invalid-feedback").text
    assert list(Quota.objects.values_list("amount", flat=True)) == [Decimal("4000.00")]


def test_a_manager_cannot_save_another_teams_or_their_own_cell(client, maria, charlie, south):
    client.force_login(maria)

    for key in (f"user-{charlie.pk}", f"team-{south.pk}", f"user-{maria.pk}"):
        assert client.post(CELL, {f"{key}:2026-Q3": "1"}, **HTMX).status_code == 404, key
    assert client.post(CELL, {"nonsense": "1"}, **HTMX).status_code == 400
    assert not Quota.objects.exists()


def test_the_form_fallback_saves_every_changed_cell(client, maria, alice, bob, north):
    q3(bob, "6000.00")
    client.force_login(maria)

    response = client.post(
        "/settings/quotas/",
        {
            "year": "2026",
            "kind": "quarter",
            f"user-{alice.pk}:2026-Q3": "4000",
            f"user-{bob.pk}:2026-Q3": "6000.00",
            f"team-{north.pk}:2026-Q4": "",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == "/settings/quotas/?year=2026&kind=quarter"
    assert sorted(Quota.objects.values_list("user__username", "amount")) == [
        ("alice", Decimal("4000.00")),
        ("bob", Decimal("6000.00")),
    ]


def test_the_form_fallback_writes_nothing_when_a_cell_is_refused(client, maria, alice, bob):
    client.force_login(maria)

    response = client.post(
        "/settings/quotas/",
        {
            "year": "2026",
            "kind": "quarter",
            f"user-{alice.pk}:2026-Q3": "4000",
            f"user-{bob.pk}:2026-Q3": "-1",
        },
    )

    assert response.status_code == 422
    bobs = one(response.content, "td", id=f"cell-user-{bob.pk}-2026-Q3")
    assert "cannot be negative" in text(bobs)
    assert value(response.content, f"user-{alice.pk}:2026-Q3") == "4000"
    assert not Quota.objects.exists()


def test_the_settings_overview_links_the_editor(client, ada):
    client.force_login(ada)

    response = client.get(reverse("crm:settings"))

    assert elements(response.content, "a", href="/settings/quotas/")


def test_a_manager_finds_the_editor_in_the_navigation(client, maria):
    client.force_login(maria)

    response = client.get(reverse("forecasting:dashboard"))

    assert elements(response.content, "a", href="/settings/quotas/")


# Cost


def grow(north, south, size):
    for number in range(size):
        team = TeamFactory(name=f"Team {size}-{number}", manager=north.manager)
        for rep_number in range(3):
            rep = UserFactory(team=team)
            q3(rep, f"{100 + rep_number}.00")
        q3(team, "500.00")


@pytest.mark.parametrize("size", [1, 6])
def test_the_page_costs_the_same_at_any_size(
    client, maria, alice, south, size, django_assert_num_queries
):
    grow(alice.team, south, size)
    client.force_login(maria)

    # Session, user, teams, members, the year's quotas.
    with django_assert_num_queries(5):
        response = client.get(PAGE)
    assert (
        len(elements(response.content, "tr", **{"class": "quota-team table-group-divider"}))
        == size + 1
    )


@pytest.mark.parametrize("size", [1, 6])
def test_a_cell_save_costs_the_same_at_any_size(
    client, maria, alice, south, size, django_assert_num_queries
):
    grow(alice.team, south, size)
    for _ in range(size):
        UserFactory(team=alice.team)
    client.force_login(maria)

    # Session, user, the rep, the transaction (lock, existing, the year, savepoints and
    # the write), then the team's table (team, members, quotas).
    with django_assert_num_queries(12):
        response = client.post(CELL, {f"user-{alice.pk}:2026-Q3": "4000"}, **HTMX)
    assert response.status_code == 200
