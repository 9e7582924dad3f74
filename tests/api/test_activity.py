"""Touchpoints and tasks through the API: the deal panel's rules."""

import datetime as dt

import pytest
from django.utils import timezone

from pipeline.models import Task, Touchpoint
from tests.factories import LeadFactory, OpportunityFactory, TaskFactory, TouchpointFactory


@pytest.fixture
def deal(alice, sales):
    return OpportunityFactory(owner=alice, stage=sales.qualification)


@pytest.fixture
def south_deal(charlie, sales):
    return OpportunityFactory(owner=charlie, stage=sales.qualification)


# --- touchpoints --------------------------------------------------------------------------


def test_touchpoints_list_only_whats_visible(api_as, alice, deal, south_deal):
    mine = TouchpointFactory(opportunity=deal)
    TouchpointFactory(opportunity=south_deal)

    response = api_as(alice).get("/api/touchpoints/")

    assert [row["id"] for row in response.json()["results"]] == [mine.pk]


def test_teammate_logs_a_call_on_a_deal(api_as, bob, deal):
    response = api_as(bob).post(
        "/api/touchpoints/",
        {"kind": "call", "outcome": "connected", "opportunity": deal.pk, "summary": " Hi "},
        format="json",
    )

    assert response.status_code == 201, response.json()
    touchpoint = Touchpoint.objects.get()
    assert (touchpoint.by, touchpoint.summary, touchpoint.opportunity) == (bob, "Hi", deal)
    deal.refresh_from_db()
    assert deal.last_touch_at == touchpoint.at
    assert deal.version == 1  # activity never makes a board move lose a race


def test_a_call_on_a_lead_counts_as_a_contact_attempt(api_as, alice):
    lead = LeadFactory(owner=alice)

    response = api_as(alice).post(
        "/api/touchpoints/", {"kind": "call", "lead": lead.pk}, format="json"
    )

    assert response.status_code == 201
    lead.refresh_from_db()
    assert (lead.status, lead.contact_attempts) == ("contacted", 1)


def test_touchpoint_on_another_teams_deal_is_refused_naming_it(api_as, alice, south_deal):
    response = api_as(alice).post(
        "/api/touchpoints/", {"kind": "note", "opportunity": south_deal.pk}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()) == ["opportunity"]
    assert not Touchpoint.objects.exists()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"kind": "fax"}, "kind"),
        ({"kind": "call", "outcome": "maybe"}, "outcome"),
        ({"kind": "call", "at": "2099-01-01T00:00:00Z"}, "at"),
        ({"kind": "call", "at": "yesterday"}, "at"),
    ],
)
def test_bad_touchpoints_name_the_field(api_as, alice, deal, payload, field):
    response = api_as(alice).post(
        "/api/touchpoints/", {**payload, "opportunity": deal.pk}, format="json"
    )

    assert response.status_code == 400
    assert field in response.json()


def test_a_touchpoint_about_nothing_is_refused(api_as, alice):
    response = api_as(alice).post("/api/touchpoints/", {"kind": "note"}, format="json")

    assert response.status_code == 400
    assert "non_field_errors" in response.json()


def test_another_teams_touchpoint_answers_404(api_as, alice, south_deal):
    touchpoint = TouchpointFactory(opportunity=south_deal)

    assert api_as(alice).get(f"/api/touchpoints/{touchpoint.pk}/").status_code == 404


def test_touchpoints_cannot_be_edited_or_deleted(api_as, alice, deal):
    touchpoint = TouchpointFactory(opportunity=deal)
    url = f"/api/touchpoints/{touchpoint.pk}/"

    assert api_as(alice).patch(url, {"summary": "x"}, format="json").status_code == 405
    assert api_as(alice).delete(url).status_code == 405


# --- tasks --------------------------------------------------------------------------------


def test_rep_adds_a_task_for_themselves(api_as, alice, deal):
    due = timezone.now() + dt.timedelta(days=2)

    response = api_as(alice).post(
        "/api/tasks/",
        {"title": "Send proposal", "due_at": due.isoformat(), "opportunity": deal.pk},
        format="json",
    )

    assert response.status_code == 201, response.json()
    task = Task.objects.get()
    assert (task.assignee, task.created_by, task.title) == (alice, alice, "Send proposal")
    assert response.json()["assignee_name"] == str(alice)


def test_rep_cannot_assign_a_task_to_a_teammate(api_as, alice, bob, deal):
    response = api_as(alice).post(
        "/api/tasks/",
        {
            "title": "Yours",
            "due_at": timezone.now().isoformat(),
            "opportunity": deal.pk,
            "assignee": bob.pk,
        },
        format="json",
    )

    assert response.status_code == 400
    assert list(response.json()) == ["assignee"]
    assert not Task.objects.exists()


def test_manager_assigns_a_task_to_their_rep_but_not_another_teams(
    api_as, maria, alice, charlie, deal
):
    payload = {"title": "Call back", "due_at": timezone.now().isoformat(), "opportunity": deal.pk}

    mine = api_as(maria).post("/api/tasks/", {**payload, "assignee": alice.pk}, format="json")
    theirs = api_as(maria).post("/api/tasks/", {**payload, "assignee": charlie.pk}, format="json")

    assert mine.status_code == 201
    assert theirs.status_code == 400
    assert list(theirs.json()) == ["assignee"]
    assert list(Task.objects.values_list("assignee__username", flat=True)) == ["alice"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"title": "", "due_at": "2026-12-01T10:00:00Z"}, "title"),
        ({"title": "x" * 201, "due_at": "2026-12-01T10:00:00Z"}, "title"),
        ({"title": "Call"}, "due_at"),
        ({"title": "Call", "due_at": "soon"}, "due_at"),
    ],
)
def test_bad_tasks_name_the_field(api_as, alice, deal, payload, field):
    response = api_as(alice).post("/api/tasks/", {**payload, "opportunity": deal.pk}, format="json")

    assert response.status_code == 400
    assert field in response.json()


def test_assignee_completes_and_reopens_a_task(api_as, alice, deal):
    task = TaskFactory(opportunity=deal)

    done = api_as(alice).post(f"/api/tasks/{task.pk}/complete/")
    task.refresh_from_db()
    done_at = task.done_at
    reopened = api_as(alice).post(f"/api/tasks/{task.pk}/reopen/")
    task.refresh_from_db()

    assert done.status_code == 200
    assert done.json()["is_done"] is True
    assert done_at is not None
    assert reopened.status_code == 200
    assert reopened.json()["is_done"] is False
    assert task.done_at is None


def test_completing_twice_keeps_the_first_completion(api_as, alice, deal):
    task = TaskFactory(opportunity=deal)
    client = api_as(alice)

    first = client.post(f"/api/tasks/{task.pk}/complete/").json()["done_at"]
    second = client.post(f"/api/tasks/{task.pk}/complete/").json()["done_at"]

    assert first == second


def test_teammate_may_see_but_not_complete_a_task(api_as, bob, deal):
    task = TaskFactory(opportunity=deal)

    assert api_as(bob).get(f"/api/tasks/{task.pk}/").status_code == 200
    assert api_as(bob).post(f"/api/tasks/{task.pk}/complete/").status_code == 403
    task.refresh_from_db()
    assert task.done_at is None


def test_manager_completes_their_reps_task(api_as, maria, deal):
    task = TaskFactory(opportunity=deal)

    assert api_as(maria).post(f"/api/tasks/{task.pk}/complete/").status_code == 200


def test_another_teams_task_answers_404_everywhere(api_as, charlie, deal):
    task = TaskFactory(opportunity=deal)

    assert api_as(charlie).get(f"/api/tasks/{task.pk}/").status_code == 404
    assert api_as(charlie).post(f"/api/tasks/{task.pk}/complete/").status_code == 404
    assert api_as(charlie).post(f"/api/tasks/{task.pk}/reopen/").status_code == 404


def test_task_read_only_fields_are_ignored(api_as, alice, bob, deal):
    response = api_as(alice).post(
        "/api/tasks/",
        {
            "title": "Call",
            "due_at": "2026-12-01T10:00:00Z",
            "opportunity": deal.pk,
            "done_at": "2026-11-01T10:00:00Z",
            "overdue_since": "2026-11-01",
            "created_by": bob.pk,
        },
        format="json",
    )

    assert response.status_code == 201
    task = Task.objects.get()
    assert (task.done_at, task.overdue_since, task.created_by) == (None, None, alice)


def test_task_filters(api_as, alice, deal):
    open_task = TaskFactory(opportunity=deal)
    done_task = TaskFactory(opportunity=deal, done_at=timezone.now())

    open_ids = api_as(alice).get("/api/tasks/?is_done=false").json()["results"]
    done_ids = api_as(alice).get("/api/tasks/?is_done=true").json()["results"]

    assert [row["id"] for row in open_ids] == [open_task.pk]
    assert [row["id"] for row in done_ids] == [done_task.pk]
