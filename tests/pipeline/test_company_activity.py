"""Tasks and touchpoints that belong to a company: who sees them, where they show, how they
are logged (company page, API), and what a merge does with them."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from contacts.models import Company
from contacts.services.companies import merge_companies
from pipeline.models import Task, Touchpoint, TouchpointKind
from pipeline.services import add_task, log_touchpoint
from pipeline.views.my_day import my_day_for
from tests.factories import CompanyFactory, TaskFactory, TouchpointFactory
from tests.html import elements

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def northwind(alice):
    return CompanyFactory(name="Northwind", owner=alice)


# Done by an admin of no team: only the company makes these visible to the north team.
@pytest.fixture
def company_task(northwind, ada):
    return TaskFactory(
        opportunity=None, company=northwind, assignee=ada, title="Send the tender documents"
    )


@pytest.fixture
def company_call(northwind, ada):
    return TouchpointFactory(
        opportunity=None, company=northwind, by=ada, summary="Switchboard: ask for purchasing"
    )


# Visibility: whoever sees the company sees its own tasks and touchpoints


@pytest.mark.parametrize(
    ("viewer", "sees"),
    [("alice", True), ("bob", True), ("maria", True), ("ada", True), ("charlie", False)],
)
def test_company_activity_is_visible_to_whoever_sees_the_company(
    request, company_task, company_call, viewer, sees
):
    user = request.getfixturevalue(viewer)

    assert Company.objects.visible_to(user).filter(pk=company_task.company_id).exists() is sees
    assert Task.objects.visible_to(user).filter(pk=company_task.pk).exists() is sees
    assert Touchpoint.objects.visible_to(user).filter(pk=company_call.pk).exists() is sees


# Services: log and plan on a company


def test_a_touchpoint_logged_on_a_visible_company_belongs_to_it(bob, northwind):
    touchpoint = log_touchpoint(by=bob, kind=TouchpointKind.CALL, company_id=northwind.pk)

    assert (touchpoint.company, touchpoint.by, touchpoint.opportunity) == (northwind, bob, None)


def test_a_task_about_a_visible_company_belongs_to_it(alice, northwind):
    due = timezone.now() + dt.timedelta(days=2)

    task = add_task(by=alice, title="Call the tender office", due_at=due, company_id=northwind.pk)

    assert (task.company, task.assignee, task.due_at) == (northwind, alice, due)


def test_logging_on_a_company_one_cannot_see_is_not_found_and_writes_nothing(charlie, northwind):
    with pytest.raises(Company.DoesNotExist):
        log_touchpoint(by=charlie, kind=TouchpointKind.CALL, company_id=northwind.pk)
    with pytest.raises(Company.DoesNotExist):
        add_task(by=charlie, title="Sneaky", due_at=timezone.now(), company_id=northwind.pk)

    assert not Touchpoint.objects.exists()
    assert not Task.objects.exists()


def test_activity_about_nothing_names_every_kind_of_subject(alice):
    with pytest.raises(ValidationError) as refused:
        log_touchpoint(by=alice, kind=TouchpointKind.NOTE)

    assert refused.value.messages == ["Say which deal, lead, contact or company this is about."]


# The company page


def test_company_page_lists_its_own_tasks_and_touchpoints(
    client, bob, northwind, company_task, company_call
):
    client.force_login(bob)

    response = client.get(reverse("contacts:company_detail", args=[northwind.pk]))

    tasks = [line.text for line in elements(response.content, "li", class_="is-task")]
    touchpoints = [line.text for line in elements(response.content, "li", class_="is-touchpoint")]
    assert len(tasks) == 1
    assert "Send the tender documents" in tasks[0]
    assert len(touchpoints) == 1
    assert "Switchboard: ask for purchasing" in touchpoints[0]


def test_company_page_offers_quick_logging_to_the_company(client, bob, northwind):
    client.force_login(bob)

    response = client.get(reverse("contacts:company_detail", args=[northwind.pk]))

    forms = elements(
        response.content,
        "form",
        action=reverse("pipeline:company_log_touchpoint", args=[northwind.pk]),
    )
    assert len(forms) == 1
    assert elements(
        response.content, "form", action=reverse("pipeline:company_add_task", args=[northwind.pk])
    )


def test_quick_log_on_the_company_page_logs_on_the_company(client, bob, northwind):
    client.force_login(bob)

    response = client.post(
        reverse("pipeline:company_log_touchpoint", args=[northwind.pk]),
        {"kind": "meeting", "summary": "Met the buying committee"},
        **HTMX,
    )

    assert response.status_code == 200
    assert response.headers["HX-Trigger"].startswith('{"activityLogged"')
    touchpoint = Touchpoint.objects.get()
    assert (touchpoint.company, touchpoint.kind, touchpoint.by) == (northwind, "meeting", bob)


def test_follow_up_on_the_company_page_is_a_company_task(client, alice, northwind):
    client.force_login(alice)

    response = client.post(
        reverse("pipeline:company_add_task", args=[northwind.pk]),
        {"title": "Chase the signed order", "due_at": "2030-01-07T09:00"},
    )

    assert response.status_code == 302
    assert response.headers["Location"] == reverse("contacts:company_detail", args=[northwind.pk])
    assert Task.objects.get().company == northwind


def test_quick_log_on_a_hidden_company_is_404_and_writes_nothing(client, charlie, northwind):
    client.force_login(charlie)

    for name, data in (
        ("pipeline:company_log_touchpoint", {"kind": "call"}),
        ("pipeline:company_add_task", {"title": "Sneaky", "due_at": "2030-01-07T09:00"}),
    ):
        url = reverse(name, args=[northwind.pk])
        assert client.post(url, data, **HTMX).status_code == 404, name
        assert client.post(url, data).status_code == 404, name

    assert not Touchpoint.objects.exists()
    assert not Task.objects.exists()


# My day


def test_my_day_lists_company_tasks_with_a_link_to_the_company(client, alice, northwind):
    TaskFactory(
        opportunity=None,
        company=northwind,
        assignee=alice,
        title="Renew the framework contract",
        due_at=timezone.now() - dt.timedelta(hours=2),
    )
    client.force_login(alice)

    response = client.get(reverse("pipeline:my_day"))

    assert [task.title for task in my_day_for(alice, timezone.now()).overdue] == [
        "Renew the framework contract"
    ]
    links = elements(
        response.content, "a", href=reverse("contacts:company_detail", args=[northwind.pk])
    )
    assert [link.text for link in links] == ["Northwind"]


# The API


def test_api_creates_and_returns_company_activity(api_as, bob, northwind):
    api = api_as(bob)

    touchpoint = api.post(
        reverse("api:touchpoint-list"),
        {"kind": "call", "company": northwind.pk, "summary": "Reception"},
        format="json",
    )
    task = api.post(
        reverse("api:task-list"),
        {"title": "Send samples", "due_at": "2030-01-01T10:00:00Z", "company": northwind.pk},
        format="json",
    )

    assert touchpoint.status_code == 201, touchpoint.content
    assert task.status_code == 201, task.content
    assert (touchpoint.json()["company"], task.json()["company"]) == (northwind.pk, northwind.pk)
    assert Touchpoint.objects.get().company == northwind
    assert Task.objects.get().company == northwind


def test_api_filters_activity_by_company(api_as, alice, northwind, company_task, company_call):
    TaskFactory(assignee=alice)
    api = api_as(alice)

    tasks = api.get(reverse("api:task-list"), {"company": northwind.pk}).json()["results"]
    touchpoints = api.get(reverse("api:touchpoint-list"), {"company": northwind.pk}).json()[
        "results"
    ]

    assert [task["id"] for task in tasks] == [company_task.pk]
    assert [touchpoint["id"] for touchpoint in touchpoints] == [company_call.pk]


def test_api_refuses_a_company_one_cannot_see(api_as, charlie, northwind):
    response = api_as(charlie).post(
        reverse("api:task-list"),
        {"title": "Sneaky", "due_at": "2030-01-01T10:00:00Z", "company": northwind.pk},
        format="json",
    )

    assert response.status_code == 400
    assert "company" in str(response.json())
    assert not Task.objects.exists()


# Merging companies


def test_merging_companies_keeps_the_merged_ones_activity(alice, northwind, company_task):
    duplicate = CompanyFactory(name="Northwind GmbH", owner=alice)
    call = TouchpointFactory(opportunity=None, company=duplicate, by=alice)

    merge_companies(by=alice, keep_id=northwind.pk, merge_id=duplicate.pk)

    assert Touchpoint.objects.get(pk=call.pk).company == northwind
    assert Task.objects.get(pk=company_task.pk).company == northwind


# Query counts of the company's quick-log endpoints: the same however much it holds

# session, user, savepoint, the company (visible), the INSERT, the activity rollups' read
# of the new touchpoint and of the kept zones (none here: nothing to add), release; the
# answer's form reads nothing more for a rep. PostgreSQL also takes the author's shared
# advisory lock on their activity rollups.
LOG_QUERIES = 8 + (connection.vendor == "postgresql")
TASK_QUERIES = 6


@pytest.mark.parametrize("rows", [1, 15])
def test_company_quick_log_costs_the_same_at_any_size(
    client, alice, northwind, rows, django_assert_num_queries
):
    TaskFactory.create_batch(rows, opportunity=None, company=northwind, assignee=alice)
    TouchpointFactory.create_batch(rows, opportunity=None, company=northwind, by=alice)
    client.force_login(alice)

    with django_assert_num_queries(LOG_QUERIES):
        logged = client.post(
            reverse("pipeline:company_log_touchpoint", args=[northwind.pk]),
            {"kind": "call"},
            **HTMX,
        )
    with django_assert_num_queries(TASK_QUERIES):
        planned = client.post(
            reverse("pipeline:company_add_task", args=[northwind.pk]),
            {"title": "Call back", "due_at": "2030-01-07T09:00"},
            **HTMX,
        )

    assert (logged.status_code, planned.status_code) == (200, 200)
