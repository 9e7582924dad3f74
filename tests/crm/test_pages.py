"""Every page: login required, the base layout, the Content-Security-Policy, and settings."""

import re

import pytest
from django.http import HttpResponse
from django.test import override_settings
from django.urls import reverse

from accounts.models import Role
from crm.security import DEFAULT_POLICY, csp_override
from tests.factories import (
    OpportunityFactory,
    PipelineFactory,
    StageFactory,
    TeamFactory,
    UserFactory,
)
from tests.html import links

EXPECTED_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'"
)

# What the CSP would block, so that a template adding it fails here before it fails in a
# browser: inline <script> bodies, style attributes, inline event handlers, hx-on.
INLINE_CODE = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|\sstyle=|\son[a-z]+=|\shx-on[:-]", re.I)

# Queries for the settings page at any size: session, user, pipelines, their stages
# (prefetch), teams with managers, their members (prefetch), the last nightly runs (none
# here: tests/crm/test_nightly.py counts the page with runs and their jobs).
SETTINGS_QUERIES = 7


@pytest.fixture
def pipeline(db):
    pipeline = PipelineFactory(name="New business")
    StageFactory(pipeline=pipeline, name="Qualification", position=1)
    return pipeline


def page_urls(pipeline):
    return [
        reverse("home"),
        reverse("pipeline:board", args=[pipeline.pk]),
        reverse("contacts:lead_list"),
        reverse("contacts:contact_list"),
        reverse("contacts:company_list"),
        reverse("pipeline:task_list"),
        reverse("forecasting:dashboard"),
        reverse("forecasting:forecast"),
        reverse("crm:settings"),
    ]


def test_every_page_sends_anonymous_users_to_login(client, pipeline):
    for url in page_urls(pipeline):
        response = client.get(url)

        assert response.status_code == 302, url
        assert response["Location"] == f"{reverse('login')}?next={url}", url


def test_every_page_carries_the_content_security_policy(client, ada, pipeline):
    client.force_login(ada)

    for url in [*page_urls(pipeline), reverse("login"), "/no-such-page/"]:
        response = client.get(url)

        assert response["Content-Security-Policy"] == EXPECTED_POLICY, url
    assert DEFAULT_POLICY == EXPECTED_POLICY


def test_admin_pages_carry_the_policy_too(client, ada, pipeline):
    # The admin (5.2) needs no relaxation: no inline scripts or style attributes.
    ada.is_superuser = True
    ada.save(update_fields=["is_superuser"])
    client.force_login(ada)

    response = client.get(reverse("admin:pipeline_pipeline_change", args=[pipeline.pk]))

    assert response.status_code == 200
    assert response["Content-Security-Policy"] == EXPECTED_POLICY
    assert INLINE_CODE.search(response.content.decode()) is None


def test_a_view_can_override_one_directive(rf):
    @csp_override(img_src="'self' data: https://tiles.example")
    def view(request):
        return HttpResponse("ok")

    response = view(rf.get("/"))

    assert "img-src 'self' data: https://tiles.example;" in response["Content-Security-Policy"]
    assert "script-src 'self';" in response["Content-Security-Policy"]


def test_pages_contain_no_inline_script_style_or_handlers(client, ada, pipeline):
    OpportunityFactory(owner=ada, stage=pipeline.stages.get())
    client.force_login(ada)

    for url in page_urls(pipeline)[1:]:  # home only redirects
        content = client.get(url).content.decode()

        assert INLINE_CODE.search(content) is None, (url, INLINE_CODE.search(content))
        assert "<script src=" in content  # the check above saw the page's scripts


def test_login_page_has_no_inline_code(client, db):
    content = client.get(reverse("login")).content.decode()

    assert INLINE_CODE.search(content) is None


def test_base_layout_sends_the_csrf_token_with_every_htmx_request(client, alice):
    client.force_login(alice)

    response = client.get(reverse("contacts:lead_list"))

    token = response.context["csrf_token"]
    assert f'hx-headers=\'{{"X-CSRFToken": "{token}"}}\'' in response.content.decode()


def test_scripts_and_styles_are_vendored_not_from_a_cdn(client, alice):
    client.force_login(alice)

    content = client.get(reverse("contacts:lead_list")).content.decode()

    assert "/static/vendor/bootstrap/bootstrap.min.css" in content
    assert "/static/vendor/bootstrap/bootstrap.bundle.min.js" in content
    assert "/static/vendor/htmx/htmx.min.js" in content
    assert "//cdn" not in content
    assert 'src="http' not in content


@pytest.mark.parametrize(
    ("viewer", "sees_settings"),
    [("alice", False), ("maria", False), ("ada", True)],
)
def test_navigation_offers_settings_to_admins_only(client, request, viewer, sees_settings):
    client.force_login(request.getfixturevalue(viewer))

    content = client.get(reverse("contacts:lead_list")).content.decode()

    for label in ("Board", "Leads", "Contacts", "Dashboard"):
        assert label in content
    assert (f'href="{reverse("crm:settings")}"' in content) is sees_settings


@pytest.mark.parametrize(
    ("url_name", "label"),
    [
        ("contacts:lead_list", "Leads"),
        ("contacts:contact_list", "Contacts"),
        ("contacts:company_list", "Contacts"),
        # The tasks list belongs with My day (the label's first word is what is matched).
        ("pipeline:task_list", "My"),
        ("forecasting:dashboard", "Dashboard"),
        ("forecasting:forecast", "Forecast"),
    ],
)
def test_navigation_highlights_the_current_section(client, alice, url_name, label):
    client.force_login(alice)

    content = client.get(reverse(url_name)).content.decode()

    current = re.findall(r'aria-current="page">\s*<i [^>]*></i>(\w+)', content)
    assert current == [label]


def test_user_menu_shows_name_and_role(client, alice):
    alice.first_name, alice.last_name = "Alice", "Archer"
    alice.save()
    client.force_login(alice)

    content = client.get(reverse("contacts:lead_list")).content.decode()

    assert "Alice Archer" in content
    assert "Sales rep" in content


def test_home_redirects_to_the_first_active_pipeline(client, alice, db):
    PipelineFactory(name="Old", position=0, is_active=False)
    second = PipelineFactory(name="Renewals", position=2)
    first = PipelineFactory(name="New business", position=1)
    client.force_login(alice)

    response = client.get(reverse("home"))

    assert response.status_code == 302
    assert response["Location"] == reverse("pipeline:board", args=[first.pk])
    assert second.pk != first.pk


@pytest.mark.parametrize(
    ("viewer", "hint"),
    [("alice", "An administrator has not set up"), ("ada", "Create a pipeline")],
)
def test_home_without_pipelines_explains_what_to_do(client, request, viewer, hint):
    client.force_login(request.getfixturevalue(viewer))

    response = client.get(reverse("home"))

    assert response.status_code == 200
    assert hint in response.content.decode()


@pytest.mark.parametrize(("viewer", "status"), [("alice", 403), ("maria", 403), ("ada", 200)])
def test_settings_are_for_admins_only(client, request, viewer, status):
    client.force_login(request.getfixturevalue(viewer))

    response = client.get(reverse("crm:settings"))

    assert response.status_code == status


@override_settings(DEBUG=False)
def test_forbidden_settings_page_is_the_styled_403(client, alice):
    client.force_login(alice)

    response = client.get(reverse("crm:settings"))

    assert "You do not have access to this page" in response.content.decode()


def test_settings_list_pipelines_stages_and_teams_with_admin_links(
    client, ada, maria, alice, bob, sam, charlie
):
    pipeline = PipelineFactory(name="Enterprise")
    StageFactory(
        pipeline=pipeline,
        name="Proposal",
        position=1,
        probability=60,
        rotting_days=21,
        entry_fields=["value", "expected_close_date"],
        entry_checklist=["Budget confirmed"],
    )
    client.force_login(ada)

    response = client.get(reverse("crm:settings"))

    content = response.content.decode()
    for text in (
        "Enterprise",
        "Proposal",
        "60&nbsp;%",
        "21",
        "Expected close date",
        "Budget confirmed",
        "North",
        "South",
        str(maria),
        str(alice),
        str(charlie),
    ):
        assert text in content, text
    assert reverse("admin:pipeline_pipeline_change", args=[pipeline.pk]) in content
    assert reverse("admin:pipeline_stage_changelist") in content


def test_settings_query_count_does_not_grow(client, ada, maria, alice, django_assert_num_queries):
    pipeline = PipelineFactory()
    StageFactory(pipeline=pipeline)
    client.force_login(ada)
    url = reverse("crm:settings")

    with django_assert_num_queries(SETTINGS_QUERIES):
        client.get(url)

    for _ in range(5):
        pipeline = PipelineFactory()
        StageFactory.create_batch(6, pipeline=pipeline)
        team = TeamFactory()
        UserFactory.create_batch(3, team=team)
        team.manager = UserFactory(role=Role.MANAGER, team=team)
        team.save(update_fields=["manager"])

    with django_assert_num_queries(SETTINGS_QUERIES):
        response = client.get(url)

    assert len(response.context["pipelines"]) == 6
    assert len(response.context["teams"]) == 6


@pytest.mark.parametrize(
    ("url_name", "needs"),
    [
        ("contacts:lead_settings", None),
        ("pipeline:settings", None),
        ("pipeline:pipeline_settings", "pipeline"),
        ("pipeline:delete_stage", "stage"),
    ],
)
def test_every_apps_settings_page_links_back_to_the_settings_overview(
    client, ada, pipeline, url_name, needs
):
    args = {None: [], "pipeline": [pipeline.pk], "stage": [pipeline.stages.get().pk]}[needs]
    client.force_login(ada)

    response = client.get(reverse(url_name, args=args))

    assert response.status_code == 200
    assert links(response.content)["Settings"] == reverse("crm:settings")
