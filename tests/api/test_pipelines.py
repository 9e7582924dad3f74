"""Pipelines and stages: everyone reads them, nobody changes them through the API."""

import pytest

from pipeline.models import Stage
from tests.factories import OpportunityFactory


def test_pipelines_list_stages_in_board_order(api_as, alice, sales):
    response = api_as(alice).get("/api/pipelines/")

    pipeline = response.json()["results"][0]
    assert [stage["name"] for stage in pipeline["stages"]] == [
        "Qualification",
        "Proposal",
        "Won",
        "Lost",
    ]
    assert pipeline["stages"][1]["entry_checklist"] == ["Budget confirmed"]


def test_archived_stages_are_left_out(api_as, alice, sales):
    Stage.objects.filter(pk=sales.proposal.pk).update(archived_at="2026-01-01T00:00:00Z")

    stages = api_as(alice).get(f"/api/stages/?pipeline={sales.pipeline.pk}").json()["results"]
    detail = api_as(alice).get(f"/api/stages/{sales.proposal.pk}/")

    assert [stage["name"] for stage in stages] == ["Qualification", "Won", "Lost"]
    assert detail.status_code == 404


@pytest.mark.parametrize("username", ["alice", "maria"])
def test_only_admins_change_stages(request, api_as, sales, username):
    client = api_as(request.getfixturevalue(username))
    url = f"/api/stages/{sales.proposal.pk}/"

    added = client.post(
        "/api/stages/",
        {"pipeline": sales.pipeline.pk, "name": "Demo", "probability": 40},
        format="json",
    )
    changed = client.patch(url, {"name": "Offer"}, format="json")
    removed = client.delete(url)

    assert (added.status_code, changed.status_code, removed.status_code) == (403, 403, 403)
    assert Stage.objects.filter(pipeline=sales.pipeline).count() == 4
    sales.proposal.refresh_from_db()
    assert sales.proposal.name == "Proposal"


def test_admin_adds_an_open_stage_before_the_closing_ones(api_as, ada, sales):
    response = api_as(ada).post(
        "/api/stages/",
        {
            "pipeline": sales.pipeline.pk,
            "name": "Negotiation",
            "probability": 80,
            "entry_fields": ["value"],
            "position": 1,
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    order = Stage.objects.in_use().filter(pipeline=sales.pipeline).order_by("position")
    assert [stage.name for stage in order] == [
        "Qualification",
        "Proposal",
        "Negotiation",
        "Won",
        "Lost",
    ]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": "Proposal"}, "name"),
        ({"probability": 101}, "probability"),
        ({"entry_fields": ["budget"]}, "entry_fields"),
        ({"kind": "won", "probability": 50}, "probability"),
    ],
)
def test_bad_stage_settings_name_the_field(api_as, ada, sales, payload, field):
    response = api_as(ada).post(
        "/api/stages/",
        {"pipeline": sales.pipeline.pk, "name": "New", "probability": 40, **payload},
        format="json",
    )

    assert response.status_code == 400
    assert field in response.json()
    assert Stage.objects.filter(pipeline=sales.pipeline).count() == 4


def test_admin_changes_a_stage_but_not_its_kind(api_as, ada, sales):
    response = api_as(ada).patch(
        f"/api/stages/{sales.proposal.pk}/",
        {"rotting_days": 7, "entry_checklist": [], "kind": "won"},
        format="json",
    )

    assert response.status_code == 200, response.json()
    sales.proposal.refresh_from_db()
    assert (sales.proposal.rotting_days, sales.proposal.entry_checklist) == (7, [])
    assert sales.proposal.kind == "open"
    assert sales.proposal.entry_fields == ["expected_close_date"]


def test_removing_a_stage_with_deals_needs_a_target(api_as, ada, sales):
    deal = OpportunityFactory(stage=sales.proposal)
    url = f"/api/stages/{sales.proposal.pk}/"

    refused = api_as(ada).delete(url)
    removed = api_as(ada).delete(f"{url}?move_deals_to={sales.qualification.pk}")

    assert refused.status_code == 400
    assert list(refused.json()) == ["move_deals_to"]
    assert removed.status_code == 204
    deal.refresh_from_db()
    assert deal.stage == sales.qualification


def test_the_last_won_stage_cannot_be_removed(api_as, ada, sales):
    response = api_as(ada).delete(f"/api/stages/{sales.won.pk}/")

    assert response.status_code == 400
    assert Stage.objects.in_use().filter(pk=sales.won.pk).exists()


def test_pipelines_are_read_only(api_as, ada, sales):
    url = f"/api/pipelines/{sales.pipeline.pk}/"

    assert api_as(ada).delete(url).status_code == 405
    assert api_as(ada).patch(url, {"name": "x"}, format="json").status_code == 405


def test_api_root_links_every_endpoint(api_as, alice):
    body = api_as(alice).get("/api/").json()

    assert set(body) >= {
        "companies",
        "contacts",
        "leads",
        "opportunities",
        "pipelines",
        "stages",
        "touchpoints",
        "tasks",
        "quotas",
        "notifications",
        "users",
        "forecast",
        "schema",
        "docs",
    }
