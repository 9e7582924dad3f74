"""The deal page and side panel, and logging touchpoints and tasks from them.

Every endpoint as the owner (Alice), a teammate (Bob), their manager (Maria), someone from
another team (Charlie, Sam) and an admin (Ada).
"""

import datetime as dt
import json
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from pipeline.models import (
    ForecastCategory,
    Opportunity,
    StageChange,
    Task,
    Touchpoint,
    TouchpointKind,
)
from pipeline.views.deals import PANEL_HISTORY, PANEL_TOUCHPOINTS
from tests.factories import (
    ContactFactory,
    OpportunityFactory,
    PipelineFactory,
    StageFactory,
    TaskFactory,
    TouchpointFactory,
)

HTMX = {"HX-Request": "true"}
# Queries for the deal page or panel, whatever the deal's history: session, user, the deal
# (with its next task and touchpoint count), the buying team, its roles and the contacts
# offered to add, the custom fields, the history timeline, touchpoints, open tasks, done
# tasks, line items with their products, the active products to add.
DETAIL_QUERIES = 13
# A manager's task form lists the people they may assign to: one more. Whether they may
# change the deal is read with the deal (``can_edit``), for every section of the panel.
DETAIL_QUERIES_MANAGER = 14
# Logging a touchpoint from the panel: session, user, savepoint, the conditional UPDATE of
# the deal, the INSERT, the activity rollups' read of the new touchpoint and of the kept
# zones (none here), release, then the deal and its touchpoints for the answer.
# PostgreSQL also takes the author's shared advisory lock on their activity rollups.
LOG_QUERIES = 10 + (connection.vendor == "postgresql")
# Adding a task (a rep): session, user, savepoint, UPDATE deal, INSERT, release, the deal,
# open tasks, done tasks.
ADD_TASK_QUERIES = 9
# Completing a task: session, user, savepoint, the task, the activity rollups' lock and read
# of the task as it was, the conditional UPDATE, their read of it as it is and of the kept
# zones (none here), UPDATE deal, release, the deal, open tasks, done tasks. PostgreSQL
# also takes the assignee's shared advisory lock.
COMPLETE_QUERIES = 13 + (connection.vendor == "postgresql")

NOW = timezone.now()


def at(days_ago=0, hours_ago=0):
    return timezone.now() - dt.timedelta(days=days_ago, hours=hours_ago)


@pytest.fixture
def stages(db):
    pipeline = PipelineFactory(name="New business")
    return {
        "qualification": StageFactory(
            pipeline=pipeline, name="Qualification", position=1, probability=20, rotting_days=14
        ),
        "offer": StageFactory(
            pipeline=pipeline, name="Offer", position=2, probability=60, rotting_days=10
        ),
    }


@pytest.fixture
def deal(alice, stages):
    """Alice's deal in Offer: came through Qualification, one touchpoint, two tasks."""
    contact = ContactFactory(
        first_name="Grace", last_name="Hopper", company__name="Acme Corp", company__owner=alice
    )
    deal = OpportunityFactory(
        title="Acme rollout",
        owner=alice,
        company=contact.company,
        contact=contact,
        stage=stages["offer"],
        value=Decimal("12500.00"),
        currency="USD",
        expected_close_date=timezone.localdate() + dt.timedelta(days=30),
        forecast_category=ForecastCategory.BEST_CASE,
        stage_entered_at=at(days_ago=3),
        created_at=at(days_ago=12),
    )
    StageChange.objects.create(
        opportunity=deal, to_stage=stages["qualification"], by=alice, at=at(days_ago=12)
    )
    StageChange.objects.create(
        opportunity=deal,
        from_stage=stages["qualification"],
        to_stage=stages["offer"],
        by=alice,
        at=at(days_ago=3),
    )
    TouchpointFactory(opportunity=deal, by=alice, summary="Kick-off call", at=at(days_ago=2))
    Opportunity.objects.filter(pk=deal.pk).update(last_touch_at=at(days_ago=2))
    TaskFactory(opportunity=deal, assignee=alice, title="Send the offer", due_at=at(days_ago=-2))
    deal.refresh_from_db()
    return deal


def detail_url(deal):
    return reverse("pipeline:deal_detail", args=[deal.pk])


def log_url(deal):
    return reverse("pipeline:log_touchpoint", args=[deal.pk])


def task_url(deal):
    return reverse("pipeline:add_task", args=[deal.pk])


def complete_url(task):
    return reverse("pipeline:complete_task", args=[task.pk])


def reopen_url(task):
    return reverse("pipeline:reopen_task", args=[task.pk])


def triggered(response):
    return json.loads(response.headers["HX-Trigger"])


CALL = {"kind": "call", "outcome": "connected", "summary": "Agreed on the pilot"}


# --- who may open the deal ------------------------------------------------------------------


def test_anonymous_user_is_sent_to_login(client, deal):
    response = client.get(detail_url(deal))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("url_for", [log_url, task_url], ids=["log_touchpoint", "add_task"])
def test_anonymous_post_is_sent_to_login_and_writes_nothing(client, deal, url_for):
    response = client.post(url_for(deal), {**CALL, "title": "X", "due_at": "2030-01-01T09:00"})

    assert response.status_code == 302
    assert Touchpoint.objects.count() == 1
    assert Task.objects.count() == 1


def test_expired_session_sends_the_panel_to_the_login_page_not_into_the_panel(client, deal):
    board = reverse("pipeline:board", args=[deal.pipeline_id])

    response = client.post(
        log_url(deal), CALL, headers={**HTMX, "HX-Current-URL": f"http://testserver{board}"}
    )

    assert response.status_code == 401
    assert response["HX-Redirect"].startswith(reverse("login") + "?next=")
    assert Touchpoint.objects.count() == 1


@pytest.mark.parametrize("viewer", ["alice", "bob", "maria", "ada"])
def test_owner_teammate_manager_and_admin_open_the_deal(client, request, deal, viewer):
    client.force_login(request.getfixturevalue(viewer))

    response = client.get(detail_url(deal))

    assert response.status_code == 200
    assert "Acme rollout" in response.content.decode()


@pytest.mark.parametrize("viewer", ["charlie", "sam"])
def test_other_team_gets_404_for_page_and_panel(client, request, deal, viewer):
    client.force_login(request.getfixturevalue(viewer))

    assert client.get(detail_url(deal)).status_code == 404
    assert client.get(detail_url(deal), headers=HTMX).status_code == 404


def test_unknown_deal_is_404(client, alice):
    client.force_login(alice)

    assert client.get(reverse("pipeline:deal_detail", args=[999_999])).status_code == 404


# --- what the page and panel show -----------------------------------------------------------


def test_full_page_extends_the_layout_and_links_back_to_the_board(client, alice, deal):
    client.force_login(alice)

    response = client.get(detail_url(deal))

    content = response.content.decode()
    assert content.lstrip().startswith("<!doctype html>")
    assert reverse("pipeline:board", args=[deal.pipeline_id]) in content
    assert '<h1 class="deal-panel-title"' in content
    assert 'data-bs-dismiss="offcanvas"' not in content
    assert "js/deal-panel.js" in content
    assert "HX-Request" in response["Vary"]


def test_htmx_request_gets_only_the_panel_with_a_close_button(client, alice, deal):
    client.force_login(alice)

    response = client.get(detail_url(deal), headers={**HTMX, "HX-Target": "deal-panel"})

    content = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in content
    assert f'id="deal-{deal.pk}-panel"' in content
    assert 'data-bs-dismiss="offcanvas"' in content
    assert '<h2 class="deal-panel-title"' in content
    # The panel brings its stylesheet: the board page need not know about it.
    assert "css/deal-panel.css" in content
    assert "HX-Request" in response["Vary"]


def test_history_restore_gets_the_full_page(client, alice, deal):
    client.force_login(alice)

    response = client.get(detail_url(deal), headers={**HTMX, "HX-History-Restore-Request": "true"})

    assert "<!doctype html>" in response.content.decode()


def test_panel_shows_the_deals_facts(client, alice, deal):
    client.force_login(alice)

    content = client.get(detail_url(deal), headers=HTMX).content.decode()

    for expected in [
        "Acme rollout",
        "Acme Corp",
        "Grace Hopper",
        str(alice),
        "12,500 USD",
        "weighted 7,500 USD",
        "Offer · 60&nbsp;%",
        "3 days in stage",
        "Best case",
        "Open",
        deal.expected_close_date.strftime("%Y"),
    ]:
        assert expected in content, expected
    assert "Stale" not in content
    assert "Overdue task" not in content
    assert "Close date passed" not in content


def test_panel_flags_a_stale_deal_an_overdue_task_and_a_past_close_date(client, alice, deal):
    Opportunity.objects.filter(pk=deal.pk).update(
        stage_entered_at=at(days_ago=40),
        last_touch_at=at(days_ago=40),
        expected_close_date=timezone.localdate() - dt.timedelta(days=1),
    )
    TaskFactory(opportunity=deal, assignee=alice, title="Chase legal", due_at=at(hours_ago=5))
    client.force_login(alice)

    content = client.get(detail_url(deal), headers=HTMX).content.decode()

    assert "Stale" in content
    assert "Overdue task" in content
    assert "Close date passed" in content
    assert 'class="deal-task is-overdue' in content
    # Each flag says why, since when and what clears it (Offer allows 10 days).
    assert "In “Offer” for 40 days; the stage allows 10 days." in content
    assert "No call, email, meeting or note for 40 days; the stage allows 10 days." in content
    assert "Log a call, email, meeting or note with the customer." in content
    assert "Complete the task or give it a new due date." in content
    assert "Set a new expected close date, or mark the deal won or lost." in content


def test_stage_history_lists_moves_latest_first_with_time_spent(client, alice, deal):
    client.force_login(alice)

    content = client.get(detail_url(deal), headers=HTMX).content.decode()

    history = content[content.index(f'id="deal-{deal.pk}-history"') :]
    assert history.index("<strong>Offer</strong>") < history.index("Created in")
    assert "9 days in stage" in history  # Qualification: 12 days ago until 3 days ago
    assert "3 days so far" in history
    assert str(alice) in history


def test_touchpoints_latest_first_limited_with_show_all(client, alice, deal):
    for day in range(PANEL_TOUCHPOINTS + 5):
        TouchpointFactory(opportunity=deal, by=alice, summary=f"Touch {day}", at=at(hours_ago=day))
    client.force_login(alice)
    total = PANEL_TOUCHPOINTS + 6

    panel = client.get(detail_url(deal), headers=HTMX).content.decode()
    everything = client.get(
        detail_url(deal) + "?touchpoints=all",
        headers={**HTMX, "HX-Target": f"deal-{deal.pk}-touchpoints"},
    )

    assert panel.count('class="deal-timeline-item touchpoint-') == PANEL_TOUCHPOINTS
    assert panel.index("Touch 0") < panel.index("Touch 1<")
    assert "Kick-off call" not in panel
    assert f"Show all {total} touchpoints" in panel
    fragment = everything.content.decode()
    assert fragment.lstrip().startswith(
        f'<div class="deal-touchpoints" id="deal-{deal.pk}-touchpoints"'
    )
    assert fragment.count('class="deal-timeline-item touchpoint-') == total
    assert "Kick-off call" in fragment
    assert "Show all" not in fragment


def test_tasks_open_first_and_recently_done_with_undo(client, alice, deal):
    TaskFactory(opportunity=deal, assignee=alice, title="Book demo", done_at=at(hours_ago=1))
    client.force_login(alice)

    content = client.get(detail_url(deal), headers=HTMX).content.decode()

    tasks = content[content.index(f'id="deal-{deal.pk}-tasks"') :]
    assert tasks.index("Send the offer") < tasks.index("Recently done") < tasks.index("Book demo")
    done = Task.objects.get(title="Book demo")
    open_task = Task.objects.get(title="Send the offer")
    assert complete_url(open_task) in tasks
    assert reopen_url(done) in tasks


def test_teammate_sees_tasks_but_no_button_to_tick_off_alices(client, bob, deal):
    client.force_login(bob)

    content = client.get(detail_url(deal), headers=HTMX).content.decode()

    assert "Send the offer" in content
    assert complete_url(Task.objects.get(title="Send the offer")) not in content


def test_times_are_shown_in_the_users_zone(client, alice, deal):
    alice.time_zone = "Asia/Jakarta"
    alice.save(update_fields=["time_zone"])
    moment = dt.datetime(2025, 3, 4, 23, 30, tzinfo=dt.UTC)
    TouchpointFactory(opportunity=deal, by=alice, at=moment)
    client.force_login(alice)

    content = client.get(detail_url(deal) + "?touchpoints=all").content.decode()

    assert 'datetime="2025-03-05T06:30:00+07:00"' in content


def test_manager_task_form_offers_their_team(client, maria, alice, bob, charlie, deal):
    client.force_login(maria)

    form = client.get(detail_url(deal), headers=HTMX).context_data["task_form"]

    assert set(form.fields["assignee"].queryset) == {maria, alice, bob}


def test_rep_task_form_has_no_assignee(client, alice, deal):
    client.force_login(alice)

    form = client.get(detail_url(deal), headers=HTMX).context_data["task_form"]

    assert "assignee" not in form.fields


# --- logging a touchpoint -------------------------------------------------------------------


@pytest.mark.parametrize("actor", ["alice", "bob", "maria", "ada"])
def test_visible_deal_takes_a_logged_call_and_answers_with_the_panels_parts(
    client, request, deal, actor
):
    user = request.getfixturevalue(actor)
    client.force_login(user)

    response = client.post(log_url(deal), CALL, headers=HTMX)

    assert response.status_code == 200
    touchpoint = Touchpoint.objects.latest("pk")
    assert (touchpoint.kind, touchpoint.outcome, touchpoint.summary, touchpoint.by) == (
        "call",
        "connected",
        "Agreed on the pilot",
        user,
    )
    assert triggered(response) == {"dealChanged": {"id": deal.pk}}
    content = response.content.decode()
    # The form comes back fresh; the list and the summary ("last touch") out of band.
    assert content.lstrip().startswith(f'<form class="deal-quick-log" id="deal-{deal.pk}-')
    assert f'id="deal-{deal.pk}-touchpoints" hx-swap-oob="true"' in content
    assert f'id="deal-{deal.pk}-summary" hx-swap-oob="true"' in content
    assert content.index("Agreed on the pilot") < content.index("Kick-off call")
    assert "Call logged." in content
    deal.refresh_from_db()
    assert deal.last_touch_at == touchpoint.at


@pytest.mark.parametrize("actor", ["charlie", "sam"])
@pytest.mark.parametrize(
    "data", [CALL, {"kind": "call", "at": "2099-01-01T10:00"}], ids=["valid", "invalid"]
)
def test_other_team_gets_404_when_logging_and_nothing_is_written(
    client, request, deal, actor, data
):
    client.force_login(request.getfixturevalue(actor))

    with_htmx = client.post(log_url(deal), data, headers=HTMX)
    without = client.post(log_url(deal), data)

    assert (with_htmx.status_code, without.status_code) == (404, 404)
    assert Touchpoint.objects.count() == 1
    refreshed = Opportunity.objects.get(pk=deal.pk)
    assert refreshed.last_touch_at == deal.last_touch_at
    assert refreshed.updated_at == deal.updated_at


def test_logging_without_htmx_redirects_back_to_the_deal(client, alice, deal):
    client.force_login(alice)

    response = client.post(log_url(deal), {"kind": "email", "summary": "Sent deck"})

    assert response.status_code == 302
    assert response["Location"] == detail_url(deal)
    assert Touchpoint.objects.filter(kind=TouchpointKind.EMAIL, by=alice).exists()
    page = client.get(response["Location"]).content.decode()
    assert "Email logged." in page


def test_touchpoint_in_the_future_comes_back_as_422_naming_the_field(client, alice, deal):
    client.force_login(alice)

    response = client.post(log_url(deal), {**CALL, "at": "2099-01-01T10:00"}, headers=HTMX)

    assert response.status_code == 422
    assert response["HX-Retarget"] == f"#deal-{deal.pk}-touchpoint-form"
    assert response["HX-Reswap"] == "outerHTML"
    assert "HX-Trigger" not in response
    content = response.content.decode()
    assert "When: A touchpoint records something that happened" in content
    assert 'value="2099-01-01T10:00"' in content  # what the user typed is kept
    assert "Agreed on the pilot" in content
    assert Touchpoint.objects.count() == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"kind": "fax"}, "Kind: Select a valid choice."),
        ({"kind": "call", "outcome": "maybe"}, "Outcome: Select a valid choice."),
        ({"kind": "call", "at": "yesterday-ish"}, "When: Enter a date and a time."),
    ],
)
def test_bad_touchpoint_input_is_422_with_the_field_named(client, alice, deal, data, message):
    client.force_login(alice)

    response = client.post(log_url(deal), data, headers=HTMX)

    assert response.status_code == 422
    assert message in response.content.decode()
    assert Touchpoint.objects.count() == 1


def test_bad_touchpoint_without_htmx_shows_the_page_with_errors(client, alice, deal):
    client.force_login(alice)

    response = client.post(log_url(deal), {"kind": "call", "at": "2099-01-01T10:00"})

    assert response.status_code == 422
    content = response.content.decode()
    assert "<!doctype html>" in content
    assert "When: A touchpoint records something that happened" in content


def test_back_dated_time_is_read_in_the_users_zone(client, alice, deal):
    alice.time_zone = "Europe/Berlin"
    alice.save(update_fields=["time_zone"])
    client.force_login(alice)

    client.post(log_url(deal), {"kind": "meeting", "at": "2025-01-10T09:30"}, headers=HTMX)

    touchpoint = Touchpoint.objects.get(kind=TouchpointKind.MEETING)
    assert touchpoint.at == dt.datetime(2025, 1, 10, 9, 30, tzinfo=ZoneInfo("Europe/Berlin"))
    assert touchpoint.at == dt.datetime(2025, 1, 10, 8, 30, tzinfo=dt.UTC)


def test_get_is_not_allowed_on_write_endpoints(client, alice, deal):
    client.force_login(alice)

    assert client.get(log_url(deal)).status_code == 405
    assert client.get(task_url(deal)).status_code == 405


# --- adding a task --------------------------------------------------------------------------


def test_rep_adds_a_task_for_themselves_and_the_list_comes_back(client, alice, bob, deal):
    client.force_login(alice)

    response = client.post(
        task_url(deal),
        # An assignee sent by a rep is ignored: their form has no such field.
        {"title": "Call procurement", "due_at": "2030-05-06T10:00", "assignee": bob.pk},
        headers=HTMX,
    )

    assert response.status_code == 200
    task = Task.objects.get(title="Call procurement")
    assert (task.assignee, task.created_by, task.opportunity) == (alice, alice, deal)
    assert triggered(response) == {"dealChanged": {"id": deal.pk}}
    content = response.content.decode()
    assert content.lstrip().startswith(
        f'<form class="deal-task-form" id="deal-{deal.pk}-task-form"'
    )
    assert f'id="deal-{deal.pk}-tasks" hx-swap-oob="true"' in content
    assert "Call procurement" in content


def test_manager_assigns_a_task_to_a_team_member(client, maria, bob, deal):
    client.force_login(maria)

    response = client.post(
        task_url(deal),
        {"title": "Cover for Alice", "due_at": "2030-05-06T10:00", "assignee": bob.pk},
        headers=HTMX,
    )

    assert response.status_code == 200
    assert Task.objects.get(title="Cover for Alice").assignee == bob


def test_manager_cannot_assign_outside_their_teams(client, maria, charlie, deal):
    client.force_login(maria)

    response = client.post(
        task_url(deal),
        {"title": "Nope", "due_at": "2030-05-06T10:00", "assignee": charlie.pk},
        headers=HTMX,
    )

    assert response.status_code == 422
    assert "Assignee: Select a valid choice." in response.content.decode()
    assert not Task.objects.filter(title="Nope").exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"title": "", "due_at": "2030-05-06T10:00"}, "Task: Say what needs doing."),
        ({"title": "   ", "due_at": "2030-05-06T10:00"}, "Task: Say what needs doing."),
        ({"title": "Call", "due_at": ""}, "Due: Say when the task is due."),
        ({"title": "Call", "due_at": "soon"}, "Due: Enter a date and a time."),
    ],
)
def test_bad_task_input_is_422_naming_the_field(client, alice, deal, data, message):
    client.force_login(alice)

    response = client.post(task_url(deal), data, headers=HTMX)

    assert response.status_code == 422
    assert response["HX-Retarget"] == f"#deal-{deal.pk}-task-form"
    assert message in response.content.decode()
    assert Task.objects.count() == 1


@pytest.mark.parametrize("actor", ["charlie", "sam"])
def test_other_team_gets_404_when_adding_a_task(client, request, deal, actor):
    client.force_login(request.getfixturevalue(actor))

    response = client.post(
        task_url(deal), {"title": "Sneaky", "due_at": "2030-05-06T10:00"}, headers=HTMX
    )

    assert response.status_code == 404
    assert Task.objects.count() == 1


def test_adding_a_task_without_htmx_redirects_back(client, alice, deal):
    client.force_login(alice)

    response = client.post(task_url(deal), {"title": "Follow up", "due_at": "2030-05-06T10:00"})

    assert response.status_code == 302
    assert response["Location"] == detail_url(deal)
    assert Task.objects.filter(title="Follow up", assignee=alice).exists()


def test_due_time_is_read_in_the_users_zone(client, alice, deal):
    alice.time_zone = "America/New_York"
    alice.save(update_fields=["time_zone"])
    client.force_login(alice)

    client.post(task_url(deal), {"title": "East coast", "due_at": "2030-07-01T09:00"})

    due = Task.objects.get(title="East coast").due_at
    assert due == dt.datetime(2030, 7, 1, 13, 0, tzinfo=dt.UTC)


# --- completing and reopening tasks ---------------------------------------------------------


@pytest.fixture
def task(deal):
    return Task.objects.get(title="Send the offer")


@pytest.mark.parametrize("actor", ["alice", "maria", "ada"])
def test_assignee_manager_and_admin_complete_a_task(client, request, deal, task, actor):
    client.force_login(request.getfixturevalue(actor))

    response = client.post(complete_url(task), headers=HTMX)

    assert response.status_code == 200
    task.refresh_from_db()
    assert task.done_at is not None
    assert triggered(response) == {"dealChanged": {"id": deal.pk}}
    content = response.content.decode()
    assert content.lstrip().startswith(f'<div class="deal-tasks" id="deal-{deal.pk}-tasks"')
    assert f'id="deal-{deal.pk}-summary" hx-swap-oob="true"' in content
    assert "Recently done" in content
    assert reopen_url(task) in content


def test_teammate_cannot_complete_alices_task(client, bob, task):
    client.force_login(bob)

    response = client.post(complete_url(task), headers=HTMX)

    assert response.status_code == 403
    task.refresh_from_db()
    assert task.done_at is None


@pytest.mark.parametrize("actor", ["charlie", "sam"])
def test_other_team_gets_404_completing_or_reopening(client, request, task, actor):
    client.force_login(request.getfixturevalue(actor))

    assert client.post(complete_url(task), headers=HTMX).status_code == 404
    assert client.post(reopen_url(task), headers=HTMX).status_code == 404
    task.refresh_from_db()
    assert task.done_at is None


def test_completing_without_htmx_redirects_back_to_the_deal(client, alice, deal, task):
    client.force_login(alice)

    response = client.post(complete_url(task))

    assert response.status_code == 302
    assert response["Location"] == detail_url(deal)


def test_reopen_brings_a_task_back(client, alice, deal, task):
    client.force_login(alice)
    client.post(complete_url(task), headers=HTMX)

    response = client.post(reopen_url(task), headers=HTMX)

    assert response.status_code == 200
    task.refresh_from_db()
    assert task.done_at is None
    assert complete_url(task) in response.content.decode()


def test_completing_a_task_about_a_lead_answers_without_a_panel(client, alice):
    from tests.factories import LeadFactory

    lead_task = TaskFactory(opportunity=None, lead=LeadFactory(owner=alice), assignee=alice)
    client.force_login(alice)

    response = client.post(complete_url(lead_task), headers=HTMX)

    assert response.status_code == 204
    assert triggered(response) == {"taskChanged": {"id": lead_task.pk}}


# --- query counts ---------------------------------------------------------------------------


def grow(deal, alice, stages, rows):
    """Give the deal ``rows`` stage changes, touchpoints, open tasks and done tasks."""
    StageChange.objects.bulk_create(
        StageChange(
            opportunity=deal,
            from_stage=stages["qualification" if index % 2 else "offer"],
            to_stage=stages["offer" if index % 2 else "qualification"],
            by=alice,
            at=at(days_ago=200 - index),
        )
        for index in range(rows)
    )
    Touchpoint.objects.bulk_create(
        Touchpoint(opportunity=deal, by=alice, kind="call", at=at(hours_ago=index))
        for index in range(rows)
    )
    Task.objects.bulk_create(
        Task(opportunity=deal, assignee=alice, title=f"Task {index}", due_at=at(days_ago=index))
        for index in range(rows)
    )
    Task.objects.bulk_create(
        Task(
            opportunity=deal,
            assignee=alice,
            title=f"Done {index}",
            due_at=at(days_ago=index),
            done_at=at(hours_ago=index),
        )
        for index in range(rows)
    )


@pytest.mark.parametrize(
    ("viewer", "expected"), [("alice", DETAIL_QUERIES), ("maria", DETAIL_QUERIES_MANAGER)]
)
@pytest.mark.parametrize("headers", [{}, HTMX], ids=["page", "panel"])
def test_detail_query_count_does_not_grow_with_history(
    client, request, alice, stages, deal, django_assert_num_queries, viewer, expected, headers
):
    client.force_login(request.getfixturevalue(viewer))
    grow(deal, alice, stages, rows=3)

    with django_assert_num_queries(expected):
        small = client.get(detail_url(deal), headers=headers)
    grow(deal, alice, stages, rows=57)
    with django_assert_num_queries(expected):
        large = client.get(detail_url(deal), headers=headers)

    assert small.status_code == large.status_code == 200
    assert len(large.context_data["panel"].history) == PANEL_HISTORY
    assert large.context_data["panel"].has_more_history
    assert len(large.context_data["panel"].open_tasks) == 61
    assert len(large.context_data["panel"].touchpoints) == PANEL_TOUCHPOINTS


def test_write_endpoints_query_counts_do_not_grow_with_history(
    client, alice, stages, deal, task, django_assert_num_queries
):
    client.force_login(alice)
    counts = []
    for rows in (0, 60):
        grow(deal, alice, stages, rows=rows)
        with django_assert_num_queries(LOG_QUERIES):
            client.post(log_url(deal), CALL, headers=HTMX)
        with django_assert_num_queries(ADD_TASK_QUERIES):
            client.post(
                task_url(deal), {"title": "Next", "due_at": "2030-01-01T09:00"}, headers=HTMX
            )
        with django_assert_num_queries(COMPLETE_QUERIES):
            response = client.post(complete_url(task), headers=HTMX)
        counts.append(response.status_code)
        Task.objects.filter(pk=task.pk).update(done_at=None)
    assert counts == [200, 200]
