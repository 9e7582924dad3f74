"""Schema-driven fuzzing: every API operation, fed inputs generated from its own schema.

Schemathesis reads the OpenAPI schema the app serves at /api/schema/ and calls each
operation in-process through the WSGI app with examples Hypothesis derives from it, signed
in with an API token: as a manager of a team with data (the visibility rules at work), and
as an admin (every write allowed). Any 5xx, or a response that does not match the schema,
fails. Bounded (a few examples per operation, derandomised) so that it runs in
``make test`` on SQLite and PostgreSQL alike.
"""

import json

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from accounts.tokens import issue_api_token
from crm.wsgi import application
from tests.api import hypothesis_compat
from tests.factories import ContactFactory, LeadFactory, OpportunityFactory, TaskFactory

EXAMPLES_PER_OPERATION = 8

hypothesis_compat.install()
# Schemathesis 3.x warns about its own arguments ahead of 4.0; nothing here to act on.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:schemathesis.*")

# The document /api/schema/ serves, built once at collection (no database needed), so that
# each operation becomes a test of its own.
served_schema = json.loads(
    OpenApiJsonRenderer().render(SchemaGenerator().get_schema(request=None, public=True))
)
schema = schemathesis.from_dict(served_schema, app=application)


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


@pytest.mark.parametrize("username", ["maria", "ada"])
@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_api_answers_every_generated_request_within_its_schema(
    case, username, token_header, in_test_transaction
):
    # The token signs in; the session cookies generated for the cookie scheme would only
    # probe Django's session store, whose keys reach the database unchecked (a NUL byte in
    # one is a server error on PostgreSQL for every page, not just the API).
    case.cookies = None
    response = case.call(headers=token_header)

    case.validate_response(response, checks=(not_a_server_error, response_schema_conformance))
