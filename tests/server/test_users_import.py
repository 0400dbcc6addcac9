"""Users from a CSV (a report per row, dry run then commit, addresses through the geocoder), positions set
by address, and the temporary password that must be changed before anything else."""

import io
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlparse

import pytest
from sqlalchemy import select

from server.extensions import db
from server.models import Account, User
from tests.conftest import PASSWORD
from tests.fake_http import json_server
from tests.records import writing

# The fake geocoder's places (WGS-84, as Nominatim answers).
PLACES = {
    "上海市徐汇区漕溪北路1号": ("31.1955", "121.4365"),
    "上海市静安区南京西路1000号": ("31.2286", "121.4553"),
    "上海市浦东新区世纪大道100号": ("31.2397", "121.5076"),
}


@pytest.fixture
def geocoder(app):
    asked = []

    def answer(path):
        query = parse_qs(urlparse(path).query).get("q", [""])[0]
        asked.append(query)
        if query not in PLACES:
            return 200, []
        lat, lon = PLACES[query]
        return 200, [
            {"lat": lat, "lon": lon, "display_name": query, "place_id": 1, "boundingbox": [lat, lat, lon, lon]}
        ]

    with json_server(answer) as url:
        app.config.update(GEOCODER="nominatim", GEOCODER_URL=url, GEOCODER_MIN_DELAY_S=0)
        yield asked


def send(client, headers, text, **query):
    query = {key: str(value).lower() for key, value in query.items()}
    return client.post(
        "/api/users/import",
        query_string=query,
        data={"file": (io.BytesIO(text.encode("utf-8")), "users.csv")},
        headers=headers,
        content_type="multipart/form-data",
    )


def by_username(app, *names):
    with writing(app):
        found = db.session.scalars(select(User).where(User.username.in_(names))).all()
        db.session.expunge_all()
        return {user.username: user for user in found}


HEADER = "username,display_name,role,team,start_address,start_lat,start_lng,first_appointment_time,locale\n"


def test_a_dry_run_reports_each_row_and_the_commit_creates_plannable_reps(app, client, world, geocoder, clock):
    clock.set(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))  # the dry run's "not found" is cached, read by the clock
    text = HEADER + (
        "rep10,Rep Ten,rep,North,上海市徐汇区漕溪北路1号,,,09:00,en\n"
        "rep11,李四,销售代表,North,,31.2,121.4,8:30,中文\n"
        "rep12,Rep Twelve,rep,North,火星路1号,,,,\n"
    )
    dry = send(client, world.headers("admin"), text, dry_run=True)
    assert dry.status_code == 200, dry.get_json()
    report = dry.get_json()
    assert (report["rows"], report["created"], report["written"], report["dry_run"]) == (3, 3, False, True)
    assert [u["outcome"] for u in report["users"]] == ["created"] * 3
    assert all(u["temporary_password"] is None for u in report["users"])  # nothing to log in with yet
    assert [(w["row"], w["field"]) for w in report["warnings"]] == [(4, "start_address")]
    assert report["warnings"][0]["codes"] == [
        {"code": "import_start_not_geocoded", "params": {"reason": "not_found", "provider": "", "detail": ""}}
    ]
    assert by_username(app, "rep10", "rep11", "rep12") == {}  # a dry run writes nothing

    done = send(client, world.headers("admin"), text)
    assert done.status_code == 200, done.get_json()
    report = done.get_json()
    assert (report["created"], report["geocoded"], report["written"]) == (3, 1, True)
    rows = {u["username"]: u for u in report["users"]}
    assert rows["rep10"]["geocoded"] and rows["rep10"]["plannable"]
    assert rows["rep11"]["plannable"] and not rows["rep11"]["geocoded"]
    assert not rows["rep12"]["plannable"]
    users = by_username(app, "rep10", "rep11", "rep12")
    north = by_username(app, "m1")["m1"].team_id
    assert (users["rep10"].start_lat, users["rep10"].start_lng) == (31.1955, 121.4365)
    assert users["rep10"].start_label == "上海市徐汇区漕溪北路1号"
    assert str(users["rep10"].first_appointment_time) == "09:00:00" and users["rep10"].locale == "en"
    assert (users["rep11"].role, users["rep11"].locale, str(users["rep11"].first_appointment_time)) == (
        "rep",
        "zh-CN",
        "08:30:00",
    )
    assert {u.team_id for u in users.values()} == {north}
    assert all(u.must_change_password for u in users.values())
    # Asked once: the dry run's answer is kept in the lasting cache, and the commit reads it from there.
    assert geocoder.count("上海市徐汇区漕溪北路1号") == 1

    # The temporary password logs in, and the new rep's day plans from the geocoded home.
    login = client.post("/api/auth/login", json={"username": "rep10", "password": rows["rep10"]["temporary_password"]})
    assert login.status_code == 200 and login.get_json()["user"]["must_change_password"] is True
    with writing(app):
        db.session.add(Account(name="First stop", latitude=31.20, longitude=121.44, owner_id=users["rep10"].id))
        db.session.commit()
    clock.set(datetime(2026, 12, 1, 18, 0, tzinfo=UTC))
    plan = client.post(
        "/api/routes/plan", json={"rep_id": str(users["rep10"].id), "date": "2026-12-02"}, headers=world.headers("m1")
    )
    assert plan.status_code in (200, 201), plan.get_json()
    assert [s["account_id"] for s in plan.get_json()["stops"]]

    # The same file again changes nothing (every row is found by username, nothing differs).
    again = send(client, world.headers("admin"), text).get_json()
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 3)


def test_a_failing_row_writes_nothing_and_names_row_and_field(app, client, world, geocoder):
    text = HEADER + (
        "rep20,Fine,rep,North,,31.2,121.4,09:00,en\n"
        "bad name,Spaces,rep,North,,31.2,121.4,,\n"
        "rep22,Where,rep,Nowhere,,31.2,121.4,,\n"
        "rep23,Half,rep,North,,31.2,,,\n"
        "rep24,Late,rep,North,,31.2,121.4,25:00,fr\n"
        "rep20,Twice,rep,North,,31.2,121.4,,\n"
        "r3,Taken,rep,South,,31.2,121.4,,\n"
    )
    refused = send(client, world.headers("admin"), text)
    assert refused.status_code == 422
    report = refused.get_json()["error"]["report"]
    problems = {(e["row"], e["field"]) for e in report["errors"]}
    assert {
        (3, "username"),
        (4, "team"),
        (5, "start_lat"),
        (6, "first_appointment_time"),
        (6, "locale"),
        (7, "username"),
    } <= problems
    codes = {(e["row"], e["field"]): e["codes"][0]["code"] for e in report["errors"]}
    assert codes[(3, "username")] == "username_characters"
    assert codes[(4, "team")] == "import_no_team"
    assert codes[(5, "start_lat")] == "position_pair"
    assert codes[(7, "username")] == "import_same_row"
    assert report["written"] is False and all(u["outcome"] == "skipped" for u in report["users"])
    assert by_username(app, "rep20") == {}  # the good row waits for the others
    # r3 is South's: the admin administers them, so the row updates; the rest still failed.
    assert (8, "username") not in problems


def test_a_manager_imports_reps_of_their_own_team_only(app, client, world, geocoder):
    mine = send(client, world.headers("m1"), "username,role,start_lat,start_lng\nrep30,rep,31.2,121.4\n")
    assert mine.status_code == 200 and mine.get_json()["created"] == 1
    assert by_username(app, "rep30")["rep30"].team_id == by_username(app, "m1")["m1"].team_id  # their team by default
    text = (
        "username,role,team,start_lat,start_lng\n"
        "boss2,manager,North,31.2,121.4\n"
        "rep31,rep,South,31.2,121.4\n"
        "r3,rep,,31.2,121.4\n"
    )
    refused = send(client, world.headers("m1"), text).get_json()["error"]["report"]
    codes = {(e["row"], e["field"]): e["codes"][0]["code"] for e in refused["errors"]}
    assert codes == {(2, "role"): "admins_only", (3, "team"): "not_your_team", (4, "username"): "already_exists"}
    assert send(client, world.headers("r1"), text).status_code == 403


def test_a_file_without_the_required_columns_or_not_text(client, world):
    missing = send(client, world.headers("admin"), "display_name,team\nX,North\n")
    assert missing.status_code == 422
    assert missing.get_json()["error"]["report"]["errors"][0]["codes"][0]["code"] == "import_missing_columns"
    binary = client.post(
        "/api/users/import",
        data={"file": (io.BytesIO(b"\xff\xfe\x00\x00garbage\x81\x82"), "users.csv")},
        headers=world.headers("admin"),
        content_type="multipart/form-data",
    )
    assert binary.status_code == 422
    nothing = client.post("/api/users/import", headers=world.headers("admin"), content_type="multipart/form-data")
    assert nothing.status_code == 422 and "file" in nothing.get_json()["error"]["fields"]
    csv = "username,role,team\nnewrep,rep,North\n"
    for extra in ({"note": "hello"}, {"other": (io.BytesIO(b"x"), "other.csv")}):
        unknown = client.post(
            "/api/users/import",
            query_string={"dry_run": "true"},
            data={"file": (io.BytesIO(csv.encode()), "users.csv"), **extra},
            headers=world.headers("admin"),
            content_type="multipart/form-data",
        )
        assert unknown.status_code == 422
        assert unknown.get_json()["error"]["fields"] == {name: ["Unknown field."] for name in extra}
    assert send(client, world.headers("admin"), csv, dry_run=True).status_code == 200


def test_start_and_end_set_by_address_or_refused_per_field(app, client, world, geocoder):
    rep = world.users["r1"]
    moved = client.patch(
        f"/api/users/{rep}",
        json={"start_address": "上海市静安区南京西路1000号", "end_address": "上海市浦东新区世纪大道100号"},
        headers=world.headers("m1"),
    )
    assert moved.status_code == 200, moved.get_json()
    body = moved.get_json()
    assert (body["start_lat"], body["start_lng"], body["start_label"]) == (
        31.2286,
        121.4553,
        "上海市静安区南京西路1000号",
    )
    assert (body["end_lat"], body["end_lng"]) == (31.2397, 121.5076)
    unknown = client.patch(f"/api/users/{rep}", json={"start_address": "火星路1号"}, headers=world.headers("m1"))
    assert unknown.status_code == 422
    assert unknown.get_json()["error"]["field_codes"]["start_address"] == [
        {"code": "not_geocoded", "params": {"reason": "not_found", "provider": "", "detail": ""}}
    ]
    app.config.update(GEOCODER="")
    off = client.patch(
        f"/api/users/{rep}", json={"start_address": "上海市静安区南京西路1000号"}, headers=world.headers("m1")
    )
    assert off.status_code == 422 and "start_address" in off.get_json()["error"]["fields"]
    # Another team's rep is not found for a manager, address or not.
    other = client.patch(
        f"/api/users/{world.users['r3']}",
        json={"start_address": "上海市静安区南京西路1000号"},
        headers=world.headers("m1"),
    )
    assert other.status_code == 404


def test_until_a_reset_password_is_changed_every_call_but_auth_is_refused(app, client, world, clock):
    clock.set(datetime(2026, 12, 1, 10, 0, tzinfo=UTC))  # the account list says days since contact
    reset = client.post(
        f"/api/users/{world.users['r1']}/password-reset",
        json={"temporary_password": "temporary-1"},
        headers=world.headers("m1"),
    )
    assert reset.status_code == 200
    token = client.post("/api/auth/login", json={"username": "r1", "password": "temporary-1"}).get_json()[
        "access_token"
    ]
    bearer = {"Authorization": f"Bearer {token}"}
    for method, path in (("get", "/api/accounts"), ("get", "/api/sync/pull"), ("get", "/api/visits")):
        refused = getattr(client, method)(path, headers=bearer)
        assert refused.status_code == 403, path
        assert refused.get_json()["error"]["code"] == "password_change_required"
    assert client.get("/api/auth/me", headers=bearer).status_code == 200  # who am I still answers
    changed = client.post(
        "/api/auth/password", json={"old_password": "temporary-1", "new_password": "my-own-password"}, headers=bearer
    )
    assert changed.status_code == 200
    assert client.get("/api/accounts", headers=bearer).status_code == 200
    # Anyone changes their own password (no reset needed), and the old one stops working.
    own = client.post("/api/auth/login", json={"username": "r2", "password": PASSWORD}).get_json()["access_token"]
    assert (
        client.post(
            "/api/auth/password",
            json={"old_password": PASSWORD, "new_password": "r2-new-password"},
            headers={"Authorization": f"Bearer {own}"},
        ).status_code
        == 200
    )
    assert client.post("/api/auth/login", json={"username": "r2", "password": PASSWORD}).status_code == 401


def test_the_document_lists_the_import_and_the_forced_change(client):
    spec = client.get("/api/openapi.json").get_json()
    operation = spec["paths"]["/api/users/import"]["post"]
    assert "multipart/form-data" in operation["requestBody"]["content"]
    assert {"200", "403", "422"} <= set(operation["responses"])
    assert "password_change_required" in spec["info"]["description"]
    edit = spec["components"]["schemas"]["UserEdit"]["properties"]
    assert {"start_address", "end_address"} <= set(edit)


def test_the_command_imports_through_the_same_service_with_the_same_report(
    app, runner, world, geocoder, tmp_path, clock
):
    clock.set(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))  # the dry run's "not found" is cached, read by the clock
    path = tmp_path / "users.csv"
    path.write_text(
        HEADER
        + "rep20,Rep Twenty,rep,North,上海市徐汇区漕溪北路1号,,,09:00,en\n"
        + "rep21,Rep 21,rep,North,火星路1号,,,,\n",
        encoding="utf-8",
    )
    dry = runner.invoke(args=["import-users", str(path), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "row 2: rep20: created\n" in dry.output and "nothing written" in dry.output
    assert by_username(app, "rep20", "rep21") == {}

    done = runner.invoke(args=["import-users", str(path)])
    assert done.exit_code == 0, done.output
    assert "2 rows: 2 created, 0 updated, 0 unchanged, 0 skipped, 1 geocoded; written" in done.output
    assert "row 3: rep21: created (no start position: cannot be planned)" in done.output
    assert "import_start_not_geocoded" not in done.output and "row 3: start_address:" in done.output
    password = next(line for line in done.output.splitlines() if line.startswith("row 2: rep20:")).rsplit(" ", 1)[1]
    users = by_username(app, "rep20", "rep21")
    assert (users["rep20"].start_lat, users["rep20"].start_lng) == (31.1955, 121.4365)
    assert users["rep20"].team_id == by_username(app, "m1")["m1"].team_id and users["rep20"].must_change_password
    login = app.test_client().post("/api/auth/login", json={"username": "rep20", "password": password})
    assert login.status_code == 200

    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "rep22,Rep,chief,North,,,,,\n", encoding="utf-8")
    refused = runner.invoke(args=["import-users", str(bad)])
    assert refused.exit_code == 1 and "row 2: role:" in refused.output
    assert by_username(app, "rep22") == {}


def test_a_username_differing_only_in_case_is_the_rows_error(app, client, world):
    """ "R1" is r1's name: the row neither creates a second user nor updates r1 (who keeps their own name), and two
    rows naming one user in two cases are one record twice."""
    text = HEADER + (
        "R1,Twin,rep,North,,31.2,121.4,,\n"
        "rep20,Rep Twenty,rep,North,,31.2,121.4,,\n"
        "REP20,Again,rep,North,,31.2,121.4,,\n"
    )
    answer = send(client, world.headers("admin"), text)
    assert answer.status_code == 422, answer.get_json()
    report = answer.get_json()["error"]["report"]
    assert [(e["row"], e["field"]) for e in report["errors"]] == [(2, "username"), (4, "username")]
    assert report["errors"][0]["codes"] == [{"code": "already_exists", "params": {}}]
    assert by_username(app, "R1", "rep20", "REP20") == {}
    assert by_username(app, "r1")["r1"].display_name != "Twin"
