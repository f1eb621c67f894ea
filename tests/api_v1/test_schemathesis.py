"""Property-based fuzzing of every /api/v1 operation in /api/openapi.json with schemathesis, in-process against the
ASGI app, once with an operator token and once with a customer token: no 5xx, every response conforms to the
documented status codes, content types, headers and schemas."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from functions.api.app import create_app
from tests.api_v1.conftest import Token
from tests.api_v1.world import World

EXAMPLES_PER_OPERATION = 20
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]


def _fuzz(op: Any, name: str, headers: dict[str, str], requests: Counter[str], statuses: Counter[int]) -> None:
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=op.as_strategy())
    def run(case: Any) -> None:
        response = case.call(headers=headers)
        requests[name] += 1
        statuses[response.status_code] += 1
        case.validate_response(response, checks=CHECKS, headers=headers)

    run()


@pytest.mark.slow
def test_fuzz_v1_operations(world: World, auth: Token) -> None:
    app = create_app()
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", app)
    operations = [r.ok() for r in schema.get_all_operations()]
    operations = [op for op in operations if op.path.startswith("/api/v1/")]
    assert len(operations) >= 40
    callers = {
        "operator": auth("operator"),
        "admin": auth("admin"),
        "customer": auth("customer", person=world.a.person_id),
    }
    requests: Counter[str] = Counter()
    statuses: Counter[int] = Counter()
    failures: list[str] = []
    started = time.monotonic()
    for op in operations:
        for name, headers in callers.items():
            if name == "admin" and op.method.upper() == "GET":
                continue  # admins only add coverage on writes (api keys, tariffs)

            try:
                _fuzz(op, name, headers, requests, statuses)
            except Exception as error:
                failures.append(f"{op.method.upper()} {op.path} as {name}: {str(error).splitlines()[0][:300]}")
    elapsed = time.monotonic() - started
    total = sum(requests.values())
    print(
        f"\nschemathesis: {len(operations)} operations, {total} generated requests "
        f"({dict(requests)}) in {elapsed:.1f}s; statuses {dict(sorted(statuses.items()))}"
    )
    assert not failures, "\n".join(failures)
    assert all(code < 500 for code in statuses)
    assert statuses[200] + statuses[201] > 0  # the fuzzer reached real data, not only errors
