"""Schemathesis against the API's own OpenAPI document (issue 9): generated requests, valid
and invalid, on every operation, must never get a 500 nor an answer the document does not
describe (status code, content type, body schema). Bounded so it runs in well under a minute."""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.desk_helpers import draft, operator, small_season
from tests.test_api import _token

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES_PER_OPERATION = 12


def test_generated_requests_get_documented_answers_and_no_500(app: Any, make: Any) -> None:
    data = small_season(make)
    version = draft(data["season"])
    operator()
    token = _token()
    # Real ids half of the time, so that generated bodies reach the operations behind them.
    known = {"slug": data["season"].slug, "request_id": data["plain"].id, "version_id": version.id}
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 14  # every route of the blueprint (test_api checks they agree)
    # The planning job would start the optimiser in a thread: its body is checked by
    # tests/test_api.py; here only what refuses it before anything runs is generated.
    # Schemathesis calls the app through werkzeug's test client, which does not decode a
    # compressed body as an HTTP client would: ask for none.
    headers = {"Authorization": f"Bearer {token}", "Accept-Encoding": "identity"}
    failures: list[str] = []
    calls = 0
    for operation in operations:
        # Data that fits the document and data that does not (which must get a documented 4xx).
        real = {name: value for name, value in known.items() if "{" + name + "}" in operation.path}
        strategy = st.one_of(*(operation.as_strategy(mode, path_parameters=ids or None)
                               for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
                               for ids in ({}, real)))
        if operation.method.upper() == "POST" and operation.path.endswith("/plan"):
            strategy = strategy.filter(_refused_plan)

        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=strategy)
        def run(case: Any) -> None:
            nonlocal calls
            calls += 1
            try:
                case.call_and_validate(headers=headers, checks=CHECKS)
            except Exception as e:
                failures.append(f"{case.operation.method.upper()} {case.operation.path}: {e}"[:2000])
                raise

        try:
            run()
        except Exception:  # noqa: BLE001, S112 - the failure is in `failures`, reported below
            continue
    assert failures == [], "\n\n".join(failures)
    assert calls >= len(operations) * EXAMPLES_PER_OPERATION // 2


def _refused_plan(case: Any) -> bool:
    """Bodies the plan endpoint refuses before starting a job (a job would outlive the test)."""
    body = case.body
    if not isinstance(body, dict):
        return True  # no JSON object: 400
    if set(body) - {"time_limit"}:
        return True  # unknown field: 400
    if "time_limit" not in body:
        return False  # the default time limit: a job would start
    limit = body["time_limit"]
    return isinstance(limit, bool) or not isinstance(limit, int | float)
