"""Schemathesis over the app's own OpenAPI document, in-process through WSGI, as a rep and as a manager:
every documented operation gets generated requests, and every answer must be no server error and match
what the document says (status code, content type, body schema)."""
import os
from collections import Counter

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.core.failures import FailureGroup
from schemathesis.checks import (content_type_conformance, not_a_server_error, response_schema_conformance,
                                 status_code_conformance)

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "4"))  # per operation and caller; `make fuzz` runs more
CHECKS = (not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance)


def run_schemathesis(app, headers, examples=EXAMPLES):
    """(requests sent, failures as "METHOD path (caller): message") over every documented operation."""
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    sent, failures = Counter(), []
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @settings(max_examples=examples, deadline=None, derandomize=True, database=None,
                      suppress_health_check=list(HealthCheck))
            @given(case=operation.as_strategy(generation_mode=mode))
            def run(case):
                for who, caller in headers.items():
                    # The in-process client does not inflate gzip, which the app sends for large JSON to
                    # clients that accept it (tested in test_factory): ask for the plain body.
                    response = case.call(headers={**caller, "Accept-Encoding": "identity"})
                    sent[who] += 1
                    try:
                        case.validate_response(response, checks=CHECKS)
                    except FailureGroup as group:  # each failure is listed, not only the first
                        for failure in group.exceptions:
                            failures.append(f"{operation.label} ({who}, {mode.value}) {response.status_code}: "
                                            f"{getattr(failure, 'title', '')} {str(failure).splitlines()[:2]}")

            try:
                run()
            except Unsatisfiable:  # an operation without inputs has no invalid request to make
                assert mode is GenerationMode.NEGATIVE
    return sent, failures


def test_every_operation_answers_as_documented(app, world):
    sent, failures = run_schemathesis(app, {"rep": world.headers("r1"), "manager": world.headers("m1")})
    print(f"\nschemathesis: {sum(sent.values())} requests ({dict(sent)}), {len(failures)} failures")
    assert sum(sent.values()) > 100
    assert not failures, "\n".join(sorted(set(failures))[:40])
