"""A rep cannot read or change another team's deal through any door.

Charlie (south) tries Alice's (north) deal through every page, htmx endpoint, API route
and export that names a deal or lists deals. Reads answer 404 or leave the deal out;
writes answer 404 and change nothing. A guard fails when a new deal route appears that
this module does not try.
"""

import csv
import io
import json
import re
from decimal import Decimal

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.test import APIClient

from crm.imports.models import ImportStatus
from forecasting.models import Quota
from pipeline.models import DealContact, LineItem, Opportunity, StageKind, Task, Touchpoint
from tests.factories import (
    ContactFactory,
    DealContactFactory,
    LineItemFactory,
    OpportunityFactory,
    QuotaFactory,
    StageFactory,
    TaskFactory,
    TouchpointFactory,
)
from tests.html import elements
from tests.imports.factories import ImportChunkFactory, ImportJobFactory

HTMX = {"HTTP_HX_REQUEST": "true"}
SECRET_TITLE = "Northwind: confidential renewal"


@pytest.fixture
def north_deal(alice):
    first = StageFactory(name="Qualification", position=1)
    StageFactory(pipeline=first.pipeline, name="Offer", position=2)
    StageFactory(
        pipeline=first.pipeline, name="Won", position=3, probability=100, kind=StageKind.WON
    )
    StageFactory(
        pipeline=first.pipeline, name="Lost", position=4, probability=0, kind=StageKind.LOST
    )
    deal = OpportunityFactory(title=SECRET_TITLE, owner=alice, stage=first)
    TaskFactory(opportunity=deal, assignee=alice, title="Send the north proposal")
    TouchpointFactory(opportunity=deal, by=alice, outcome="North call notes")
    return deal


@pytest.fixture
def charlie_web(client, charlie):
    client.force_login(charlie)
    return client


@pytest.fixture
def charlie_api(charlie):
    api = APIClient()
    api.force_authenticate(charlie)
    return api


def snapshot(deal):
    """Everything a write through any door could change."""
    deal.refresh_from_db()
    return (
        deal.stage_id,
        deal.version,
        deal.position,
        deal.owner_id,
        deal.title,
        deal.value,
        deal.status,
        deal.custom_fields,
        Touchpoint.objects.filter(opportunity=deal).count(),
        list(Task.objects.filter(opportunity=deal).values_list("title", "done_at")),
    )


def other_stage(deal, kind=StageKind.OPEN):
    return deal.pipeline.stages.exclude(pk=deal.stage_id).filter(kind=kind).order_by("position")[0]


# Pages and htmx endpoints


def test_deal_page_card_panel_and_move_page_answer_404(charlie_web, north_deal):
    for name in ("pipeline:deal_detail", "pipeline:card", "pipeline:edit_deal", "pipeline:move"):
        url = reverse(name, args=[north_deal.pk])
        assert charlie_web.get(url).status_code == 404, name
        assert charlie_web.get(url, **HTMX).status_code == 404, name
    url = reverse("pipeline:edit_deal_part", args=[north_deal.pk, "value"])
    assert charlie_web.get(url, **HTMX).status_code == 404


def test_board_writes_answer_404_and_change_nothing(charlie_web, north_deal):
    before = snapshot(north_deal)
    task = north_deal.tasks.get()
    offer = other_stage(north_deal)

    posts = [
        (
            reverse("pipeline:move", args=[north_deal.pk]),
            {"stage": offer.pk, "version": north_deal.version},
        ),
        (
            reverse("pipeline:log_touchpoint", args=[north_deal.pk]),
            {"kind": "call", "outcome": "sneaky"},
        ),
        (
            reverse("pipeline:add_task", args=[north_deal.pk]),
            {"title": "Sneaky", "due_at": "2030-01-01T10:00"},
        ),
        (
            reverse("pipeline:edit_deal", args=[north_deal.pk]),
            {"version": north_deal.version, "title": "Sneaky", "value": "1", "currency": "EUR"},
        ),
        (
            reverse("pipeline:edit_deal_part", args=[north_deal.pk, "value"]),
            {"version": north_deal.version, "value": "1", "currency": "EUR"},
        ),
        (
            reverse("pipeline:reopen_deal", args=[north_deal.pk]),
            {"version": north_deal.version, "stage": offer.pk},
        ),
        (
            reverse("pipeline:set_deal_custom_fields", args=[north_deal.pk]),
            {"version": north_deal.version, "custom_fields.budget": "1"},
        ),
        (reverse("pipeline:complete_task", args=[task.pk]), {}),
        (reverse("pipeline:reopen_task", args=[task.pk]), {}),
        (reverse("pipeline:my_day_complete_task", args=[task.pk]), {}),
    ]
    for url, data in posts:
        assert charlie_web.post(url, data, **HTMX).status_code == 404, url

    assert snapshot(north_deal) == before


def test_board_deal_and_task_lists_leave_the_deal_out(charlie_web, north_deal):
    pages = [
        reverse("pipeline:board", args=[north_deal.pipeline_id]),
        reverse("pipeline:board_column", args=[north_deal.pipeline_id, north_deal.stage_id]),
        reverse("pipeline:deal_list"),
        reverse("pipeline:deal_list") + "?q=Northwind",
        reverse("pipeline:my_day"),
        reverse("pipeline:task_list"),
        reverse("pipeline:task_list") + f"?assignee={north_deal.owner_id}&overdue=1",
    ]
    for url in pages:
        response = charlie_web.get(url)
        assert response.status_code == 200, url
        assert SECRET_TITLE not in response.content.decode(), url
        assert "Send the north proposal" not in response.content.decode(), url


@pytest.mark.django_db(transaction=True)
def test_board_polling_leaves_the_deal_out(charlie_web, alice, north_deal):
    """Charlie's board hears nothing of Alice's deal moving, nor of its id or title:
    a poll from before the move is a 204, and a redraw leaves the deal out."""
    from pipeline.board_changes import current_version
    from pipeline.services import move_opportunity

    since = current_version()
    move_opportunity(
        opportunity_id=north_deal.pk,
        by=alice,
        to_stage_id=other_stage(north_deal).pk,
        version=north_deal.version,
    )
    url = reverse("pipeline:board_changes", args=[north_deal.pipeline_id])

    response = charlie_web.get(url, {"since": str(since)}, **HTMX)

    assert (response.status_code, response.content) == (204, b"")
    assert set(json.loads(response["HX-Trigger"])) == {"boardVersion"}  # the version only
    redrawn = charlie_web.get(url, {"since": "garbled"}, **HTMX)
    assert redrawn.status_code == 200
    assert SECRET_TITLE not in redrawn.content.decode()
    assert f'id="deal-{north_deal.pk}"' not in redrawn.content.decode()


def test_deal_export_leaves_the_deal_out(charlie_web, charlie, north_deal):
    OpportunityFactory(title="Southern deal", owner=charlie)
    response = charlie_web.get(reverse("pipeline:deal_export"))

    body = b"".join(response.streaming_content).decode()
    titles = [row["Title"] for row in csv.DictReader(io.StringIO(body))]
    assert titles == ["Southern deal"]


def test_dashboard_charts_and_tables_leave_the_deal_out(
    charlie_web, charlie_api, charlie, alice, north_deal
):
    """Charlie's dashboard, its charts, CSV tables and API count nothing of Alice's deal,
    and naming Alice or her team is refused (page, charts) or an empty report (API)."""
    north_deal.stale_since = north_deal.created_at.date()
    north_deal.save(update_fields=["stale_since"])
    dashboard = reverse("forecasting:dashboard")

    page = charlie_web.get(dashboard)
    assert page.status_code == 200
    assert page.context["figures"].stages == []
    assert str(alice) not in page.content.decode()
    for name in ("stages", "activity", "build", "attainment"):
        chart = charlie_web.get(reverse("forecasting:chart", args=[name]))
        assert chart.status_code == 200, name
        assert str(alice) not in chart.content.decode(), name
        assert (
            charlie_web.get(
                reverse("forecasting:chart", args=[name]), {"rep": alice.pk}
            ).status_code
            == 400
        )
    for table in ("coaching", "attainment", "stages"):
        body = b"".join(
            charlie_web.get(dashboard, {"format": "csv", "table": table}).streaming_content
        ).decode()
        assert str(alice) not in body, table
        assert "Qualification" not in body, table
    for query in ({"rep": alice.pk}, {"team": alice.team_id}):
        assert charlie_web.get(dashboard, query).status_code == 400

    api = charlie_api.get(reverse("api:dashboard"), {"rep": alice.pk}).json()
    assert (api["attainment"], api["stages"], api["people"]) == ([], [], [])
    api = charlie_api.get(reverse("api:dashboard")).json()
    assert [person["id"] for person in api["people"]] == [charlie.pk]
    assert api["stages"] == []
    assert sum(api["build"]["created"]) == 0


# The API


def test_api_reads_answer_404_or_leave_the_deal_out(charlie_api, north_deal):
    task = north_deal.tasks.get()
    touchpoint = north_deal.touchpoints.get()

    for url in (
        reverse("api:opportunity-detail", args=[north_deal.pk]),
        reverse("api:opportunity-history", args=[north_deal.pk]),
        reverse("api:task-detail", args=[task.pk]),
        reverse("api:touchpoint-detail", args=[touchpoint.pk]),
    ):
        assert charlie_api.get(url).status_code == 404, url
    for url in (
        reverse("api:opportunity-list"),
        reverse("api:opportunity-list") + f"?pipeline={north_deal.pipeline_id}",
        reverse("api:task-list"),
        reverse("api:touchpoint-list"),
    ):
        response = charlie_api.get(url)
        assert response.status_code == 200, url
        assert SECRET_TITLE not in response.content.decode(), url
        assert "North call notes" not in response.content.decode(), url
        assert "Send the north proposal" not in response.content.decode(), url


def test_api_writes_answer_404_and_change_nothing(charlie_api, charlie, north_deal):
    before = snapshot(north_deal)
    task = north_deal.tasks.get()
    version = north_deal.version

    writes = [
        ("patch", reverse("api:opportunity-detail", args=[north_deal.pk]), {"title": "Mine"}),
        ("patch", reverse("api:opportunity-detail", args=[north_deal.pk]), {"owner": charlie.pk}),
        (
            "post",
            reverse("api:opportunity-move", args=[north_deal.pk]),
            {"stage": other_stage(north_deal).pk, "version": version},
        ),
        ("post", reverse("api:opportunity-won", args=[north_deal.pk]), {"version": version}),
        (
            "post",
            reverse("api:opportunity-lost", args=[north_deal.pk]),
            {"version": version, "lost_reason": "Sabotage"},
        ),
        ("post", reverse("api:task-complete", args=[task.pk]), {}),
        ("post", reverse("api:task-reopen", args=[task.pk]), {}),
    ]
    for method, url, data in writes:
        response = getattr(charlie_api, method)(url, data, format="json")
        assert response.status_code == 404, (url, data, response.content)

    assert snapshot(north_deal) == before


def test_api_cannot_attach_activity_to_the_deal(charlie_api, north_deal):
    before = snapshot(north_deal)

    touchpoint = charlie_api.post(
        reverse("api:touchpoint-list"),
        {"kind": "call", "opportunity": north_deal.pk, "outcome": "sneaky"},
        format="json",
    )
    task = charlie_api.post(
        reverse("api:task-list"),
        {"title": "Sneaky", "due_at": "2030-01-01T10:00:00Z", "opportunity": north_deal.pk},
        format="json",
    )

    assert touchpoint.status_code in (400, 404)
    assert task.status_code in (400, 404)
    assert snapshot(north_deal) == before


def test_line_item_writes_answer_404_and_change_nothing(charlie_web, north_deal):
    item = LineItemFactory(opportunity=north_deal)
    before = (snapshot(north_deal), list(LineItem.objects.values_list("pk", "quantity")))

    posts = [
        (
            reverse("pipeline:add_line_item", args=[north_deal.pk]),
            {"product": item.product_id, "quantity": "1", "version": north_deal.version},
        ),
        (
            reverse("pipeline:change_line_item", args=[north_deal.pk, item.pk]),
            {"quantity": "9", "unit_price": "1", "version": north_deal.version},
        ),
        (
            reverse("pipeline:remove_line_item", args=[north_deal.pk, item.pk]),
            {"version": north_deal.version},
        ),
    ]
    for url, data in posts:
        assert charlie_web.post(url, data, **HTMX).status_code == 404, url
        assert charlie_web.post(url, data).status_code == 404, url

    assert (snapshot(north_deal), list(LineItem.objects.values_list("pk", "quantity"))) == before


def test_new_deal_form_and_pickers_do_not_reach_the_deals_company(charlie_web, north_deal):
    company = north_deal.company
    contact = ContactFactory(company=company, first_name="Nora", last_name="Northern")
    url = reverse("pipeline:new_deal")

    for query in (f"?company={company.pk}", f"?contact={contact.pk}"):
        for headers in ({}, {**HTMX, "HTTP_HX_TARGET": "board-dialog-content"}):
            page = charlie_web.get(url + query, **headers).content.decode()
            assert company.name not in page, query
            assert "Nora" not in page, query
    for search, term in (
        ("contacts:company_search", company.name),
        ("contacts:contact_search", "Nora"),
    ):
        response = charlie_web.get(reverse(search), {"q": term}, **HTMX)
        assert response.status_code == 200
        assert not elements(response.content, "li", **{"data-value": str(company.pk)})
        assert not elements(response.content, "li", **{"data-value": str(contact.pk)})
    response = charlie_web.post(
        url,
        {
            "title": "Poached",
            "company": company.pk,
            "contact": contact.pk,
            "value": "1",
            "currency": "EUR",
            "stage": north_deal.stage_id,
            "forecast_category": "pipeline",
        },
    )
    assert response.status_code == 422
    assert Opportunity.objects.filter(title="Poached").count() == 0


def test_api_line_items_answer_404_and_change_nothing(charlie_api, north_deal):
    item = LineItemFactory(opportunity=north_deal)
    before = (snapshot(north_deal), list(LineItem.objects.values_list("pk", "quantity")))
    items = reverse("api:opportunity-line-item-list", args=[north_deal.pk])
    detail = reverse("api:opportunity-line-item-detail", args=[north_deal.pk, item.pk])
    version = north_deal.version

    assert charlie_api.get(items).status_code == 404
    assert charlie_api.get(detail).status_code == 404
    writes = [
        ("post", items, {"product": item.product_id, "quantity": "1", "version": version}),
        ("patch", detail, {"quantity": "9", "version": version}),
        ("delete", f"{detail}?version={version}", None),
    ]
    for method, url, data in writes:
        response = getattr(charlie_api, method)(url, data, format="json")
        assert response.status_code == 404, (url, response.content)

    assert (snapshot(north_deal), list(LineItem.objects.values_list("pk", "quantity"))) == before


# The guard


TRIED = {
    "pipeline:deal_detail",
    "pipeline:card",
    "pipeline:move",
    "pipeline:log_touchpoint",
    "pipeline:add_task",
    "pipeline:edit_deal",
    "pipeline:edit_deal_part",
    "pipeline:reopen_deal",
    "pipeline:add_line_item",
    "pipeline:change_line_item",
    "pipeline:remove_line_item",
    "pipeline:buying_team_add",
    "pipeline:buying_team_contacts",
    "pipeline:buying_team_role",
    "pipeline:buying_team_primary",
    "pipeline:buying_team_remove",
    "pipeline:set_deal_custom_fields",
    "api:opportunity-detail",
    "api:opportunity-history",
    "api:opportunity-move",
    "api:opportunity-won",
    "api:opportunity-lost",
    "api:opportunity-line-item-list",
    "api:opportunity-line-item-detail",
    "api:opportunity-contacts",
    "api:opportunity-contact",
}
DEAL_ROUTE = re.compile(
    r"deals/<int:pk>|opportunities/\(\?P<(pk|opportunity_id)>|opportunities/<int:(pk|opportunity_id)>"
)


def deal_routes(resolver=None, prefix="", namespace=None):
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            inner = pattern.namespace or None
            if namespace and inner:
                inner = f"{namespace}:{inner}"
            yield from deal_routes(pattern, prefix + str(pattern.pattern), inner or namespace)
        elif isinstance(pattern, URLPattern) and DEAL_ROUTE.search(prefix + str(pattern.pattern)):
            yield f"{namespace}:{pattern.name}" if namespace else pattern.name


def test_every_route_that_names_a_deal_is_tried_here():
    assert set(deal_routes()) - TRIED == set()


def test_the_deal_is_reachable_for_its_owner(client, alice, north_deal):
    """The doors above are shut for Charlie, not for everyone."""
    client.force_login(alice)

    assert client.get(reverse("pipeline:deal_detail", args=[north_deal.pk])).status_code == 200
    api = APIClient()
    api.force_authenticate(alice)
    assert api.get(reverse("api:opportunity-detail", args=[north_deal.pk])).status_code == 200
    assert Opportunity.objects.visible_to(alice).filter(pk=north_deal.pk).exists()


def test_buying_team_doors_answer_404_and_change_nothing(charlie_web, charlie, north_deal):
    member = DealContactFactory(
        opportunity=north_deal, contact=ContactFactory(company=north_deal.company)
    )
    before = (snapshot(north_deal), list(DealContact.objects.values_list("pk", "role_id")))
    own_contact = ContactFactory(company__owner=charlie)
    version = {"version": north_deal.version}

    posts = [
        (
            reverse("pipeline:buying_team_add", args=[north_deal.pk]),
            {**version, "contact": own_contact.pk},
        ),
        (reverse("pipeline:buying_team_role", args=[north_deal.pk, member.pk]), version),
        (reverse("pipeline:buying_team_primary", args=[north_deal.pk, member.pk]), version),
        (reverse("pipeline:buying_team_remove", args=[north_deal.pk, member.pk]), version),
    ]
    for url, data in posts:
        assert charlie_web.post(url, data, **HTMX).status_code == 404, url
        assert charlie_web.post(url, data).status_code == 404, url
    picker = reverse("pipeline:buying_team_contacts", args=[north_deal.pk])
    assert charlie_web.get(picker, **HTMX).status_code == 404
    api = APIClient()
    api.force_authenticate(charlie)
    team = reverse("api:opportunity-contacts", args=[north_deal.pk])
    member_url = reverse("api:opportunity-contact", args=[north_deal.pk, member.pk])
    assert api.get(team).status_code == 404
    assert api.post(team, {"contact": own_contact.pk}, format="json").status_code == 404
    assert api.patch(member_url, {"role": None}, format="json").status_code == 404
    assert api.delete(member_url).status_code == 404

    assert (snapshot(north_deal), list(DealContact.objects.values_list("pk", "role_id"))) == before


def test_import_date_order_door_answers_404_and_changes_nothing(charlie_web, alice):
    """An import of Alice's deals: Charlie cannot decide how its dates are read."""
    job = ImportJobFactory(
        created_by=alice,
        status=ImportStatus.PREVIEWED,
        header=["Title", "Company", "Close"],
        mapping={"title": "Title", "company": "Company", "expected_close_date": "Close"},
    )
    url = reverse("imports:date_orders", args=[job.pk])

    assert charlie_web.post(url, {"expected_close_date": "mdy"}).status_code == 404
    assert charlie_web.post(url, {"expected_close_date": "mdy"}, **HTMX).status_code == 404
    job.refresh_from_db()
    assert job.options == {}


def test_import_stage_mapping_of_the_deals_answers_404_and_changes_nothing(
    charlie_web, alice, north_deal
):
    """Alice's deals import, with a stage column, stays hers: its stage step too."""
    job = ImportJobFactory(
        created_by=alice,
        status="previewed",
        header=["Title", "Company", "Stage"],
        mapping={"title": "Title", "company": "Company", "stage": "Stage"},
    )
    ImportChunkFactory(job=job, data=b"Title,Company,Stage\nRenewal,Northwind,Offer\n")
    url = reverse("imports:values", args=[job.pk])
    stage = other_stage(north_deal)

    assert charlie_web.get(url).status_code == 404
    assert charlie_web.post(url, {"stage-0": stage.pk}).status_code == 404

    job.refresh_from_db()
    assert job.options == {}
    assert not Opportunity.objects.exclude(pk=north_deal.pk).exists()
    # Shut for Charlie, not for everyone: Alice maps her file's "Offer".
    charlie_web.force_login(alice)
    assert charlie_web.get(url).status_code == 200


# A company's own activity: its tasks and touchpoints are the company's as much as its deals


def test_company_activity_doors_answer_404_and_leave_it_out(
    charlie_web, charlie_api, north_deal, alice
):
    company = north_deal.company
    task = TaskFactory(
        opportunity=None, company=company, assignee=alice, title="North tender documents"
    )
    touchpoint = TouchpointFactory(
        opportunity=None, company=company, by=alice, summary="North switchboard"
    )
    before = (Task.objects.count(), Touchpoint.objects.count())

    posts = [
        (reverse("pipeline:company_log_touchpoint", args=[company.pk]), {"kind": "call"}),
        (
            reverse("pipeline:company_add_task", args=[company.pk]),
            {"title": "Sneaky", "due_at": "2030-01-01T10:00"},
        ),
        (reverse("pipeline:complete_task", args=[task.pk]), {}),
        (reverse("pipeline:my_day_complete_task", args=[task.pk]), {}),
    ]
    for url, data in posts:
        assert charlie_web.post(url, data, **HTMX).status_code == 404, url
        assert charlie_web.post(url, data).status_code == 404, url
    for url in (
        reverse("api:task-detail", args=[task.pk]),
        reverse("api:touchpoint-detail", args=[touchpoint.pk]),
    ):
        assert charlie_api.get(url).status_code == 404, url
    for url in (
        reverse("api:task-list") + f"?company={company.pk}",
        reverse("api:touchpoint-list") + f"?company={company.pk}",
        reverse("pipeline:my_day"),
    ):
        client = charlie_api if url.startswith("/api/") else charlie_web
        content = client.get(url).content.decode()
        assert "North tender documents" not in content, url
        assert "North switchboard" not in content, url
    for method, url, data in (
        ("post", reverse("api:touchpoint-list"), {"kind": "call", "company": company.pk}),
        (
            "post",
            reverse("api:task-list"),
            {"title": "Sneaky", "due_at": "2030-01-01T10:00:00Z", "company": company.pk},
        ),
    ):
        assert getattr(charlie_api, method)(url, data, format="json").status_code in (400, 404)

    assert (Task.objects.count(), Touchpoint.objects.count()) == before
    assert Task.objects.get(pk=task.pk).done_at is None


# Quotas: the settings editor, its cell endpoint and the API


def test_quota_doors_are_shut_for_a_rep_and_another_teams_manager(
    charlie_web, charlie_api, charlie, sam, alice, north
):
    alices = QuotaFactory(user=alice, amount="4000.00")
    cell = reverse("forecasting:quota_cell")
    page = reverse("forecasting:quota_settings")
    writes = {f"user-{alice.pk}:2026-Q4": "1", f"team-{north.pk}:2026-Q4": "1"}

    # Charlie, a rep: no editor, no cell, no quota of Alice's through the API.
    assert charlie_web.get(page).status_code == 403
    for name, amount in writes.items():
        assert charlie_web.post(cell, {name: amount}, **HTMX).status_code == 403
        assert charlie_web.post(page, {name: amount, "year": "2026"}).status_code == 403
    assert charlie_api.get(reverse("api:quota-detail", args=[alices.pk])).status_code == 404
    assert str(alices.pk) not in {
        str(row["id"]) for row in charlie_api.get(reverse("api:quota-list")).json()["results"]
    }
    # A rep writes no quota at all: 403 for any id, so it tells nothing about Alice's.
    patch = charlie_api.patch(
        reverse("api:quota-detail", args=[alices.pk]), {"amount": "1"}, format="json"
    )
    assert patch.status_code == 403
    # Sam manages South: North's lines are not in his editor and its cells answer 404.
    sams_api = APIClient()
    sams_api.force_authenticate(sam)
    sams_patch = sams_api.patch(
        reverse("api:quota-detail", args=[alices.pk]), {"amount": "1"}, format="json"
    )
    assert sams_patch.status_code == 404
    charlie_web.force_login(sam)
    assert f"user-{alice.pk}:2026-Q4" not in charlie_web.get(page).content.decode()
    for name, amount in writes.items():
        assert charlie_web.post(cell, {name: amount}, **HTMX).status_code == 404
    # The fallback form ignores cells outside the viewer's table.
    charlie_web.post(page, {**writes, "year": "2026", "kind": "quarter"})

    assert list(Quota.objects.values_list("pk", "amount")) == [(alices.pk, Decimal("4000.00"))]


# The forecast: its figures, plans and links leave the deal out; its writes refuse Charlie


def test_forecast_doors_leave_the_deal_out_and_refuse_writes(
    charlie_web, charlie_api, north_deal, alice, north
):
    north_deal.value = 987654
    north_deal.forecast_category = "commit"
    north_deal.expected_close_date = north_deal.created_at.date()
    north_deal.save()
    period = f"{north_deal.created_at.year}-Q{(north_deal.created_at.month - 1) // 3 + 1}"

    for url in (
        reverse("forecasting:forecast") + f"?period={period}",
        reverse("api:forecast-report") + f"?period={period}",
        reverse("api:forecast-adjustments") + f"?period={period}",
        reverse("api:forecast-backtest") + f"?period={period}",
    ):
        client = charlie_api if url.startswith("/api/") else charlie_web
        content = client.get(url).content.decode()
        assert SECRET_TITLE not in content, url
        assert "987654" not in content, url
        assert "987,654" not in content, url
    adjustment = {
        "period": period,
        "category": "commit",
        "currency": "EUR",
        "amount": "1.00",
    }
    for target in (f"rep-{alice.pk}", f"team-{north.pk}"):
        response = charlie_web.post(reverse("forecasting:adjust"), {**adjustment, "target": target})
        assert response.status_code == 403
    for target in ({"rep": alice.pk}, {"team": north.pk}):
        response = charlie_api.post(
            reverse("api:forecast-adjustments"), {**adjustment, **target}, format="json"
        )
        assert response.status_code == 403
    stage = north_deal.stage
    response = charlie_web.post(reverse("forecasting:use_observed", args=[stage.pk]), {})
    assert response.status_code == 403
    stage.refresh_from_db()
    assert stage.probability == 20
