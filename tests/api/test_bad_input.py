"""Bad input answers 4xx with a JSON error that names the problem, never a server error.

Each request here was a 500 (or an HTML page) once: tampered cursors, bodies nested too
deeply or too large, ids that are not integers, format suffixes on actions, unknown paths.
"""

import base64
from urllib.parse import quote, urlencode

import pytest
from django.urls import reverse

from tests.factories import CompanyFactory, ContactFactory, LeadFactory, OpportunityFactory


def cursor(position: str) -> str:
    """A cursor at ``position``, encoded as DRF encodes its own."""
    return quote(base64.b64encode(urlencode({"p": position}).encode()).decode(), safe="")


@pytest.fixture
def deal(alice, sales):
    return OpportunityFactory(owner=alice, stage=sales.qualification)


@pytest.fixture
def records(alice, deal):
    ContactFactory(company=deal.company, owner=alice)
    LeadFactory(owner=alice)


# --- cursors ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        # Text where the first sort field is an integer (the default -id).
        "/api/opportunities/?cursor=cD1hYmM%3D",
        "/api/companies/?ordering=id&cursor=cD1hYmM%3D",
        # Text for a small positive integer.
        "/api/leads/?ordering=score&cursor=cD14eA%3D%3D",
        # A NUL byte in a text position (PostgreSQL cannot even compare one).
        "/api/contacts/?cursor=cD0A",
        # A decimal with more digits than the column holds.
        "/api/opportunities/?ordering=value&cursor=cD0xZTk5OTk5OQ%3D%3D",
        # Out of range for the column: a negative score, an id beyond 64 bits.
        f"/api/leads/?ordering=score&cursor={cursor('-1')}",
        f"/api/opportunities/?cursor={cursor(str(2**64))}",
        # Not a time, for a time ordering; not a number at all.
        f"/api/leads/?cursor={cursor('yesterday')}",
        f"/api/opportunities/?ordering=-value&cursor={cursor('NaN')}",
    ],
)
def test_a_tampered_cursor_answers_invalid_cursor(api_as, alice, records, url):
    response = api_as(alice).get(url)

    assert response.status_code == 404
    assert response.json() == {"detail": "Invalid cursor"}


@pytest.mark.parametrize(
    ("ordering", "position"),
    [
        ("-id", "1"),
        ("value", "1000.00"),
        ("title", "Deal"),
        ("-created_at", "2026-01-01 10:00:00+00:00"),
    ],
)
def test_a_well_formed_cursor_of_each_type_is_followed(api_as, alice, deal, ordering, position):
    url = f"/api/opportunities/?ordering={ordering}&cursor={cursor(position)}"

    response = api_as(alice).get(url)

    assert response.status_code == 200


# --- request bodies -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        "[" * 1000 + "]" * 1000,
        '{"name": ' + '{"a": ' * 1000 + "1" + "}" * 1000 + "}",
        '{"name": "x", "domain": ' + "[" * 65 + "]" * 65 + "}",
    ],
)
def test_a_body_nested_too_deeply_is_refused(api_as, alice, body):
    response = api_as(alice).post("/api/companies/", body, content_type="application/json")

    assert response.status_code == 400
    assert "nested too deeply" in response.json()["detail"]


def test_a_body_nested_within_the_limit_reaches_the_serializer(api_as, alice):
    body = '{"name": "x", "domain": ' + "[" * 63 + "]" * 63 + "}"

    response = api_as(alice).post("/api/companies/", body, content_type="application/json")

    assert response.status_code == 400
    assert list(response.json()) == ["domain"]


def test_brackets_inside_strings_do_not_count_as_nesting(api_as, alice):
    name = "[{" * 90 + '\\"'

    response = api_as(alice).post(
        "/api/companies/", f'{{"name": "{name}"}}', content_type="application/json"
    )

    assert response.status_code == 201
    assert response.json()["name"] == "[{" * 90 + '"'


@pytest.mark.parametrize("content_type", ["application/json", "application/x-www-form-urlencoded"])
def test_a_body_over_the_size_limit_answers_413(api_as, alice, settings, content_type):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = f'{{"name": "{"x" * 2000}"}}' if content_type == "application/json" else "x" * 2000

    response = api_as(alice).post("/api/companies/", body, content_type=content_type)

    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert "1000 bytes" in response.json()["detail"]


def test_a_multipart_body_over_the_size_limit_answers_413(api_as, alice, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000

    response = api_as(alice).post("/api/companies/", {"name": "x" * 2000}, format="multipart")

    assert response.status_code == 413
    assert "1000 bytes" in response.json()["detail"]


def test_a_form_body_with_too_many_fields_is_refused(api_as, alice, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 3
    body = "&".join(f"field{number}=x" for number in range(10))

    response = api_as(alice).post(
        "/api/companies/", body, content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == 400
    assert "more fields" in response.json()["detail"]


# --- ids in bodies --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "number", ["1e400", "-1e400", "1.5", "1e20", "true", "99999999999999999999"]
)
@pytest.mark.parametrize("field", ["owner", "company", "pipeline", "stage", "contact"])
def test_a_deal_id_that_is_not_an_integer_names_the_field(api_as, alice, sales, field, number):
    company = CompanyFactory(owner=alice)
    ids = {"company": company.pk, "pipeline": sales.pipeline.pk, field: "NUMBER"}
    body = (
        '{"title": "Big", ' + ", ".join(f'"{name}": {value}' for name, value in ids.items()) + "}"
    ).replace("NUMBER", number)

    response = api_as(alice).post("/api/opportunities/", body, content_type="application/json")

    assert response.status_code == 400
    assert list(response.json()) == [field]


@pytest.mark.parametrize("field", ["opportunity", "lead", "contact", "assignee"])
def test_a_task_id_that_is_not_an_integer_names_the_field(api_as, alice, deal, field):
    body = '{"title": "Call", "due_at": "2030-01-01T10:00:00Z", "FIELD": 1e400}'

    response = api_as(alice).post(
        "/api/tasks/", body.replace("FIELD", field), content_type="application/json"
    )

    assert response.status_code == 400
    assert list(response.json()) == [field]


def test_an_integral_float_id_is_read_as_the_integer(api_as, alice, deal):
    body = f'{{"title": "Call", "due_at": "2030-01-01T10:00:00Z", "opportunity": {deal.pk}.0}}'

    response = api_as(alice).post("/api/tasks/", body, content_type="application/json")

    assert response.status_code == 201
    assert response.json()["opportunity"] == deal.pk


@pytest.mark.parametrize("field", ["user", "team"])
def test_a_quota_id_that_is_not_an_integer_names_the_field(api_as, ada, field):
    body = (
        '{"FIELD": 1e400, "period_start": "2026-10-01", "period_end": "2026-12-31", '
        '"amount": "10.00"}'
    )

    response = api_as(ada).post(
        "/api/quotas/", body.replace("FIELD", field), content_type="application/json"
    )

    assert response.status_code == 400
    assert field in response.json()


def test_a_stage_pipeline_that_is_not_an_integer_names_the_field(api_as, ada):
    body = '{"pipeline": 1e400, "name": "Demo", "probability": 50}'

    response = api_as(ada).post("/api/stages/", body, content_type="application/json")

    assert response.status_code == 400
    assert list(response.json()) == ["pipeline"]


# --- paths ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/api/opportunities/{deal}/move.json"),
        ("post", "/api/opportunities/{deal}/won.json"),
        ("post", "/api/opportunities/{deal}/lost.json"),
        ("get", "/api/users/me.json"),
        ("post", "/api/notifications/read-all.json"),
        ("post", "/api/tasks/{task}/complete.json"),
        ("get", "/api/opportunities/{deal}.json"),
        ("get", "/api/opportunities.json"),
    ],
)
def test_a_format_suffix_is_an_unknown_path(api_as, alice, deal, method, path):
    task_id = deal.tasks.create(title="Call", due_at=deal.created_at, assignee=alice).pk
    url = path.format(deal=deal.pk, task=task_id)

    response = getattr(api_as(alice), method)(url, {"version": 1}, format="json")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


@pytest.mark.parametrize(
    "path", ["/api/nothing/", "/api/opportunities/abc/", "/api/opportunities/1/nothing/"]
)
def test_an_api_path_matching_no_route_answers_json_404(api_as, alice, path):
    response = api_as(alice).get(path)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found."}


def test_an_unknown_api_path_answers_json_404_when_signed_out(client, db):
    response = client.post("/api/nothing/")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_a_page_matching_no_route_keeps_the_html_404(client, alice):
    client.force_login(alice)

    response = client.get("/nothing/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_a_path_without_its_slash_is_still_redirected(api_as, alice):
    response = api_as(alice).get(reverse("api:opportunity-list").rstrip("/"))

    assert response.status_code == 301
    assert response["Location"] == reverse("api:opportunity-list")


# --- what the schema says a request holds is what the API accepts -------------------------


@pytest.mark.parametrize("size", ["0", "-3", "null", "1.5"])
def test_a_page_size_that_is_not_a_positive_whole_number_is_refused(api_as, alice, deal, size):
    for url in ("/api/opportunities/", "/api/stages/"):
        response = api_as(alice).get(f"{url}?page_size={size}")

        assert response.status_code == 400, url
        assert list(response.json()) == ["page_size"]


def test_an_empty_page_size_means_the_default(api_as, alice, deal):
    response = api_as(alice).get("/api/opportunities/?page_size=")

    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [deal.pk]


@pytest.mark.parametrize(
    "query",
    ["is_stale=maybe", "is_stale=null", "is_stale=yes"],
)
def test_a_yes_no_filter_takes_only_true_or_false(api_as, alice, deal, query):
    response = api_as(alice).get(f"/api/opportunities/?{query}")

    assert response.status_code == 400
    assert list(response.json()) == ["is_stale"]


@pytest.mark.parametrize(("value", "found"), [("true", 0), ("false", 1), ("", 1)])
def test_a_yes_no_filter_filters_on_true_or_false(api_as, alice, deal, value, found):
    response = api_as(alice).get(f"/api/opportunities/?is_stale={value}")

    assert response.status_code == 200
    assert len(response.json()["results"]) == found


def test_pipelines_filter_on_active_strictly_too(api_as, alice, sales):
    assert api_as(alice).get("/api/pipelines/?is_active=null").status_code == 400
    assert api_as(alice).get("/api/pipelines/?is_active=true").json()["count"] == 1


@pytest.mark.parametrize("value", ["0", "1", '"yes"', "null"])
def test_a_flag_in_a_body_must_be_a_json_boolean(api_as, alice, value):
    body = f'{{"name": "Acme", "allow_duplicate_domain": {value}}}'

    response = api_as(alice).post("/api/companies/", body, content_type="application/json")

    assert response.status_code == 400
    assert list(response.json()) == ["allow_duplicate_domain"]


def test_a_flag_in_a_form_body_is_read_from_its_text(api_as, alice):
    response = api_as(alice).post(
        "/api/companies/", {"name": "Acme", "allow_duplicate_domain": "true"}, format="multipart"
    )

    assert response.status_code == 201


@pytest.mark.parametrize(
    ("url", "body", "field"),
    [
        ("/api/companies/", '{"name": "Acme", "external_id": 0}', "external_id"),
        ("/api/companies/", '{"name": 12}', "name"),
        ("/api/leads/", '{"last_name": "Berg", "email": 1.5}', "email"),
        ("/api/opportunities/{deal}/lost/", '{"version": 1, "lost_reason": 7}', "lost_reason"),
    ],
)
def test_text_in_a_body_must_be_a_json_string(api_as, alice, deal, url, body, field):
    response = api_as(alice).post(url.format(deal=deal.pk), body, content_type="application/json")

    assert response.status_code == 400
    assert field in response.json()


def test_an_unassigned_lead_has_no_owner_name(api_as, maria):
    lead = LeadFactory(owner=None)

    body = api_as(maria).get(f"/api/leads/{lead.pk}/").json()

    assert body["owner"] is None
    assert body["owner_name"] is None
