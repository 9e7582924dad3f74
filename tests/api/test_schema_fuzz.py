"""Schema-driven fuzzing: every API operation, fed inputs generated from its own schema.

Schemathesis reads the OpenAPI schema the app serves at /api/schema/ and calls each
operation in-process through the WSGI app (no network), signed in with an API token: as a
manager of a team with data (the visibility rules at work), and as an admin (every write
allowed). It sends the schema's examples and generated valid and invalid requests, and as
the admin also the requests its coverage phase builds for each parameter's boundaries and
invalid values. Every check it has that judges single responses runs on each answer: no
server error; a documented status code, content type and headers; a body that matches the
documented schema; invalid input refused and valid input accepted (writes may refuse an
id no visible record has, with a 400); a method not offered answered 405 with Allow; and
authentication that is not ignored. (The stateful checks, use_after_free and
ensure_resource_availability, need OpenAPI links, which the schema does not define.)

Bounded and derandomised (a fixed seed, a few examples per operation, no example database)
so that it gives the same verdict on every run of ``make test``, on SQLite and PostgreSQL.
"""

import copy
import json

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

from accounts.tokens import issue_api_token
from crm.wsgi import application
from tests.factories import ContactFactory, LeadFactory, OpportunityFactory, TaskFactory

SETTINGS = """
    seed = 20261123

    [generation]
    max-examples = 6
    deterministic = true
    database = "none"
    # The API token below signs in; generated cookies and headers would only probe the
    # session store and the token table with garbage.
    with-security-parameters = false

    [phases.stateful]
    enabled = false

    # A write names records by id (a company, a stage, an owner): an id in range that no
    # visible record has is refused with a 400 naming the field, which a schema cannot
    # express. Reads must accept every schema-valid request.
    [[operations]]
    include-method = ["POST", "PATCH", "DELETE"]
    checks.positive_data_acceptance.expected-statuses = [
        "2xx", "400", "401", "403", "404", "409"
    ]
"""
# The coverage phase sends each parameter's boundary and invalid values, a few hundred
# requests per list: what it tests is the same for every user, so only the admin runs it.
WITHOUT_COVERAGE = """
    [phases.coverage]
    enabled = false
"""

# The document /api/schema/ serves, built once at collection (no database needed), so that
# each operation becomes a test of its own.
served_schema = json.loads(
    OpenApiJsonRenderer().render(SchemaGenerator().get_schema(request=None, public=True))
)


def load(config: str) -> schemathesis.schemas.BaseSchema:
    loaded = schemathesis.openapi.from_dict(
        copy.deepcopy(served_schema), config=SchemathesisConfig.from_str(config)
    )
    loaded.app = application
    return loaded


as_manager = load(SETTINGS + WITHOUT_COVERAGE)
as_admin = load(SETTINGS)


@pytest.fixture
def token_header(request, settings, username, alice, charlie, sales):
    # localhost: what schemathesis calls the WSGI app as; testserver: Django's test client.
    settings.ALLOWED_HOSTS = ["localhost", "testserver"]
    for owner in (alice, charlie):
        deal = OpportunityFactory(owner=owner, stage=sales.qualification)
        ContactFactory(company=deal.company, owner=owner)
        TaskFactory(opportunity=deal)
        LeadFactory(owner=owner)
    user = request.getfixturevalue(username)
    header = {"Authorization": f"Bearer {issue_api_token(user=user, name='fuzz', by=user).key}"}
    # A refused token would make every answer a 401, which the schema allows: prove it works.
    assert Client().get("/api/users/me/", headers=header).json()["username"] == username
    return header


@pytest.fixture
def in_test_transaction():
    # As Django's test client does: a finished request must not close the connection, and
    # with it the test's open transaction (PostgreSQL).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.parametrize("username", ["maria"])
@as_manager.parametrize()
@settings(deadline=None, suppress_health_check=list(HealthCheck))
def test_api_answers_a_manager_within_its_schema(case, username, token_header, in_test_transaction):
    case.call_and_validate(headers=token_header)


@pytest.mark.parametrize("username", ["ada"])
@as_admin.parametrize()
@settings(deadline=None, suppress_health_check=list(HealthCheck))
def test_api_answers_an_admin_within_its_schema_to_every_edge_case(
    case, username, token_header, in_test_transaction
):
    case.call_and_validate(headers=token_header)
