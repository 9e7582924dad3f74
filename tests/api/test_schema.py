"""The OpenAPI schema: complete, valid, warning-free; the docs page under the strict CSP."""

import pytest
from django.core.management import call_command
from django.urls import reverse
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

from crm.security import DEFAULT_POLICY

OPERATIONS = ("get", "post", "patch", "put", "delete")


@pytest.fixture(scope="module")
def schema():
    GENERATOR_STATS.reset()
    generated = SchemaGenerator().get_schema(request=None, public=True)
    warnings = dict(GENERATOR_STATS._warn_cache), dict(GENERATOR_STATS._error_cache)
    return generated, warnings


def operations(schema):
    for path, item in schema["paths"].items():
        for method in OPERATIONS:
            if method in item:
                yield path, method, item[method]


def test_schema_is_valid_openapi_without_warnings(schema):
    generated, (warnings, errors) = schema

    validate_schema(generated)
    assert warnings == {}
    assert errors == {}


def test_spectacular_command_validates_and_fails_on_warnings(tmp_path):
    # The check CI and contributors run: raises SystemExit/SchemaGenerationError on any warning.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "s.yml"))

    assert (tmp_path / "s.yml").read_text().startswith("openapi: 3")


def test_every_operation_has_a_summary_description_and_examples(schema):
    generated, _warnings = schema
    missing = []
    for path, method, operation in operations(generated):
        if not operation.get("summary"):
            missing.append(f"{method} {path}: summary")
        success = next(code for code in operation["responses"] if code.startswith("2"))
        content = operation["responses"][success].get("content", {})
        if content and not any("examples" in media for media in content.values()):
            missing.append(f"{method} {path}: example")

    assert missing == []


def test_every_operation_documents_its_errors(schema):
    generated, _warnings = schema
    missing = []
    for path, method, operation in operations(generated):
        documented = set(operation["responses"])
        expected = {"401", "403", "429"}
        if "{id}" in path:
            expected.add("404")
        has_query = any(param["in"] == "query" for param in operation.get("parameters", []))
        if "requestBody" in operation or has_query:
            expected.add("400")  # a body or a filter to refuse
        if "requestBody" in operation:
            expected |= {"413", "415"}  # too large, not JSON
        if any(param["name"] in {"cursor", "page"} for param in operation.get("parameters", [])):
            expected.add("404")  # a cursor or page the list did not give out
        if path.endswith(("/move/", "/won/", "/lost/")):
            expected.add("409")
        if not expected <= documented:
            missing.append(f"{method} {path}: {sorted(expected - documented)}")

    assert missing == []


def test_list_404s_say_they_are_about_the_cursor_or_page(schema):
    generated, _warnings = schema

    for path in ("/api/opportunities/", "/api/stages/"):
        described = generated["paths"][path]["get"]["responses"]["404"]["description"]
        assert "Invalid cursor" in described, path


def test_request_bodies_are_documented_as_json_only(schema):
    generated, _warnings = schema

    for path, _method, operation in operations(generated):
        if "requestBody" in operation:
            assert list(operation["requestBody"]["content"]) == ["application/json"], path


def test_ids_and_page_sizes_are_documented_with_the_range_they_accept(schema):
    generated, _warnings = schema
    components = generated["components"]["schemas"]
    listing = {p["name"]: p for p in generated["paths"]["/api/opportunities/"]["get"]["parameters"]}

    assert components["OpportunityCreateRequest"]["properties"]["company"]["minimum"] == 1
    assert components["TaskRequest"]["properties"]["opportunity"]["maximum"] == 2**63 - 1
    assert listing["owner"]["schema"]["minimum"] == 1
    assert listing["page_size"]["schema"]["minimum"] == 1
    assert listing["ordering"]["schema"]["items"]["enum"][:2] == ["id", "-id"]
    assert all(parameter["allowEmptyValue"] for parameter in listing.values())


def test_free_text_parameters_are_documented_without_nul_characters(api_as, alice, schema):
    generated, _warnings = schema
    listing = {p["name"]: p for p in generated["paths"]["/api/contacts/"]["get"]["parameters"]}

    assert listing["email"]["schema"]["pattern"] == "^[^\\u0000]*$"
    assert "pattern" not in listing["created_after"]["schema"]  # a date-time has its format
    # What the pattern documents: Django's form fields refuse a NUL character.
    assert api_as(alice).get("/api/contacts/?email=a%00b").status_code == 400


def test_schema_lists_every_resource(schema):
    generated, _warnings = schema

    assert {
        "/api/opportunities/{id}/move/",
        "/api/opportunities/{id}/won/",
        "/api/opportunities/{id}/lost/",
        "/api/leads/{id}/convert/",
        "/api/tasks/{id}/complete/",
        "/api/tasks/{id}/reopen/",
        "/api/companies/",
        "/api/contacts/",
        "/api/touchpoints/",
        "/api/pipelines/",
        "/api/stages/",
        "/api/quotas/",
        "/api/notifications/",
        "/api/users/",
        "/api/forecast/",
        "/api/metrics/",
    } <= set(generated["paths"])


def test_read_only_fields_are_not_in_request_bodies(schema):
    generated, _warnings = schema
    components = generated["components"]["schemas"]

    deal_request = components["PatchedOpportunityRequest"]["properties"]
    for name in ("version", "position", "status", "stage_entered_at", "created_by", "stage"):
        assert name not in deal_request
    assert "version" in components["Opportunity"]["properties"]


def test_schema_endpoint_serves_openapi_json(client, db):
    response = client.get(reverse("api:schema"), HTTP_ACCEPT="application/json")

    assert response.status_code == 200
    assert response.json()["openapi"].startswith("3.")


def test_docs_page_keeps_the_strict_policy(client, db):
    response = client.get(reverse("api:docs"))

    content = response.content.decode()
    assert response.status_code == 200
    assert response["Content-Security-Policy"] == DEFAULT_POLICY
    assert "<script>" not in content
    assert "style=" not in content
    assert 'src="/static/js/api-docs.js"' in content
    assert "swagger-ui-bundle.js" in content
    assert f'data-schema-url="{reverse("api:schema")}"' in content
