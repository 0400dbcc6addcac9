"""Every field message carries a code the app shows in zh-CN or English; every code has words in both."""

import re
from pathlib import Path

import pytest

from server import errors
from server.messages import CODES, GEO_REASON_CODES, TEMPLATES, geo_reason, message_code
from tests.transfer.test_import_export import HEADER_ZH, _upload

ROOT = Path(__file__).resolve().parents[2]


def catalogue():
    def keys(language):
        folder = ROOT / "pwa" / "js" / "i18n"  # each catalogue in two parts: the first screen's words, the rest
        text = "".join((folder / f"{language}{part}.js").read_text(encoding="utf-8") for part in ("", ".more"))
        return set(re.findall(r'"([a-z][\w.-]*)":', text))

    return {"en": keys("en"), "zh-CN": keys("zh-CN")}


@pytest.mark.parametrize(
    "body,field,code,params",
    [
        ({}, "name", "required", {}),
        ({"name": 42}, "name", "not_string", {}),
        ({"name": "x" * 201}, "name", "length_between", {"min": "1", "max": "200"}),
        ({"name": "x", "latitude": 91}, "latitude", "range_between", {"min": "-90", "max": "90"}),
        ({"name": "x", "latitude": "north"}, "latitude", "not_number", {}),
        ({"name": "x", "account_class": "D"}, "account_class", "one_of", {"choices": "A, B, C"}),
        ({"name": "x", "id": "not-a-uuid"}, "id", "not_uuid", {}),
        ({"name": "x\u0000"}, "name", "bad_character", {}),
        ({"name": "x", "colour": "red"}, "colour", "unknown_field", {}),
    ],
)
def test_a_refused_field_carries_its_code_and_parameters(client, world, body, field, code, params):
    response = client.post("/api/accounts", json=body, headers=world.headers("r1"))
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert set(error["field_codes"]) == set(error["fields"])  # the same shape as the messages
    assert len(error["field_codes"][field]) == len(error["fields"][field])
    assert {"code": code, "params": params} in error["field_codes"][field], error


def test_a_record_out_of_reach_is_refused_with_a_code(client, world):
    """The refusals of another territory's or team's records name their field with a code, so the app words them
    in zh-CN too (they used to come with code null and showed in English)."""
    contact = client.post(
        "/api/contacts", json={"account_id": str(world.accounts["r3"]), "name": "x"}, headers=world.headers("r1")
    )
    assert contact.status_code == 404
    assert contact.get_json()["error"]["field_codes"]["account_id"] == [{"code": "not_your_account", "params": {}}]
    comment = client.put(
        "/api/reports/daily/comment",
        json={"rep_id": str(world.users["r1"]), "date": "2026-11-10", "comment": "x"},
        headers=world.headers("m2"),
    )
    assert comment.status_code == 404
    assert comment.get_json()["error"]["field_codes"]["rep_id"] == [{"code": "not_your_rep", "params": {}}]


def test_every_field_message_written_in_the_server_has_a_code():
    """Each message the server puts under a field (["…"] in its code, the sync rules' too) is one the codes know."""
    written = {
        message
        for folder in ("server", "sync")
        for path in (ROOT / folder).rglob("*.py")
        for message in re.findall(r'\[\s*"([^"{}]+\.)"\s*\]', path.read_text(encoding="utf-8"))
    }
    written |= {
        re.sub(r"\{[^}]*\}", "7", message)  # a message with figures in it: each figure as a number
        for folder in ("server", "sync")
        for path in (ROOT / folder).rglob("*.py")
        for message in re.findall(r'\[\s*f"([A-Z][^"]+\.)"\s*\]', path.read_text(encoding="utf-8"))
    }
    assert len(written) > 50
    uncoded = sorted(m for m in written if message_code(m)["code"] is None)
    assert not uncoded, uncoded


def test_each_message_is_written_once_in_the_templates():
    """A message listed twice is matched by its first entry only: a second code for the same words is never sent."""
    texts = [text for _code, text in TEMPLATES]
    assert sorted({t for t in texts if texts.count(t) > 1}) == []


def test_the_codes_of_nested_messages_keep_their_shape(client, world):
    response = client.post(
        "/api/sync/push", json={"client_id": "x", "mutations": [{"entity": 5}]}, headers=world.headers("r1")
    )
    assert response.status_code == 422
    codes = response.get_json()["error"]["field_codes"]
    assert codes["client_id"] == [{"code": "not_uuid", "params": {}}]
    assert codes["mutations"]["0"]["entity"] == [{"code": "not_string", "params": {}}]
    assert codes["mutations"]["0"]["op"] == [{"code": "required", "params": {}}]
    pins = client.post(
        "/api/routes/plan",
        json={"date": "2026-12-02", "pins": [{"account_id": 5, "at": "x"}]},
        headers=world.headers("r1"),
    ).get_json()["error"]["field_codes"]["pins"]["0"]
    assert pins == {"account_id": [{"code": "not_uuid", "params": {}}], "at": [{"code": "not_time", "params": {}}]}


def test_an_error_without_fields_has_no_codes_to_show(client, world):
    response = client.get("/api/accounts/00000000-0000-0000-0000-000000000000", headers=world.headers("r1"))
    assert response.status_code == 404 and "field_codes" not in response.get_json()["error"]


def test_a_message_without_a_code_says_so():
    assert message_code("Something no template knows.") == {"code": None, "params": {}}
    assert message_code("Must be greater than or equal to 0.") == {"code": "at_least", "params": {"min": "0"}}


def test_the_import_report_gives_each_problem_its_codes(client, world):
    content = (HEADER_ZH + "K8,坏行,某路,91,121.4,浦东,A,r1,\nK9,无人,某路,31.1,121.4,浦东,A,nobody,\n").encode()
    report = _upload(client, world, "m1", content, "?dry_run=true").get_json()
    problems = {(p["row"], p["field"]): p for p in report["errors"]}
    assert problems[(2, "latitude")]["codes"] == [{"code": "range_between", "params": {"min": "-90", "max": "90"}}]
    assert problems[(3, "owner")]["codes"] == [{"code": "import_no_user", "params": {"user": "'nobody'"}}]


def test_every_message_code_has_words_in_both_languages():
    for language, keys in catalogue().items():
        missing = [c for c in CODES if f"msg.{c}" not in keys]
        assert not missing, f"{language} lacks msg.* for {missing}"


def test_every_error_code_the_server_sends_has_words_in_both_languages():
    sources = [p.read_text(encoding="utf-8") for d in ("server", "sync") for p in (ROOT / d).rglob("*.py")]
    sent = set(errors.CODES.values()) | {c for s in sources for c in re.findall(r'\bcode="([a-z_]+)"', s)}
    for language, keys in catalogue().items():
        missing = sorted(c for c in sent if f"error.code.{c}" not in keys)
        assert not missing, f"{language} lacks error.code.* for {missing}"


def test_every_geocoder_reason_has_words_in_both_languages():
    for language, keys in catalogue().items():
        missing = [c for c in GEO_REASON_CODES if f"geo.reason.{c}" not in keys]
        assert not missing and "geo.reason_detail" in keys, f"{language} lacks geo.reason.* for {missing}"


@pytest.mark.parametrize(
    "code, given",
    [
        ("not_found", {}),
        ("no_address", {}),
        ("no_geocoder", {}),
        ("rate_limited", {"provider": "高德 (AMap)", "detail": "CUQPS_HAS_EXCEEDED_THE_LIMIT (10019)"}),
        ("quota", {"provider": "百度 (Baidu)", "detail": "Quota Error."}),
        ("key_refused", {"provider": "高德 (AMap)", "detail": "INVALID_USER_KEY (10001)"}),
        ("timed_out", {}),
        ("unavailable", {}),
        ("failed", {"detail": "GeocoderServiceError"}),
    ],
)
def test_a_geocoders_reason_reads_back_as_its_code_with_the_providers_words_apart(code, given):
    reason = geo_reason(code, **given)
    params = {"reason": code, "provider": given.get("provider", ""), "detail": given.get("detail", "")}
    assert message_code(f"Not geocoded ({reason}).") == {"code": "not_geocoded", "params": params}
    start = f"Not geocoded ({reason}): imported without a start position, not plannable."
    assert message_code(start) == {"code": "import_start_not_geocoded", "params": params}


def test_a_reason_no_template_knows_is_a_failure_with_its_text_as_detail():
    assert message_code("Not geocoded (something new).")["params"] == {
        "reason": "failed",
        "provider": "",
        "detail": "something new",
    }
