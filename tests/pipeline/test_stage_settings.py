"""Pipeline and stage settings pages: admins only, plain forms and htmx fragments, query counts."""

import re

import pytest
from django.urls import reverse

from accounts.models import Role
from pipeline.models import Opportunity, Pipeline, Stage, StageChange, StageKind
from pipeline.services import delete_stage
from tests.crm.test_pages import INLINE_CODE
from tests.factories import OpportunityFactory, PipelineFactory, StageFactory, UserFactory

# Queries per page, whatever the number of stages and deals:
# the list: session, user, pipelines, their stages (prefetch), open deals per pipeline;
LIST_QUERIES = 5
# the stage editor: session, user, pipeline, its stages, deal counts per stage (one aggregate);
EDITOR_QUERIES = 5
# the delete page of a stage holding deals: session, user, stage with pipeline, its deal
# counts, the other stages, the choices of where its deals go.
DELETE_QUERIES = 6

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def pipeline(db):
    return PipelineFactory(name="New business", position=1)


@pytest.fixture
def stages(pipeline):
    return {
        "qualification": StageFactory(pipeline=pipeline, name="Qualification", position=1),
        "proposal": StageFactory(pipeline=pipeline, name="Proposal", position=2, probability=60),
        "won": StageFactory(
            pipeline=pipeline,
            name="Won",
            position=3,
            probability=100,
            rotting_days=None,
            kind=StageKind.WON,
        ),
        "lost": StageFactory(
            pipeline=pipeline,
            name="Lost",
            position=4,
            probability=0,
            rotting_days=None,
            kind=StageKind.LOST,
        ),
    }


def order(pipeline):
    return list(
        Stage.objects.in_use()
        .filter(pipeline=pipeline)
        .order_by("position")
        .values_list("name", flat=True)
    )


def stage_form_data(stage, **overrides):
    data = {
        "name": stage.name,
        "probability": stage.probability,
        "rotting_days": stage.rotting_days or "",
        "entry_checklist": "",
        **overrides,
    }
    return {f"stage-{stage.pk}-{key}": value for key, value in data.items()}


def add_form_data(**overrides):
    data = {"name": "Demo", "kind": "open", "probability": 40, "rotting_days": 10, **overrides}
    return {f"new-stage-{key}": value for key, value in data.items()}


def every_request(stages):
    """(method, url, data) for every settings endpoint."""
    pipeline = stages["won"].pipeline
    proposal = stages["proposal"]
    return [
        ("get", reverse("pipeline:settings"), None),
        ("post", reverse("pipeline:settings"), {"name": "Partners"}),
        ("get", reverse("pipeline:pipeline_settings", args=[pipeline.pk]), None),
        ("post", reverse("pipeline:rename_pipeline", args=[pipeline.pk]), {"name": "Renamed"}),
        ("post", reverse("pipeline:set_pipeline_active", args=[pipeline.pk]), {"is_active": "0"}),
        ("post", reverse("pipeline:add_stage", args=[pipeline.pk]), add_form_data()),
        (
            "post",
            reverse("pipeline:reorder_stages", args=[pipeline.pk]),
            {"stage_ids": [s.pk for s in (proposal, stages["qualification"])]},
        ),
        ("get", reverse("pipeline:stage_row", args=[proposal.pk]), None),
        ("get", reverse("pipeline:edit_stage", args=[proposal.pk]), None),
        (
            "post",
            reverse("pipeline:edit_stage", args=[proposal.pk]),
            stage_form_data(proposal, name="Offer"),
        ),
        ("get", reverse("pipeline:delete_stage", args=[proposal.pk]), None),
        ("post", reverse("pipeline:delete_stage", args=[proposal.pk]), {}),
    ]


def snapshot(pipeline):
    pipeline.refresh_from_db()
    stages = Stage.objects.filter(pipeline=pipeline).order_by("pk")
    return (
        pipeline.name,
        pipeline.is_active,
        Pipeline.objects.count(),
        [(s.name, s.position, s.probability, s.archived_at) for s in stages],
    )


# --- who may use the pages --------------------------------------------------------------------


def test_anonymous_users_are_sent_to_login(client, stages):
    for method, url, data in every_request(stages):
        response = getattr(client, method)(url, data or {})

        assert response.status_code == 302, url
        assert response["Location"] == f"{reverse('login')}?next={url}", url


@pytest.mark.parametrize("viewer", ["alice", "maria"])
def test_reps_and_managers_are_forbidden_and_change_nothing(client, request, stages, viewer):
    client.force_login(request.getfixturevalue(viewer))
    pipeline = stages["won"].pipeline
    before = snapshot(pipeline)

    for method, url, data in every_request(stages):
        response = getattr(client, method)(url, data or {})

        assert response.status_code == 403, (method, url)
    assert snapshot(pipeline) == before


@pytest.mark.parametrize("user", ["admin", "superuser"])
def test_admins_and_superusers_open_every_page(client, stages, user):
    if user == "admin":
        viewer = UserFactory(username="ada", role=Role.ADMIN)
    else:
        viewer = UserFactory(username="root", role=Role.REP, is_superuser=True)
    client.force_login(viewer)

    for method, url, _data in every_request(stages):
        if method == "get":
            response = client.get(url, **HTMX) if "stages/" in url else client.get(url)
            assert response.status_code == 200, url


def test_pages_carry_no_inline_code(client, ada, stages):
    client.force_login(ada)
    pipeline = stages["won"].pipeline

    for url in (
        reverse("pipeline:settings"),
        reverse("pipeline:pipeline_settings", args=[pipeline.pk]),
        reverse("pipeline:pipeline_settings", args=[pipeline.pk]) + f"?edit={stages['won'].pk}",
        reverse("pipeline:delete_stage", args=[stages["proposal"].pk]),
    ):
        content = client.get(url).content.decode()
        assert not INLINE_CODE.search(content), url


def test_unknown_pipeline_and_archived_stage_are_404(client, ada, stages):
    OpportunityFactory(stage=stages["proposal"])
    delete_stage(stage=stages["proposal"], move_deals_to=stages["qualification"], by=ada)
    client.force_login(ada)

    assert client.get(reverse("pipeline:pipeline_settings", args=[999_999])).status_code == 404
    for name in ("edit_stage", "delete_stage", "stage_row"):
        url = reverse(f"pipeline:{name}", args=[stages["proposal"].pk])
        assert client.get(url, **HTMX).status_code == 404, name


# --- pipelines --------------------------------------------------------------------------------


def test_list_shows_pipelines_with_their_stages_in_board_order(client, ada, stages):
    PipelineFactory(name="Renewals", position=2, is_active=False)
    OpportunityFactory.create_batch(3, stage=stages["qualification"])
    client.force_login(ada)

    response = client.get(reverse("pipeline:settings"))

    content = response.content.decode()
    assert response.status_code == 200
    assert re.search(r"Qualification.*Proposal.*Won.*Lost.*Renewals", content, re.S)
    assert "3 open deals" in content
    assert reverse("pipeline:pipeline_settings", args=[stages["won"].pipeline.pk]) in content


def test_adding_a_pipeline_leads_to_its_editor(client, ada, db):
    client.force_login(ada)

    response = client.post(reverse("pipeline:settings"), {"name": "Partners"})

    pipeline = Pipeline.objects.get(name="Partners")
    assert response.status_code == 302
    assert response["Location"] == reverse("pipeline:pipeline_settings", args=[pipeline.pk])
    assert order(pipeline) == ["Won", "Lost"]


def test_a_taken_pipeline_name_is_named_on_the_field(client, ada, pipeline):
    client.force_login(ada)

    response = client.post(reverse("pipeline:settings"), {"name": "New business"})

    content = response.content.decode()
    assert response.status_code == 422
    assert 'id="id_name_error"' in content
    assert "A pipeline called New business already exists." in content
    assert Pipeline.objects.count() == 1


def test_rename_pipeline(client, ada, stages):
    pipeline = stages["won"].pipeline
    PipelineFactory(name="Renewals")
    client.force_login(ada)
    url = reverse("pipeline:rename_pipeline", args=[pipeline.pk])

    taken = client.post(url, {"name": "Renewals"})
    renamed = client.post(url, {"name": "Enterprise"})

    assert taken.status_code == 422
    assert "already exists" in taken.content.decode()
    assert renamed.status_code == 302
    pipeline.refresh_from_db()
    assert pipeline.name == "Enterprise"


def test_activation_needs_an_open_stage(client, ada, db):
    pipeline = PipelineFactory(name="Partners", is_active=False)
    StageFactory(pipeline=pipeline, name="Won", probability=100, kind=StageKind.WON)
    client.force_login(ada)
    url = reverse("pipeline:set_pipeline_active", args=[pipeline.pk])

    response = client.post(url, {"is_active": "1"}, follow=True)

    assert "Add an open stage before activating the pipeline." in response.content.decode()
    pipeline.refresh_from_db()
    assert pipeline.is_active is False

    StageFactory(pipeline=pipeline, name="Intro")
    client.post(url, {"is_active": "1"})
    pipeline.refresh_from_db()
    assert pipeline.is_active is True


# --- the stage editor -------------------------------------------------------------------------


def test_editor_lists_open_then_closing_stages_with_deal_counts(client, ada, stages):
    OpportunityFactory.create_batch(2, stage=stages["proposal"])
    client.force_login(ada)

    response = client.get(reverse("pipeline:pipeline_settings", args=[stages["won"].pipeline.pk]))

    assert [row.stage.name for row in response.context["open_rows"]] == [
        "Qualification",
        "Proposal",
    ]
    assert [row.stage.name for row in response.context["closing_rows"]] == ["Won", "Lost"]
    assert response.context["open_rows"][1].deals.total == 2
    content = response.content.decode()
    for stage in stages.values():
        assert f'id="stage-{stage.pk}"' in content


def test_arrow_buttons_post_the_swapped_order(client, ada, stages):
    client.force_login(ada)

    response = client.get(reverse("pipeline:pipeline_settings", args=[stages["won"].pipeline.pk]))

    first, second = response.context["open_rows"]
    swapped = [second.stage.pk, first.stage.pk, stages["won"].pk, stages["lost"].pk]
    assert first.order_up is None
    assert first.order_down == swapped
    assert second.order_up == swapped
    assert second.order_down is None


def _grow_pipeline(pipeline, count):
    for _ in range(count):
        stage = StageFactory(pipeline=pipeline, position=10)
        OpportunityFactory.create_batch(2, stage=stage)


def test_editor_query_count_does_not_grow(client, ada, stages, django_assert_num_queries):
    pipeline = stages["won"].pipeline
    _grow_pipeline(pipeline, 1)  # 5 stages
    client.force_login(ada)
    url = reverse("pipeline:pipeline_settings", args=[pipeline.pk])

    with django_assert_num_queries(EDITOR_QUERIES):
        client.get(url)
    _grow_pipeline(pipeline, 7)  # 12 stages
    with django_assert_num_queries(EDITOR_QUERIES):
        response = client.get(url)

    assert len(response.context["open_rows"]) + len(response.context["closing_rows"]) == 12


def test_list_query_count_does_not_grow(client, ada, stages, django_assert_num_queries):
    client.force_login(ada)
    url = reverse("pipeline:settings")

    with django_assert_num_queries(LIST_QUERIES):
        client.get(url)
    for n in range(4):
        _grow_pipeline(PipelineFactory(name=f"More {n}"), 3)
    with django_assert_num_queries(LIST_QUERIES):
        client.get(url)


def test_delete_page_query_count_does_not_grow(client, ada, stages, django_assert_num_queries):
    OpportunityFactory(stage=stages["proposal"])
    client.force_login(ada)
    url = reverse("pipeline:delete_stage", args=[stages["proposal"].pk])

    with django_assert_num_queries(DELETE_QUERIES):
        client.get(url)
    _grow_pipeline(stages["won"].pipeline, 8)
    OpportunityFactory.create_batch(5, stage=stages["proposal"])
    with django_assert_num_queries(DELETE_QUERIES):
        client.get(url)


# --- inline edit ------------------------------------------------------------------------------


def test_htmx_edit_swaps_the_form_into_the_row_and_saving_swaps_it_back(client, ada, stages):
    stage = stages["proposal"]
    client.force_login(ada)
    url = reverse("pipeline:edit_stage", args=[stage.pk])

    form = client.get(url, **HTMX)
    saved = client.post(
        url,
        stage_form_data(
            stage, name="Offer", probability=55, entry_fields=["value"], entry_checklist="A\nB"
        ),
        **HTMX,
    )

    assert form.status_code == 200
    form_html = form.content.decode()
    assert form_html.lstrip().startswith('<li class="stage-row stage-kind-open is-editing"')
    assert "<html" not in form_html
    assert f'name="stage-{stage.pk}-probability"' in form_html
    assert saved.status_code == 200
    saved_html = saved.content.decode()
    assert "is-editing" not in saved_html
    assert "Offer" in saved_html
    stage.refresh_from_db()
    assert (stage.name, stage.probability) == ("Offer", 55)
    assert (stage.entry_fields, stage.entry_checklist) == (["value"], ["A", "B"])


def test_plain_edit_opens_in_the_page_and_saves_with_a_redirect(client, ada, stages):
    stage = stages["proposal"]
    pipeline = stage.pipeline
    client.force_login(ada)
    url = reverse("pipeline:edit_stage", args=[stage.pk])

    page = client.get(url)
    saved = client.post(url, stage_form_data(stage, name="Offer"))

    assert "<html" in page.content.decode()
    assert [row.stage.pk for row in page.context["open_rows"] if row.form] == [stage.pk]
    assert saved.status_code == 302
    assert saved["Location"] == (
        reverse("pipeline:pipeline_settings", args=[pipeline.pk]) + f"#stage-{stage.pk}"
    )


@pytest.mark.parametrize(
    ("stage_name", "data", "field", "message"),
    [
        ("proposal", {"probability": 150}, "probability", "less than or equal to 100"),
        ("proposal", {"probability": ""}, "probability", "Enter the chance"),
        ("proposal", {"rotting_days": 0}, "rotting_days", "greater than or equal to 1"),
        ("proposal", {"name": "Qualification"}, "name", "already has a stage called"),
        ("proposal", {"entry_fields": ["budget"]}, "entry_fields", "Select a valid choice"),
        ("proposal", {"entry_checklist": "x" * 101}, "entry_checklist", "at most 100"),
    ],
)
def test_invalid_edit_answers_422_naming_the_field(
    client, ada, stages, stage_name, data, field, message
):
    stage = stages[stage_name]
    client.force_login(ada)

    response = client.post(
        reverse("pipeline:edit_stage", args=[stage.pk]), stage_form_data(stage, **data), **HTMX
    )

    content = response.content.decode()
    assert response.status_code == 422
    assert f'id="id_stage-{stage.pk}-{field}_error"' in content
    assert message in content
    stage.refresh_from_db()
    assert (stage.name, stage.probability) == (stages[stage_name].name, 60)


def test_closing_stage_form_keeps_its_probability(client, ada, stages):
    won = stages["won"]
    client.force_login(ada)

    response = client.post(
        reverse("pipeline:edit_stage", args=[won.pk]),
        stage_form_data(won, name="Closed won", probability=50, rotting_days=9),
        **HTMX,
    )

    assert response.status_code == 200
    won.refresh_from_db()
    assert (won.name, won.probability, won.rotting_days) == ("Closed won", 100, None)


def test_cancel_swaps_the_plain_row_back(client, ada, stages):
    client.force_login(ada)
    url = reverse("pipeline:stage_row", args=[stages["proposal"].pk])

    fragment = client.get(url, **HTMX)
    plain = client.get(url)

    assert "is-editing" not in fragment.content.decode()
    assert "Proposal" in fragment.content.decode()
    assert plain.status_code == 302


# --- adding and reordering --------------------------------------------------------------------


def test_htmx_add_stage_swaps_the_editor_with_the_stage_before_won(client, ada, stages):
    pipeline = stages["won"].pipeline
    client.force_login(ada)

    response = client.post(
        reverse("pipeline:add_stage", args=[pipeline.pk]),
        add_form_data(entry_checklist="Budget confirmed\n\nBudget confirmed"),
        **HTMX,
    )

    content = response.content.decode()
    assert response.status_code == 200
    assert content.lstrip().startswith('<section class="card border-0 shadow-sm" id="stage-editor"')
    assert "Stage Demo added." in content
    assert order(pipeline) == ["Qualification", "Proposal", "Demo", "Won", "Lost"]
    assert Stage.objects.get(name="Demo").entry_checklist == ["Budget confirmed"]


def test_plain_add_stage_redirects_to_the_new_row(client, ada, stages):
    pipeline = stages["won"].pipeline
    client.force_login(ada)

    response = client.post(reverse("pipeline:add_stage", args=[pipeline.pk]), add_form_data())

    stage = Stage.objects.get(name="Demo")
    assert response["Location"].endswith(f"#stage-{stage.pk}")


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"kind": "won", "probability": 50, "rotting_days": ""}, "probability", "always 100 %"),
        ({"kind": "lost", "probability": "", "rotting_days": 5}, "rotting_days", "never go stale"),
        (
            {"kind": "lost", "probability": 0, "rotting_days": "", "entry_checklist": "Reason"},
            "entry_checklist",
            "takes every deal",
        ),
        ({"name": "Proposal"}, "name", "already has a stage called Proposal"),
        ({"name": ""}, "name", "This field is required"),
    ],
)
def test_invalid_new_stage_answers_422_naming_the_field(client, ada, stages, data, field, message):
    pipeline = stages["won"].pipeline
    client.force_login(ada)

    response = client.post(
        reverse("pipeline:add_stage", args=[pipeline.pk]), add_form_data(**data), **HTMX
    )

    content = response.content.decode()
    assert response.status_code == 422
    assert f'id="id_new-stage-{field}_error"' in content
    assert message in content
    assert pipeline.stages.count() == 4


def test_closing_stage_added_without_probability_gets_the_fixed_one(client, ada, stages):
    pipeline = stages["won"].pipeline
    client.force_login(ada)

    client.post(
        reverse("pipeline:add_stage", args=[pipeline.pk]),
        add_form_data(name="Lost - no budget", kind="lost", probability="", rotting_days=""),
    )

    stage = Stage.objects.get(name="Lost - no budget")
    assert (stage.kind, stage.probability, stage.position) == (StageKind.LOST, 0, 5)


def test_reorder_saves_positions_and_answers_with_the_editor(client, ada, stages):
    pipeline = stages["won"].pipeline
    client.force_login(ada)
    ids = [stages[name].pk for name in ("proposal", "qualification", "won", "lost")]

    response = client.post(
        reverse("pipeline:reorder_stages", args=[pipeline.pk]), {"stage_ids": ids}, **HTMX
    )

    assert response.status_code == 200
    assert "Stage order saved." in response.content.decode()
    assert order(pipeline) == ["Proposal", "Qualification", "Won", "Lost"]


def test_outdated_order_is_refused_and_the_real_order_shown(client, ada, stages):
    pipeline = stages["won"].pipeline
    client.force_login(ada)
    url = reverse("pipeline:reorder_stages", args=[pipeline.pk])
    ids = [stages[name].pk for name in ("proposal", "qualification", "won")]  # Lost missing

    htmx_response = client.post(url, {"stage_ids": ids}, **HTMX)
    plain_response = client.post(url, {"stage_ids": ids}, follow=True)
    garbage = client.post(url, {"stage_ids": ["x"]}, **HTMX)

    assert htmx_response.status_code == 422
    assert "changed meanwhile" in htmx_response.content.decode()
    shown = [row.stage.name for row in htmx_response.context["open_rows"]]
    assert shown == ["Qualification", "Proposal"]
    assert "changed meanwhile" in plain_response.content.decode()
    assert garbage.status_code == 422
    assert order(pipeline) == ["Qualification", "Proposal", "Won", "Lost"]


def test_plain_arrow_redirects_to_the_moved_row(client, ada, stages):
    pipeline = stages["won"].pipeline
    client.force_login(ada)
    ids = [stages[name].pk for name in ("proposal", "qualification", "won", "lost")]

    response = client.post(
        reverse("pipeline:reorder_stages", args=[pipeline.pk]),
        {"stage_ids": ids, "moved": stages["proposal"].pk},
    )

    assert response["Location"].endswith(f"#stage-{stages['proposal'].pk}")


# --- deleting ---------------------------------------------------------------------------------


def test_delete_page_asks_where_the_deals_go(client, ada, stages):
    OpportunityFactory.create_batch(3, stage=stages["proposal"])
    client.force_login(ada)

    response = client.get(reverse("pipeline:delete_stage", args=[stages["proposal"].pk]))

    content = response.content.decode()
    assert "This stage holds 3 deals." in content
    choices = [stage.pk for stage in response.context["form"].fields["move_deals_to"].queryset]
    assert choices == [stages["qualification"].pk]


def test_deleting_without_a_target_is_refused_on_the_field(client, ada, stages):
    deal = OpportunityFactory(stage=stages["proposal"])
    client.force_login(ada)

    response = client.post(reverse("pipeline:delete_stage", args=[stages["proposal"].pk]), {})

    assert response.status_code == 422
    assert 'id="id_move_deals_to_error"' in response.content.decode()
    deal.refresh_from_db()
    assert deal.stage == stages["proposal"]


def test_deleting_moves_the_deals_and_archives_the_stage(client, ada, stages):
    deals = OpportunityFactory.create_batch(2, stage=stages["proposal"])
    client.force_login(ada)

    response = client.post(
        reverse("pipeline:delete_stage", args=[stages["proposal"].pk]),
        {"move_deals_to": stages["qualification"].pk},
        follow=True,
    )

    assert "its 2 deals are now in Qualification" in response.content.decode()
    assert set(Opportunity.objects.filter(stage=stages["qualification"])) == set(deals)
    assert StageChange.objects.filter(from_stage=stages["proposal"]).count() == 2
    assert order(stages["won"].pipeline) == ["Qualification", "Won", "Lost"]
    assert 'id="stage-{}"'.format(stages["proposal"].pk) not in response.content.decode()


def test_deleting_an_empty_stage_needs_no_target(client, ada, stages):
    client.force_login(ada)

    response = client.post(reverse("pipeline:delete_stage", args=[stages["proposal"].pk]), {})

    assert response.status_code == 302
    assert not Stage.objects.filter(pk=stages["proposal"].pk).exists()


def test_last_won_stage_shows_why_it_stays(client, ada, stages):
    client.force_login(ada)
    url = reverse("pipeline:delete_stage", args=[stages["won"].pk])

    page = client.get(url)
    attempt = client.post(url, {})

    assert "A pipeline needs a won stage" in page.content.decode()
    assert 'type="submit"' not in page.content.decode().split('id="delete-heading"')[1]
    assert attempt.status_code == 422
    assert Stage.objects.filter(pk=stages["won"].pk).exists()
