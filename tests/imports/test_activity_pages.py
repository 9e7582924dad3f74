"""Tasks and touchpoints through the import pages: upload, map, preview, run, report."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from crm.imports.models import ImportJob
from pipeline.models import Task, Touchpoint
from tests.factories import OpportunityFactory
from tests.imports.test_views import upload

CALLS = """Ref,Type,When,Notes,Deal
A-1,call,2025-03-18 14:05,Pricing,Acme renewal
A-2,call,2025-03-19 09:00,,Nowhere
A-3,fax,2025-03-20 09:00,,Acme renewal
"""
MAPPING = {"external_id": "Ref", "kind": "Type", "at": "When", "summary": "Notes", "deal": "Deal"}


@pytest.fixture
def renewal(alice, acme, pipeline):
    return OpportunityFactory(title="Acme renewal", owner=alice, company=acme)


def test_the_upload_form_offers_tasks_and_touchpoints(client, alice):
    client.force_login(alice)

    choices = dict(client.get(reverse("imports:list")).context["form"].fields["kind"].choices)

    assert {"tasks", "touchpoints"} <= set(choices)


def test_touchpoints_upload_map_preview_run_and_report(
    client, alice, renewal, celery_eager, django_capture_on_commit_callbacks
):
    client.force_login(alice)
    upload(client, CALLS, kind="touchpoints")
    job = ImportJob.objects.get()

    # The columns page maps the activity fields; a touchpoint needs something it is about.
    refused = client.post(reverse("imports:columns", args=[job.pk]), {"kind": "Type"})
    assert refused.status_code == 400
    assert refused.context["form"].errors["deal"] == [
        "Choose a column for at least one of: "
        "Deal, Contact, Lead, Company, Related record, Related person."
    ]
    mapped = client.post(reverse("imports:columns", args=[job.pk]), MAPPING)
    assert mapped["Location"] == reverse("imports:preview", args=[job.pk])

    preview = client.get(reverse("imports:preview", args=[job.pk]))
    problems = {row.line: [p.field for p in row.problems] for row in preview.context["rows"]}
    assert problems == {2: [], 3: ["deal"], 4: ["kind"]}
    assert not Touchpoint.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("imports:preview", args=[job.pk]))

    job.refresh_from_db()
    assert (job.status, job.created_count, job.rejected_count) == ("done", 1, 2)
    touchpoint = Touchpoint.objects.get()
    assert (touchpoint.opportunity, touchpoint.by, touchpoint.summary) == (
        renewal,
        alice,
        "Pricing",
    )
    renewal.refresh_from_db()
    assert renewal.last_touch_at == touchpoint.at


def test_tasks_upload_runs_with_its_own_fields(
    client, alice, renewal, celery_eager, django_capture_on_commit_callbacks
):
    client.force_login(alice)
    upload(client, "Subject,Due,Deal\nSend contract,2025-04-02 09:00,Acme renewal\n", kind="tasks")
    job = ImportJob.objects.get()
    client.post(
        reverse("imports:columns", args=[job.pk]),
        {"title": "Subject", "due_at": "Due", "deal": "Deal"},
    )

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("imports:preview", args=[job.pk]))

    task = Task.objects.get()
    assert (task.title, task.opportunity, task.assignee) == ("Send contract", renewal, alice)


# The preview: the import, its first chunk, the custom fields (none), then the plan's
# reads: which external ids exist (a probe; none do, so nothing more), owners are not
# named, the deals by id and by title.
PREVIEW_QUERIES = 7


@pytest.mark.parametrize("rows", [2, 20])
def test_touchpoints_preview_costs_the_same_at_any_size(
    client, alice, renewal, rows, django_assert_num_queries
):
    lines = "".join(f"A-{n},call,2025-03-18 14:05,,Acme renewal\n" for n in range(rows))
    client.force_login(alice)
    upload(client, "Ref,Type,When,Notes,Deal\n" + lines, kind="touchpoints")
    job = ImportJob.objects.get()
    client.post(reverse("imports:columns", args=[job.pk]), MAPPING)

    with django_assert_num_queries(PREVIEW_QUERIES):
        response = client.get(reverse("imports:preview", args=[job.pk]))

    assert len(response.context["rows"]) == min(rows, 20)


def test_the_command_imports_touchpoints_and_names_the_rejected_rows(alice, renewal, tmp_path):
    path = tmp_path / "calls.csv"
    path.write_text(CALLS, encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    mapping = [f"--map={field}={column}" for field, column in MAPPING.items()]

    # Some rows rejected: the command says so and exits 2.
    with pytest.raises(CommandError) as rejected:
        call_command(
            "import_csv",
            "touchpoints",
            str(path),
            *mapping,
            "--user",
            "alice",
            stdout=out,
            stderr=err,
        )

    assert rejected.value.returncode == 2
    assert "1 created, 0 updated, 2 rejected" in out.getvalue()
    assert "line 4 (kind): “fax” is not one of: call, email, meeting, note." in err.getvalue()
    assert Touchpoint.objects.get().opportunity == renewal
