"""Lead pages: list filters and export, detail page, create/edit with duplicates, actions.

North: manager Maria, reps Alice and Bob. South: manager Sam, rep Charlie. Ada is an admin.
Every door is tried as the owner, a teammate and another team; every page's queries are
counted at two sizes.
"""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from contacts.models import AssignmentRule, Lead, LeadPolicy, LeadStatus, QualificationAnswer
from pipeline.models import Task, Touchpoint, TouchpointKind
from pipeline.services import log_touchpoint
from tests.factories import (
    ContactFactory,
    LeadFactory,
    OpportunityFactory,
    QualificationCriterionFactory,
    TaskFactory,
    TouchpointFactory,
)

HTMX = {"HX-Request": "true"}


def names(response):
    return {lead.last_name for lead in response.context["page_obj"]}


# --- list -------------------------------------------------------------------------------------


def test_list_filters_by_owner_source_unassigned_and_duplicates(client, maria, alice, bob):
    LeadFactory(last_name="Mine", owner=alice, source="event")
    original = LeadFactory(last_name="Bobs", owner=bob, source="web")
    LeadFactory(last_name="Queue", owner=None, source="web")
    LeadFactory(last_name="Copy", owner=bob, source="web", duplicate_of=original)
    client.force_login(maria)
    url = reverse("contacts:lead_list")

    assert names(client.get(url, {"owner": alice.pk})) == {"Mine"}
    assert names(client.get(url, {"source": "event"})) == {"Mine"}
    assert names(client.get(url, {"unassigned": "on"})) == {"Queue"}
    assert names(client.get(url, {"duplicates": "on"})) == {"Copy"}


def test_owner_filter_cannot_reach_another_team(client, alice, charlie):
    LeadFactory(last_name="Theirs", owner=charlie)
    client.force_login(alice)

    response = client.get(reverse("contacts:lead_list"), {"owner": charlie.pk})

    assert names(response) == set()
    assert charlie.username not in {owner.username for owner in response.context["owners"]}


def test_list_filters_by_cadence_step_from_the_nightly_flags(client, alice):
    today = timezone.localdate()
    LeadFactory(last_name="Fresh", owner=alice, contact_attempts=0)
    LeadFactory(last_name="Trying", owner=alice, contact_attempts=2, status=LeadStatus.CONTACTED)
    LeadFactory(
        last_name="Last",
        owner=alice,
        contact_attempts=5,
        last_chance_since=today,
        status=LeadStatus.CONTACTED,
    )
    LeadFactory(
        last_name="Silent",
        owner=alice,
        contact_attempts=1,
        disqualification_proposed_since=today,
        status=LeadStatus.CONTACTED,
    )
    client.force_login(alice)
    url = reverse("contacts:lead_list")

    assert names(client.get(url, {"cadence": "not_contacted"})) == {"Fresh"}
    assert names(client.get(url, {"cadence": "in_cadence"})) == {"Trying"}
    assert names(client.get(url, {"cadence": "last_chance"})) == {"Last"}
    assert names(client.get(url, {"cadence": "propose_disqualification"})) == {"Silent"}


def test_export_button_carries_the_filters_and_the_export_honours_them(client, alice):
    LeadFactory(last_name="Eventful", owner=alice, source="event")
    LeadFactory(last_name="Webby", owner=alice, source="web")
    client.force_login(alice)

    page = client.get(reverse("contacts:lead_list"), {"source": "event", "page": "1"})
    export_url = reverse("contacts:lead_export") + "?source=event"
    assert f'href="{export_url}"' in page.content.decode()

    export = b"".join(client.get(export_url).streaming_content).decode()
    assert "Eventful" in export
    assert "Webby" not in export


# --- detail -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("viewer", "status"),
    [("alice", 200), ("bob", 200), ("maria", 200), ("charlie", 404), ("ada", 200)],
)
def test_lead_page_follows_visibility(
    client, request, alice, bob, maria, charlie, ada, viewer, status
):
    lead = LeadFactory(owner=alice)
    client.force_login(request.getfixturevalue(viewer))

    assert client.get(reverse("contacts:lead_detail", args=[lead.pk])).status_code == status


def test_teammate_sees_the_lead_read_only(client, alice, bob):
    lead = LeadFactory(owner=alice)
    client.force_login(bob)

    content = client.get(reverse("contacts:lead_detail", args=[lead.pk])).content.decode()

    assert reverse("contacts:lead_edit", args=[lead.pk]) not in content
    assert reverse("contacts:lead_disqualify", args=[lead.pk]) not in content
    # Teammates cover each other's calls: the quick log is there.
    assert reverse("pipeline:lead_log_touchpoint", args=[lead.pk]) in content


def test_lead_page_shows_cadence_and_speed_to_lead(client, alice):
    LeadPolicy.objects.update_or_create(pk=1, defaults={"max_contact_attempts": 4})
    created = timezone.now() - dt.timedelta(hours=30)
    lead = LeadFactory(owner=alice, created_at=created)
    client.force_login(alice)

    waiting = client.get(reverse("contacts:lead_detail", args=[lead.pk])).content.decode()
    assert "not contacted yet, waiting 1\xa0day, 6\xa0hours" in waiting
    assert "Not contacted yet" in waiting

    log_touchpoint(
        by=alice, kind=TouchpointKind.CALL, lead_id=lead.pk, at=created + dt.timedelta(hours=2)
    )
    page = client.get(reverse("contacts:lead_detail", args=[lead.pk]))
    content = page.content.decode()
    assert "first contact after 2\xa0hours" in content
    assert "1 of 4" in content
    assert page.context["page"].cadence.step == "in_cadence"


def test_lead_page_shows_the_nightly_flags(client, alice):
    lead = LeadFactory(
        owner=alice,
        status=LeadStatus.CONTACTED,
        contact_attempts=5,
        last_touch_at=timezone.now() - dt.timedelta(days=20),
        last_chance_since=timezone.localdate(),
        disqualification_proposed_since=timezone.localdate(),
    )
    client.force_login(alice)

    content = client.get(reverse("contacts:lead_detail", args=[lead.pk])).content.decode()

    assert "send the last-chance email" in content
    assert "proposed for disqualification" in content


def test_timeline_holds_touchpoints_tasks_and_deals_in_time_order(client, alice):
    lead = LeadFactory(owner=alice, created_at=timezone.now() - dt.timedelta(days=5))
    TouchpointFactory(
        opportunity=None,
        lead=lead,
        by=alice,
        kind=TouchpointKind.CALL,
        at=timezone.now() - dt.timedelta(days=3),
    )
    TaskFactory(
        opportunity=None,
        lead=lead,
        assignee=alice,
        title="Send offer",
        due_at=timezone.now() + dt.timedelta(days=1),
    )
    OpportunityFactory(owner=alice, lead=lead, title="Rollout")
    client.force_login(alice)

    response = client.get(reverse("contacts:lead_detail", args=[lead.pk]))

    kinds = [entry.kind for entry in response.context["page"].timeline]
    assert kinds == ["task", "deal", "touchpoint", "created"]


def test_timeline_never_shows_another_teams_deal(client, alice, charlie):
    lead = LeadFactory(owner=alice)
    OpportunityFactory(owner=charlie, lead=lead, title="Secret deal")
    client.force_login(alice)

    assert (
        "Secret deal"
        not in client.get(reverse("contacts:lead_detail", args=[lead.pk])).content.decode()
    )


def test_duplicates_in_another_team_are_counted_not_named(client, alice, charlie):
    lead = LeadFactory(owner=alice, email="ada@acme.com", company_domain="acme.com")
    LeadFactory(
        owner=charlie, last_name="Hidden", email="grace@acme.com", company_domain="acme.com"
    )
    client.force_login(alice)

    content = client.get(reverse("contacts:lead_detail", args=[lead.pk])).content.decode()

    assert "A matching lead exists in another team" in content
    assert "Hidden" not in content


def test_detail_query_count_does_not_grow_with_history(client, alice, django_assert_num_queries):
    QualificationCriterionFactory()
    lead = LeadFactory(owner=alice, email="ada@acme.com", company_domain="acme.com")

    def add_history(count):
        for _ in range(count):
            TouchpointFactory(opportunity=None, lead=lead, by=alice)
            TaskFactory(opportunity=None, lead=lead, assignee=alice)
            OpportunityFactory(owner=alice, lead=lead)
            LeadFactory(owner=alice, company_domain="acme.com")

    client.force_login(alice)
    url = reverse("contacts:lead_detail", args=[lead.pk])
    add_history(1)
    client.get(url)  # warm the policy row
    with django_assert_num_queries(DETAIL_QUERIES):
        client.get(url)
    add_history(8)
    with django_assert_num_queries(DETAIL_QUERIES):
        response = client.get(url)
    assert len(response.context["page"].timeline) == 1 + 9 * 3


# Session, user, lead, policy, editable?, active criteria, answers, duplicates (visible, hidden
# count), touchpoints, tasks, deals, the assign form's and the follow-up form's owner choices.
# The record's custom fields (their definitions): one query.
DETAIL_QUERIES = 14


def test_timeline_fragment_follows_logged_activity(client, alice):
    lead = LeadFactory(owner=alice)
    client.force_login(alice)

    response = client.get(
        reverse("contacts:lead_detail", args=[lead.pk]),
        headers={**HTMX, "HX-Target": "lead-timeline"},
    )

    content = response.content.decode()
    assert content.lstrip().startswith('<div class="lead-timeline-wrap" id="lead-timeline"')
    assert re.search(r'id="lead-cadence"[^>]*hx-swap-oob="true"', content)


# --- create and edit --------------------------------------------------------------------------

NEW_LEAD = {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@acme.com", "source": "web"}


def test_create_form_makes_the_lead_and_opens_it(client, alice):
    client.force_login(alice)

    response = client.post(reverse("contacts:lead_create"), {**NEW_LEAD, "owner": alice.pk})

    lead = Lead.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("contacts:lead_detail", args=[lead.pk])
    assert (lead.owner, lead.company_domain) == (alice, "acme.com")


def test_create_form_names_bad_fields_and_writes_nothing(client, alice):
    client.force_login(alice)

    response = client.post(reverse("contacts:lead_create"), {"email": "nope", "source": "web"})

    assert response.status_code == 422
    assert set(response.context["form"].errors) == {"last_name", "email"}
    assert not Lead.objects.exists()


def test_create_form_refuses_an_owner_from_another_team(client, alice, charlie):
    client.force_login(alice)

    response = client.post(reverse("contacts:lead_create"), {**NEW_LEAD, "owner": charlie.pk})

    assert response.status_code == 422
    assert "owner" in response.context["form"].errors


def test_duplicate_warning_offers_open_fill_and_create_anyway(client, alice, charlie):
    mine = LeadFactory(owner=alice, last_name="Mine", email="ADA@acme.com", phone="")
    LeadFactory(
        owner=charlie, last_name="Theirs", email="grace@acme.com", company_domain="acme.com"
    )
    client.force_login(alice)
    url = reverse("contacts:lead_create")

    warned = client.post(url, {**NEW_LEAD, "phone": "+49 1"})
    content = warned.content.decode()
    assert warned.status_code == 409
    assert reverse("contacts:lead_detail", args=[mine.pk]) in content
    assert f'value="fill:{mine.pk}"' in content
    assert "A matching lead exists in another team." in content
    assert "Theirs" not in content
    assert Lead.objects.count() == 2

    filled = client.post(url, {**NEW_LEAD, "phone": "+49 1", "duplicate": f"fill:{mine.pk}"})
    assert filled["Location"] == reverse("contacts:lead_detail", args=[mine.pk])
    mine.refresh_from_db()
    assert mine.phone == "+49 1"
    assert Lead.objects.count() == 2

    created = client.post(url, {**NEW_LEAD, "duplicate": "create"})
    assert created.status_code == 302
    flagged = Lead.objects.latest("pk")
    assert flagged.duplicate_of == mine


def test_inline_duplicate_check_warns_while_typing(client, alice):
    LeadFactory(owner=alice, last_name="Known", email="ada@acme.com")
    client.force_login(alice)

    response = client.post(
        reverse("contacts:lead_create") + "?check=duplicates",
        {"email": "Ada@Acme.com", "company_domain": ""},
        headers=HTMX,
    )

    assert response.status_code == 200
    assert "Known" in response.content.decode()
    assert not Lead.objects.filter(email__iexact="Ada@Acme.com").exclude(last_name="Known").exists()


def test_edit_is_for_those_who_may_change_the_lead(client, alice, bob, charlie):
    lead = LeadFactory(owner=alice, job_title="")
    url = reverse("contacts:lead_edit", args=[lead.pk])
    data = {"last_name": lead.last_name, "email": lead.email, "source": "web", "job_title": "CTO"}

    client.force_login(charlie)
    assert client.get(url).status_code == 404
    client.force_login(bob)
    assert client.post(url, data).status_code == 403
    client.force_login(alice)
    assert client.get(url).status_code == 200
    assert client.post(url, data).status_code == 302

    lead.refresh_from_db()
    assert lead.job_title == "CTO"
    assert lead.owner == alice  # an empty owner field leaves the owner alone


# --- actions ----------------------------------------------------------------------------------


@pytest.fixture
def criteria(db):
    return [QualificationCriterionFactory(weight=weight) for weight in (40, 30, 30)]


def test_answering_criteria_rescores_and_shows_the_convert_button(client, alice, criteria):
    lead = LeadFactory(owner=alice)
    client.force_login(alice)

    response = client.post(
        reverse("contacts:lead_answer", args=[lead.pk]),
        {
            f"criterion_{criteria[0].pk}": "yes",
            f"criterion_{criteria[1].pk}": "yes",
            f"criterion_{criteria[2].pk}": "no",
        },
        headers=HTMX,
    )

    content = response.content.decode()
    assert response.status_code == 200
    assert 'id="lead-actions" hx-swap-oob="true"' in content
    assert reverse("pipeline:convert_lead", args=[lead.pk]) in content
    lead.refresh_from_db()
    assert (lead.score, lead.status) == (70, LeadStatus.QUALIFIED)


@pytest.mark.parametrize(("viewer", "status"), [("bob", 403), ("charlie", 404)])
def test_only_editors_answer_criteria(client, request, alice, criteria, viewer, status):
    lead = LeadFactory(owner=alice)
    client.force_login(request.getfixturevalue(viewer))

    response = client.post(
        reverse("contacts:lead_answer", args=[lead.pk]), {f"criterion_{criteria[0].pk}": "yes"}
    )

    assert response.status_code == status
    assert not QualificationAnswer.objects.exists()


def test_disqualifying_asks_for_a_reason(client, alice):
    lead = LeadFactory(owner=alice)
    client.force_login(alice)
    url = reverse("contacts:lead_disqualify", args=[lead.pk])

    refused = client.post(url, {"reason": "  "})
    assert refused.status_code == 422
    assert "Say why this lead is disqualified." in refused.content.decode()

    assert client.post(url, {"reason": "No budget"}).status_code == 302
    lead.refresh_from_db()
    assert (lead.status, lead.disqualified_reason) == (LeadStatus.DISQUALIFIED, "No budget")


@pytest.mark.parametrize(("viewer", "status"), [("bob", 403), ("charlie", 404)])
def test_others_cannot_disqualify(client, request, alice, viewer, status):
    lead = LeadFactory(owner=alice)
    client.force_login(request.getfixturevalue(viewer))

    assert (
        client.post(
            reverse("contacts:lead_disqualify", args=[lead.pk]), {"reason": "x"}
        ).status_code
        == status
    )
    assert Lead.objects.get(pk=lead.pk).status == LeadStatus.NEW


def test_assigning_within_the_team_and_not_beyond(client, alice, bob, charlie, maria):
    lead = LeadFactory(owner=alice)
    url = reverse("contacts:lead_assign", args=[lead.pk])
    client.force_login(alice)

    assert client.post(url, {"owner": charlie.pk}).status_code == 422
    assert client.post(url, {"owner": bob.pk}).status_code == 302
    assert Lead.objects.get(pk=lead.pk).owner == bob

    queued = LeadFactory(owner=None)
    client.force_login(maria)
    client.post(reverse("contacts:lead_assign", args=[queued.pk]), {"owner": alice.pk})
    assert Lead.objects.get(pk=queued.pk).owner == alice


def test_merge_from_the_lead_page(client, alice, charlie):
    keep = LeadFactory(owner=alice, email="ada@acme.com")
    other = LeadFactory(owner=alice, email="ada@acme.com", phone="+1")
    theirs = LeadFactory(owner=charlie, email="ada@acme.com")
    client.force_login(alice)
    url = reverse("contacts:lead_merge", args=[keep.pk])

    assert client.post(url, {"keep": keep.pk, "merge": theirs.pk}).status_code == 404
    response = client.post(url, {"keep": keep.pk, "merge": other.pk})

    assert response["Location"] == reverse("contacts:lead_detail", args=[keep.pk])
    assert not Lead.objects.filter(pk=other.pk).exists()
    assert Lead.objects.filter(pk=theirs.pk).exists()


def test_clearing_the_duplicate_flag(client, alice):
    original = LeadFactory(owner=alice)
    flagged = LeadFactory(owner=alice, duplicate_of=original)
    client.force_login(alice)

    client.post(reverse("contacts:lead_clear_duplicate", args=[flagged.pk]))

    assert Lead.objects.get(pk=flagged.pk).duplicate_of is None


# --- quick log --------------------------------------------------------------------------------


def test_quick_log_records_a_call_and_asks_the_page_to_refresh(client, alice):
    lead = LeadFactory(owner=alice)
    client.force_login(alice)

    response = client.post(
        reverse("pipeline:lead_log_touchpoint", args=[lead.pk]), {"kind": "call"}, headers=HTMX
    )

    assert response.status_code == 200
    assert "activityLogged" in response["HX-Trigger"]
    assert "Call logged." in response.content.decode()
    lead.refresh_from_db()
    assert (lead.contact_attempts, lead.status) == (1, LeadStatus.CONTACTED)


def test_quick_log_without_htmx_returns_to_the_lead(client, alice):
    lead = LeadFactory(owner=alice)
    client.force_login(alice)

    response = client.post(
        reverse("pipeline:lead_log_touchpoint", args=[lead.pk]), {"kind": "note"}
    )

    assert response["Location"] == reverse("contacts:lead_detail", args=[lead.pk])
    assert Touchpoint.objects.filter(lead=lead, kind="note").exists()


def test_quick_log_refuses_bad_input_and_other_teams(client, alice, charlie):
    lead = LeadFactory(owner=alice)
    client.force_login(alice)
    url = reverse("pipeline:lead_log_touchpoint", args=[lead.pk])

    assert client.post(url, {"kind": "fax"}, headers=HTMX).status_code == 422
    client.force_login(charlie)
    assert client.post(url, {"kind": "call"}, headers=HTMX).status_code == 404
    assert (
        client.post(
            reverse("pipeline:lead_add_task", args=[lead.pk]),
            {"title": "x", "due_at": "2030-01-01T09:00"},
        ).status_code
        == 404
    )
    assert not Touchpoint.objects.exists()
    assert not Task.objects.exists()


def test_schedule_a_follow_up_from_the_lead(client, alice):
    lead = LeadFactory(owner=alice)
    client.force_login(alice)

    response = client.post(
        reverse("pipeline:lead_add_task", args=[lead.pk]),
        {"title": "Call back", "due_at": "2030-01-01T09:00"},
        headers=HTMX,
    )

    assert response.status_code == 200
    task = Task.objects.get()
    assert (task.lead, task.assignee, task.title) == (lead, alice, "Call back")


def test_quick_log_works_for_contacts_too(client, alice, charlie):
    contact = ContactFactory(company__owner=alice)
    client.force_login(alice)
    url = reverse("pipeline:contact_log_touchpoint", args=[contact.pk])

    assert client.post(url, {"kind": "email"}, headers=HTMX).status_code == 200
    client.force_login(charlie)
    assert client.post(url, {"kind": "email"}, headers=HTMX).status_code == 404
    assert Touchpoint.objects.filter(contact=contact).count() == 1


def test_quick_log_about_a_contact_without_htmx_returns_to_the_contact(client, alice):
    contact = ContactFactory(company__owner=alice)
    client.force_login(alice)

    response = client.post(
        reverse("pipeline:contact_log_touchpoint", args=[contact.pk]), {"kind": "email"}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("contacts:contact_detail", args=[contact.pk])


def test_filling_another_teams_lead_is_a_404(client, alice, charlie):
    theirs = LeadFactory(owner=charlie, email="ada@acme.com", phone="")
    client.force_login(alice)

    response = client.post(
        reverse("contacts:lead_create"),
        {**NEW_LEAD, "phone": "+1", "duplicate": f"fill:{theirs.pk}"},
    )

    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.phone == ""
    assert Lead.objects.count() == 1


def test_a_lead_the_rules_give_to_another_team_says_so(client, alice, south, charlie):
    LeadPolicy.objects.update_or_create(
        pk=1, defaults={"assignment_rule": AssignmentRule.ROUND_ROBIN, "default_team": south}
    )
    client.force_login(alice)

    response = client.post(reverse("contacts:lead_create"), {**NEW_LEAD, "owner": ""}, follow=True)

    assert Lead.objects.get().owner == charlie
    assert "The lead rules assigned it to another team." in response.content.decode()
    assert charlie.get_full_name() not in response.content.decode()


# --- speed to lead for managers ---------------------------------------------------------------


def touched_lead(owner, waited_hours, days_ago=1):
    created = timezone.now() - dt.timedelta(days=days_ago)
    return LeadFactory(
        owner=owner, created_at=created, first_touch_at=created + dt.timedelta(hours=waited_hours)
    )


def test_median_speed_to_lead_per_owner(alice, bob):
    for hours in (1, 2, 10):
        touched_lead(alice, hours)
    for hours in (1, 3, 5, 100):
        touched_lead(bob, hours)
    LeadFactory(owner=bob)  # not touched yet: no wait to count

    medians = Lead.objects.all().median_speed_to_lead()

    assert medians == {alice.pk: dt.timedelta(hours=2), bob.pk: dt.timedelta(hours=4)}


def test_managers_see_their_reps_speed_slowest_first(client, maria, alice, bob, charlie):
    touched_lead(alice, 1)
    touched_lead(bob, 30)
    touched_lead(charlie, 5)
    touched_lead(alice, 500, days_ago=60)  # outside the window
    client.force_login(maria)

    response = client.get(reverse("contacts:lead_list"))

    speeds = [(speed.rep, speed.median) for speed in response.context["speed_to_lead"]]
    assert speeds == [(bob, dt.timedelta(hours=30)), (alice, dt.timedelta(hours=1))]
    assert "1\xa0day, 6\xa0hours" in response.content.decode()


def test_reps_do_not_get_the_speed_summary(client, alice):
    touched_lead(alice, 1)
    client.force_login(alice)

    assert "speed_to_lead" not in client.get(reverse("contacts:lead_list")).context


def test_manager_list_query_count_does_not_grow(
    client, maria, alice, bob, django_assert_num_queries
):
    client.force_login(maria)
    url = reverse("contacts:lead_list")
    touched_lead(alice, 1)
    with django_assert_num_queries(MANAGER_LIST_QUERIES):
        client.get(url)
    for hours in range(60):
        touched_lead(bob if hours % 2 else alice, hours)
    with django_assert_num_queries(MANAGER_LIST_QUERIES):
        client.get(url)


# The rep's six (session, user, count, page, owner choices, custom fields) and the medians.
MANAGER_LIST_QUERIES = 7
