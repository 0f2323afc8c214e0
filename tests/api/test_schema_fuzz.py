"""Schemathesis fuzzes every operation of the live OpenAPI schema (`GET /api/schema/`).

How an endpoint joins the fuzz: by being in the schema, nothing else. The schema is fetched from the
running app when the test starts and every operation in it becomes a subtest here; there is no list
of endpoints to keep in step, and none is excluded. (Optionally, a new kind of row added to
`fuzz_rows` lets its detail endpoints reach a real row as well.)

Each operation gets schemathesis' coverage phase (boundary and invalid values of every parameter and
field) and then `MAX_EXAMPLES` generated cases, valid and invalid, sent in-process to
`config.wsgi.application` with a valid `Authorization: Bearer <token>` of a fuzz user who owns a
research session with one draft file and an analysis session with one stored value (except in the cases that test a missing or malformed token).
Cases whose path parameters are valid often name those rows instead of generated ids, so detail
endpoints reach real rows, and validate their bodies, rather than only answering 404. Every request
runs in a savepoint rolled back afterwards: each case sees the same data (a generated DELETE does not
take the rows away from the cases after it).

Every response goes through all of schemathesis' checks, among them: no 5xx (`not_a_server_error`),
the status code is documented (`status_code_conformance`), so is the content type
(`content_type_conformance`), the body matches the documented schema (`response_schema_conformance`),
invalid input is rejected (`negative_data_rejection`), valid input is accepted
(`positive_data_acceptance`), a missing or bad token is refused (`ignored_auth`,
`missing_required_header`), undeclared methods answer 405 (`unsupported_method`).
"""

import os
import re

import hypothesis
import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections, transaction
from hypothesis import strategies as st
from schemathesis.config import SchemathesisConfig
from schemathesis.core.parameters import ParameterLocation

from config.wsgi import application
from partners import ingest, insights
from partners import services as partner_services
from partners.models import Partner
from sessions_app.models import AnalysisSession, DraftFile, ResearchSession
from sessions_app.storage import SessionStorage
from tests.conftest import token_for
from tests.organizations.rows import org_rows

MAX_EXAMPLES = 30  # generated cases per operation (the coverage phase adds its own, bounded ones)
# Under CI the cases are the same on every run, so a red build is reproducible with `CI=true bin/test
# tests/api`; elsewhere each run draws new ones (`--hypothesis-seed=N` repeats one).
DERANDOMIZE = os.environ.get("CI") == "true"

CONFIG = {
    # No PostgreSQL text holds U+0000, and the API's one JSON parser refuses it anywhere in a body
    # (docs/security.md): a schema cannot say so of free-form objects, so it is not generated here;
    # tests/hostile sends it to every operation instead.
    "generation": {"allow-x00": False},
    "checks": {
        # schemathesis' default list of rejections, plus 413: a body over the upload limit is refused
        # before its fields are read (documented on every operation by core.api.openapi).
        # schemathesis' default list of acceptances, plus 412: a conditional write (If-Match, If-None-Match)
        # whose condition does not hold is refused whatever its data, as 409 for a conflicting state.
        "positive_data_acceptance": {"expected-statuses": ["2xx", "3xx", "401", "403", "404", "409", "412", "429", "5xx"]},
        "negative_data_rejection": {
            "expected-statuses": ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429", "5xx"]
        },
    },
    "operations": [
        *(
            {
                # A cursor is opaque and sealed (core.api.pagination.seal_cursor): no generated string is
                # one this API gave out, so a schema-valid request with one is still a 400 invalid_cursor.
                "include-path": path,
                "include-method": "GET",
                "checks": {
                    "positive_data_acceptance": {"expected-statuses": ["2xx", "3xx", "400", "401", "403", "404", "409", "412", "429", "5xx"]},
                },
            }
            for path in ("/api/v1/audit/activity/", "/api/v1/partner/events", "/api/v1/chat/sessions/{session_pk}/messages/",
                         "/api/v1/privacy/telemetry", "/api/v1/privacy/file-events")
        ),
        {
            # An agent's batch is checked beyond its JSON Schema: a timestamp more than a day ahead, or
            # one the schema's date-time pattern lets through but no calendar has, is a 400.
            "include-path": "/api/v1/privacy/ingest",
            "include-method": "POST",
            "checks": {
                "positive_data_acceptance": {"expected-statuses": ["2xx", "3xx", "400", "401", "403", "404", "409", "412", "429", "5xx"]},
            },
        },
        {
            # A stored value is checked beyond its JSON Schema, which cannot say that a table's rows fit
            # their fields' types, nor forbid U+0000 at any depth of free JSON: such a value is a 400.
            "include-path": "/api/v1/analysis-sessions/{session_pk}/storage/{key}",
            "include-method": "PUT",
            "checks": {
                "positive_data_acceptance": {"expected-statuses": ["2xx", "3xx", "400", "401", "403", "404", "409", "412", "429", "5xx"]},
            },
        },
        *(
            {
                # A definition's step needs the parameters of its kind, and a webhook integration a URL:
                # OpenAPI 3.0 has no if/then to say so (the full JSON Schema is compiled server-side and
                # served at /api/v1/workflows/definition-schema), so a schema-valid body may be a 400.
                "include-path": path,
                "checks": {
                    "positive_data_acceptance": {"expected-statuses": ["2xx", "3xx", "400", "401", "403", "404", "409", "412", "429", "5xx"]},
                },
            }
            for path in ("/api/v1/workflows/", "/api/v1/workflows/{id}/", "/api/v1/integrations/", "/api/v1/integrations/{id}/")
        ),
        {
            # A billing event is signed over its exact body (Stripe-Signature, business.billing): no
            # generated request carries a valid signature, so a schema-valid one is still a 400.
            "include-path": "/api/v1/billing/webhook",
            "include-method": "POST",
            "checks": {
                "positive_data_acceptance": {"expected-statuses": ["2xx", "3xx", "400", "401", "403", "404", "409", "412", "429", "5xx"]},
            },
        },
    ],
}


@pytest.fixture
def in_test_transaction(db):
    """Requests sent straight to the WSGI app run inside the test's transaction, as with Django's
    test client: the request signals must not close the connection (and so the transaction) under it."""
    for signal in (signals.request_started, signals.request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (signals.request_started, signals.request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def fuzz_user(make_user):
    return make_user()


@pytest.fixture
def fuzz_rows(fuzz_user):
    """What the fuzz user owns, by the path prefix that reaches it (parent before child): a research
    session with a draft file; an analysis session with a stored value (its key)."""
    session = ResearchSession.objects.create(user=fuzz_user, title="Fuzzed session")
    draft = DraftFile.objects.create(session=session, file_name="draft.md", content="# Draft\n")
    analysis = AnalysisSession.objects.create(user=fuzz_user, name="Fuzzed analysis")
    SessionStorage(analysis).set("fuzzed", {"a": 1})
    organization, member, invitation = org_rows(fuzz_user)
    return {"/api/v1/research-sessions/": [session.pk, draft.pk], "/api/v1/analysis-sessions/": [analysis.pk, "fuzzed"],
            "/api/v1/organizations/{organization_id}/invitations/": [organization.pk, invitation.pk],
            "/api/v1/organizations/": [organization.pk, member.pk]}


@pytest.fixture
def fuzz_partner_key(fuzz_user):
    """The fuzz user is a partner too, with events and insights, and a valid API key for the
    operations that accept one (their schema lists the ApiKey scheme)."""
    partner = Partner.objects.create(user=fuzz_user, name="Fuzz partner", email="fuzz@example.com")
    _, key = partner_services.regenerate_key(partner)
    ingest.store(partner.pk, [{"event_type": "page_view", "data": {"path": "/"}, "source": "web", "version": "1"}])
    insights.generate(partner)
    return key


@pytest.fixture
def api_schema(in_test_transaction, fuzz_user, fuzz_rows, fuzz_partner_key):
    schema = schemathesis.openapi.from_wsgi(
        "/api/schema/",
        application,
        config=SchemathesisConfig.from_dict(CONFIG),
        headers={"Accept": "application/vnd.oai.openapi+json"},
    )
    token = token_for(fuzz_user)
    real_ids = [str(pk) for rows in fuzz_rows.values() for pk in rows]

    @schema.auth(refresh_interval=None)
    class Credentials:
        # Known to schemathesis as the auth, so the cases without credentials or with bad ones keep it
        # so. Operations that accept a partner's API key get the key, the others the bearer token.
        def get(self, case, context):
            return token

        def set(self, case, data, context):
            schemes = {name for requirement in case.operation.definition.raw.get("security", []) for name in requirement}
            credential = f"Api-Key {fuzz_partner_key}" if "ApiKey" in schemes else f"Bearer {data}"
            case.headers = {**(case.headers or {}), "Authorization": credential}

    def in_nesting_order(case):
        # A nested route names the parent before the child, as `fuzz_rows` lists them.
        rows = next((rows for prefix, rows in fuzz_rows.items() if case.operation.path.startswith(prefix)), [])
        return dict(zip(re.findall(r"{(\w+)}", case.operation.path), map(str, rows)))

    @schema.hook
    def map_case(context, case):
        # Coverage phase: each case whose path is not what it tests names the rows, so its body and
        # query reach the validation of a real row instead of stopping at 404.
        if _path_is_valid(case) and case.meta.phase.name == "coverage":
            case.path_parameters = {**case.path_parameters, **in_nesting_order(case)}
        return case

    @schema.hook
    def flatmap_case(context, case):
        # Fuzzing phase: the generated ids, the rows in nesting order, or any row per parameter.
        if not _path_is_valid(case) or case.meta.phase.name != "fuzzing":
            return st.just(case)
        mixed = st.fixed_dictionaries(
            {name: st.sampled_from([value, *real_ids]) for name, value in case.path_parameters.items()}
        )
        choices = st.one_of(st.just(case.path_parameters), st.just(in_nesting_order(case)), mixed)
        return choices.map(lambda chosen: _with_path_parameters(case, {**case.path_parameters, **chosen}))

    return schema


def _path_is_valid(case):
    """Path parameters generated valid (a real id in an invalid one would make the case valid)."""
    return bool(case.path_parameters) and case.meta is not None and not case.meta.is_negative_at(ParameterLocation.PATH)


def _with_path_parameters(case, path_parameters):
    case.path_parameters = path_parameters
    return case


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@hypothesis.settings(
    max_examples=MAX_EXAMPLES,
    derandomize=DERANDOMIZE,
    deadline=None,
    database=None,
    suppress_health_check=list(hypothesis.HealthCheck),
)
def test_api_conforms_to_its_schema(case):
    with transaction.atomic():
        case.call_and_validate()
        transaction.set_rollback(True)
