"""Schemathesis's engine (what `schemathesis run` runs) over the app's own OpenAPI document, through HTTP
to a live server as an integrator's client would: every check and every phase (examples, coverage,
fuzzing, stateful), as one caller."""

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import events, from_schema
from schemathesis.engine.statistic import Statistic

PHASES = ("examples", "coverage", "fuzzing", "stateful")
MAX_DAYS = 400  # server/reports/scope.py


def keep_the_period_rule(today):
    """A `map_case` hook: the reports' and exports' period rule, which the document states in words (JSON
    Schema cannot relate two parameters), applied to the requests meant to be valid: `to` not before
    `from`, at most 400 days, and `from` alone within the last 400 days. Invalid requests keep theirs."""

    def hook(_context, case):
        meta, query = case.meta, case.query
        if not case.path.startswith(("/api/reports/", "/api/exports/")) or not isinstance(query, dict):
            return case
        if meta is None or not meta.generation.mode.is_positive:
            return case
        try:
            start = date.fromisoformat(query["from"]) if "from" in query else None
            end = date.fromisoformat(query["to"]) if "to" in query else None
        except (TypeError, ValueError):
            return case
        if start is not None and end is None and not 0 <= (today - start).days < MAX_DAYS:
            query["from"] = (today - timedelta(days=(today - start).days % MAX_DAYS)).isoformat()
        if start is not None and end is not None:
            start, end = min(start, end), max(start, end)
            end = min(end, start + timedelta(days=MAX_DAYS - 1))
            query["from"], query["to"] = start.isoformat(), end.isoformat()
        return case

    return hook


def keep_the_rules_json_schema_cannot_say(today):
    """A `map_case` hook: the rules the document states in words because JSON Schema cannot (one value
    against another in the same array, or against the server's clock), applied to the requests meant to
    be valid, as the period rule is: a push's mutations in increasing seq order, each seq once; a plan of
    today or a later day; a machine not installed after today; an opportunity not opened more than 24 h
    ahead."""
    period = keep_the_period_rule(today)

    def hook(context, case):
        case = period(context, case)
        meta, body = case.meta, case.body
        if meta is None or not meta.generation.mode.is_positive or not isinstance(body, dict):
            return case
        mutations = body.get("mutations")
        if case.path == "/api/sync/push" and isinstance(mutations, list):
            by_seq = {}
            for mutation in mutations:
                if isinstance(mutation, dict) and isinstance(mutation.get("seq"), int):
                    by_seq.setdefault(mutation["seq"], mutation)
            body["mutations"] = [by_seq[seq] for seq in sorted(by_seq)]
        if case.path == "/api/routes/plan" and isinstance(body.get("date"), str) and body["date"] < today.isoformat():
            body["date"] = today.isoformat()  # a past day is not planned
        if isinstance(body.get("installed_on"), str) and body["installed_on"] > today.isoformat():
            body["installed_on"] = today.isoformat()
        # Midnight UTC of the business day: never more than 24 h after the server's clock, whatever its zone.
        midnight = datetime.combine(today, time(0), UTC)
        if isinstance(body.get("opened_at"), str) and _instant(body["opened_at"]) > midnight:
            body["opened_at"] = midnight.isoformat()
        return case

    return hook


def _instant(text):
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return datetime.min.replace(tzinfo=UTC)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@dataclass
class Outcome:
    """One caller's run: how many requests each phase sent and every distinct failure."""

    requests: Counter = field(default_factory=Counter)
    statuses: Counter = field(default_factory=Counter)  # how many answers of each status code
    failures: list = field(default_factory=list)  # "ST108 GET /api/... : title"
    errors: list = field(default_factory=list)  # the engine's own errors (a schema it could not use)
    set_aside: int = 0  # valid requests refused by a rule between fields or records (broke_a_record_rule)

    @property
    def codes(self):
        return Counter(line.split(" ", 1)[0] for line in self.failures)


# The fields a 422 names when a request, valid field by field, breaks a rule between fields or records,
# which the document states in words and JSON Schema cannot: an end after its start, an opportunity's
# stage and status agreeing, a reason for a cancelled visit, the lunch window's order, and every id in a
# body naming a record that exists and that the caller may reach (a generated id never does); a plan's
# start time against its date (after 19:00 that day is too late).
RECORD_RULE_FIELDS = frozenset(
    {
        "start",
        *("ended_at", "ends_at", "check_out_at", "lunch_latest", "lunch_earliest"),
        *("stage", "status", "loss_reason", "cancel_reason"),
        *("account_id", "contact_id", "device_id", "opportunity_id", "visit_id", "appointment_id"),
        *("owner_id", "rep_id", "manager_id", "team_id", "accompanied_by", "hand_over_to", "accounts"),
        "accept",  # a re-plan's accept sends back a preview's signed token, which no document knows
        "old_password",  # a password change names the caller's current password, which no document knows
        "rows",  # an import's CSV: its columns and values are in the operation's words, the file is binary
    }
)


def named_fields(messages, parent=None):
    """The fields an error's `fields` names at its leaves: a nested field by its own name, an item of a
    list by the list's ({"focus": {"0": {"account_id": [...]}}} names account_id, {"focus": {"0": [...]}}
    focus)."""
    named = set()
    for key, value in messages.items():
        name = parent if key.isdigit() and parent else key
        named |= named_fields(value, name) if isinstance(value, dict) else {name}
    return named


def broke_a_record_rule(_context, failure, _case, response):
    """A `filter_failure` hook: keep every failure but a valid request's 422 whose fields are all of
    RECORD_RULE_FIELDS (any other 422 of a valid request, a bound or a form, still fails the run)."""
    if failure.code != "ST202" or response.status_code != 422:
        return True
    try:
        named = named_fields(response.json()["error"]["fields"])
    except (ValueError, KeyError, TypeError, AttributeError):
        return True
    return not (named and named <= RECORD_RULE_FIELDS)


def run(url, headers, *, max_examples, today, logout_headers=None, seed=1, phases=PHASES, max_steps=None, only=None):
    """Run the engine against the server at `url` as the caller `headers` names; its Outcome."""
    config = {
        "seed": seed,
        "cache": {"enabled": False},  # each run from the document alone, nothing carried over from the last
        "headers": headers,
        "generation": {"max-examples": max_examples, "mode": "all", "deterministic": True},
        "phases": {name: {"enabled": name in phases} for name in PHASES},
    }
    if logout_headers:
        # A logout revokes the token it is sent with: it gets a token of its own, or every request after
        # the first logout would be a 401.
        config["operations"] = [{"include-path": "/api/auth/logout", "headers": logout_headers}]
    if max_steps:
        config["phases"]["stateful"]["max-steps"] = max_steps
    schema = schemathesis.openapi.from_url(f"{url}/api/openapi.json", config=SchemathesisConfig.from_dict(config))
    schema.hook("map_case")(keep_the_rules_json_schema_cannot_say(today))
    schema.hook("filter_failure")(broke_a_record_rule)
    if only:
        schema = schema.include(path_regex=only)
    outcome, statistic = Outcome(), Statistic()
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            answers = [i.response for i in event.recorder.interactions.values() if i.response is not None]
            outcome.requests[event.phase.value] += len(answers)
            outcome.statuses.update(answer.status_code for answer in answers)
            statistic.on_scenario_finished(event.recorder)
        elif isinstance(event, events.NonFatalError):
            outcome.errors.append(f"{event.label}: {event.info.title} {event.info.message}")
        elif isinstance(event, events.FatalError):
            raise event.exception
        elif isinstance(event, events.EngineFinished) and event.failures:
            statistic.record_run_check_failures(event.failures, label="after the run")
    outcome.set_aside = statistic.filtered_failures
    for label, groups in statistic.failures.items():
        for group in groups.values():
            response = group.response
            status = response.status_code if response is not None else "-"
            body = response.content[:300].decode("utf-8", "replace") if response is not None else ""
            request = (
                f"{response.request.method} {response.request.url} {(response.request.body or b'')[:300]!r}"
                if response is not None
                else ""
            )
            for failure in group.failures:
                outcome.failures.append(
                    f"{failure.code} {label} -> {status}: {failure.title}: {failure.message}\n    {request}\n    {body}"
                )
    return outcome
