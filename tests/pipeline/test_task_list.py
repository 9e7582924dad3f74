"""The tasks list: what each role sees, the assignee and overdue filters, its queries."""

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import OpportunityFactory, TaskFactory
from tests.html import element, elements

URL = reverse("pipeline:task_list")
HTMX = {"HTTP_HX_REQUEST": "true"}
# session, user, the paginator's count, the page's tasks, the assignee picker's people.
PAGE_QUERIES = 5
# session, user, the paginator's count, the page's tasks.
FRAGMENT_QUERIES = 4


def titles(response):
    return {task.title for task in response.context["page_obj"]}


def tasks(client, user, **query):
    client.force_login(user)
    response = client.get(URL, query)
    assert response.status_code == 200
    return response


@pytest.fixture
def team_tasks(alice, bob, charlie):
    """An overdue, a due and a done task for Alice; one each overdue for Bob and Charlie."""
    today = timezone.localdate()
    TaskFactory(
        title="Alice late", opportunity=OpportunityFactory(owner=alice), overdue_since=today
    )
    TaskFactory(title="Alice due", opportunity=OpportunityFactory(owner=alice))
    TaskFactory(
        title="Alice done",
        opportunity=OpportunityFactory(owner=alice),
        done_at=timezone.now(),
    )
    TaskFactory(title="Bob late", opportunity=OpportunityFactory(owner=bob), overdue_since=today)
    TaskFactory(
        title="Charlie late", opportunity=OpportunityFactory(owner=charlie), overdue_since=today
    )


@pytest.mark.parametrize(
    ("viewer", "expected"),
    [
        # Alice's own and her teammate's; Maria manages North; Sam, South's manager, and
        # Charlie, a South rep, see South only.
        ("alice", {"Alice late", "Alice due", "Alice done", "Bob late"}),
        ("bob", {"Alice late", "Alice due", "Alice done", "Bob late"}),
        ("maria", {"Alice late", "Alice due", "Alice done", "Bob late"}),
        ("charlie", {"Charlie late"}),
        ("sam", {"Charlie late"}),
    ],
)
def test_each_viewer_sees_the_tasks_visible_to_them(client, request, team_tasks, viewer, expected):
    assert titles(tasks(client, request.getfixturevalue(viewer))) == expected


def test_assignee_and_overdue_keep_that_sellers_open_overdue_tasks(
    client, maria, alice, team_tasks
):
    response = tasks(client, maria, assignee=alice.pk, overdue="1")

    assert titles(response) == {"Alice late"}
    [badge] = elements(response.content, "span", class_="overdue-badge")
    assert badge.text == "Overdue"
    assert element(response.content, "input", name="overdue").attrs.get("checked") is not None


def test_me_and_open_filters(client, alice, team_tasks):
    assert titles(tasks(client, alice, assignee="me", open="1")) == {"Alice late", "Alice due"}


def test_another_teams_assignee_lists_nothing(client, maria, charlie, team_tasks):
    assert titles(tasks(client, maria, assignee=charlie.pk, overdue="1")) == set()


def test_the_filters_swap_only_the_table(client, alice, team_tasks):
    client.force_login(alice)

    response = client.get(URL, {"overdue": "1"}, **HTMX)

    assert titles(response) == {"Alice late", "Bob late"}
    assert element(response.content, "div", id="task-table")
    assert elements(response.content, "form") == []


def test_anonymous_is_sent_to_login(client, db):
    response = client.get(URL)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("size", [1, 10])
def test_query_count_does_not_grow_with_tasks(client, alice, bob, size, django_assert_num_queries):
    for _ in range(size):
        for owner in (alice, bob):
            TaskFactory(
                opportunity=OpportunityFactory(owner=owner), overdue_since=timezone.localdate()
            )
    client.force_login(alice)

    with django_assert_num_queries(PAGE_QUERIES):
        response = client.get(URL, {"assignee": alice.pk, "overdue": "1"})
    assert len(response.context["page_obj"]) == size
    with django_assert_num_queries(FRAGMENT_QUERIES):
        client.get(URL, {"overdue": "1"}, **HTMX)
