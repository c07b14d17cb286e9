"""Property-based API test: schemathesis generates requests from the server's own OpenAPI schema
(in-process, authenticated, bounded) and checks that no answer is a 5xx, that every response
matches its declared schema, and that every status code is one the schema declares."""
from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from tests.server.helpers import PROTO, create

schemathesis.serializer.alias("application/offset+octet-stream", "application/octet-stream")
schemathesis.serializer.alias("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "application/octet-stream")
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance]
EXAMPLES = 30


def test_api_conforms_to_its_schema(api, world):
    create(api, world["c1"])  # something to find
    schema = schemathesis.openapi.from_asgi("/openapi.json", api.client.app)
    headers = {**PROTO, "Authorization": f"Bearer {world['c1']}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def check(case):
            case.call_and_validate(headers=headers, checks=CHECKS)

        check()
