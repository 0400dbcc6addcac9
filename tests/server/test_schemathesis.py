"""Schemathesis over the app's own OpenAPI document, through HTTP to a live server, as a rep and as a
manager: every check (server errors, status codes, content types, response schemas and headers, valid
requests accepted, invalid ones refused, methods and Allow headers, authentication, use after delete) and
every phase (examples, coverage, fuzzing, stateful). `make test` runs a bounded run; `make fuzz` the full
one (SCHEMATHESIS_EXAMPLES cases per operation, every coverage case)."""

import os
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import LiveServer
from tests.fake_geocoders import configure, fake_amap
from tests.server import openapi_fuzz

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "2"))  # per operation and phase; `make fuzz` runs more
# `make test` leaves the coverage phase (every boundary and every wrong type of every parameter: most of the
# full run's requests) to `make fuzz`, which sets SCHEMATHESIS_PHASES to all four.
PHASES = tuple(os.environ.get("SCHEMATHESIS_PHASES", "examples,fuzzing,stateful").split(","))


@pytest.mark.parametrize("who", ["r1", "m1"], ids=["rep", "manager"])
def test_every_operation_answers_as_documented(app, world, clock, who):
    clock.set("2026-11-05T10:00:00+08:00")  # the world's records are of early November 2026
    app.config["JWT_ACCESS_TOKEN_EXPIRES"] = timedelta(hours=3)  # a full run outlasts the usual 15 minutes
    headers, logout_headers = world.headers(who), world.headers(who)
    server = LiveServer(app)
    try:
        with fake_amap() as geocoder:
            configure(app, "amap", geocoder)
            outcome = openapi_fuzz.run(
                server.url,
                headers,
                logout_headers=logout_headers,
                max_examples=EXAMPLES,
                phases=PHASES,
                today=clock.today(ZoneInfo("Asia/Shanghai")),
            )
    finally:
        server.stop()
    database = app.config["SQLALCHEMY_DATABASE_URI"].split(":", 1)[0]
    print(
        f"\nschemathesis as {who} on {database}: {sum(outcome.requests.values())} requests "
        f"({dict(outcome.requests)}), {len(outcome.failures)} failures {dict(outcome.codes)}; "
        f"{outcome.set_aside} refusals by a rule between fields or records set aside; "
        f"answers by status {dict(sorted(outcome.statuses.items()))}"
    )
    assert not outcome.errors and not outcome.failures, "\n".join(outcome.errors[:20] + sorted(outcome.failures)[:40])
    assert outcome.requests["fuzzing"] > 100
    # The caller stayed signed in: the 401s are the requests sent without a valid token on purpose.
    assert outcome.statuses[401] * 2 < sum(outcome.requests.values()), dict(outcome.statuses)
