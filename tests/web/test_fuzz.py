"""A bounded schemathesis fuzz of the API from its OpenAPI schema: no input makes it answer 500."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from wheretorun.web.app import create_app
from wheretorun.web.guard import Limits

# schemathesis's ASGI client calls itself "testserver": allowed as a server started with
# `--allow-host testserver` would allow it
schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(Limits.for_host("testserver")))


@schema.parametrize()
@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_no_input_makes_the_api_fail(case) -> None:  # type: ignore[no-untyped-def]
    case.call_and_validate(checks=[not_a_server_error])
