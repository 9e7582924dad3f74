"""Schema-driven fuzzing: every API operation, fed inputs generated from its own schema.

Schemathesis reads the OpenAPI schema the app serves at /api/schema/ and calls each
operation in-process through the WSGI app (no network), signed in with an API token: as a
manager of a team with data (the visibility rules at work), and as an admin (every write
allowed). It sends the schema's examples and generated valid and invalid requests, and as
the admin also the requests its coverage phase builds for each parameter's boundaries and
invalid values, and sequences of calls that follow the links it infers between operations
(a created record's id into the calls that take it). Every check it has runs on each
answer: no server error; a documented status code, content type and headers; a body that
matches the documented schema; invalid input refused and valid input accepted (writes may
refuse an id no visible record has, with a 400); a method not offered answered 405 with
Allow; authentication that is not ignored; and, along a sequence, a created record that can
be read and a deleted one that no longer answers.

Bounded and derandomised (a fixed seed, a few examples per operation, no example database,
each sequence starting from the same data) so that it gives the same verdict on every run
of ``make test``, on SQLite and PostgreSQL.
"""

import copy
import json

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from django.test import Client
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

from accounts.services.tokens import issue_api_token
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
# requests per list: what it tests does not depend on the user, and it is most of the run
# time, so only the admin runs it. Sequences of calls have a test of their own.
WITHOUT_COVERAGE = """
    [phases.coverage]
    enabled = false
"""
WITHOUT_SEQUENCES = """
    [phases.stateful]
    enabled = false
"""
FAST = settings(deadline=None, suppress_health_check=list(HealthCheck))

# The document /api/schema/ serves, built once at collection (no database needed), so that
# each operation becomes a test of its own.
served_schema = json.loads(
    OpenApiJsonRenderer().render(SchemaGenerator().get_schema(request=None, public=True))
)
# The Authorization header of the user signed in for the current test (token_header).
signed_in: dict[str, str] = {}


class CurrentToken:
    """Schemathesis's hook for credentials, for sequences: the current test's token."""

    def get(self, case, context):
        return signed_in["Authorization"]

    def set(self, case, data, context):
        case.headers = {**(case.headers or {}), "Authorization": data}


def load(config: str) -> schemathesis.schemas.BaseSchema:
    loaded = schemathesis.openapi.from_dict(
        copy.deepcopy(served_schema), config=SchemathesisConfig.from_str(config)
    )
    loaded.app = application
    return loaded


as_manager = load(SETTINGS + WITHOUT_COVERAGE + WITHOUT_SEQUENCES)
as_admin = load(SETTINGS + WITHOUT_SEQUENCES)
# Per-operation tests get the token as a header when they call; a sequence asks for it as
# it goes, through an auth provider (asked only once a test has signed in).
# Without the writes of custom field definitions: the schema types each record's
# ``custom_fields`` by the definitions there are, so a sequence that defines a field
# changes the schema its later answers are checked against (this one was built with none).
admin_sequences = load(SETTINGS).exclude(
    path_regex="^/api/custom-fields/", method=["POST", "PUT", "PATCH", "DELETE"]
)
admin_sequences.auth(refresh_interval=None)(CurrentToken)


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
    signed_in.update(header)
    yield header
    signed_in.clear()


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
@FAST
def test_api_answers_a_manager_within_its_schema(case, username, token_header, in_test_transaction):
    response = case.call_and_validate(headers=token_header)

    assert response.status_code != 401  # signed in: a 401 would pass the checks unseen


@pytest.mark.parametrize("username", ["ada"])
@as_admin.parametrize()
@FAST
def test_api_answers_an_admin_within_its_schema_to_every_edge_case(
    case, username, token_header, in_test_transaction
):
    response = case.call_and_validate(headers=token_header)

    assert response.status_code != 401


@pytest.mark.parametrize("username", ["ada"])
def test_api_keeps_its_schema_along_sequences_of_an_admins_calls(
    username, token_header, in_test_transaction
):
    class FromTheSameData(admin_sequences.as_state_machine()):  # type: ignore[misc]
        # Each sequence starts from the fixtures' data: what one wrote would otherwise
        # change what the next can draw, which Hypothesis reports as flaky.
        def setup(self):
            self.savepoint = transaction.savepoint()

        def teardown(self):
            transaction.savepoint_rollback(self.savepoint)

        def after_call(self, response, case):
            super().after_call(response, case)  # records it for the checks along a sequence
            assert response.status_code != 401  # signed in through CurrentToken

    FromTheSameData.run(
        settings=settings(
            FAST,
            max_examples=40,
            stateful_step_count=8,
            derandomize=True,
            database=None,
        )
    )
