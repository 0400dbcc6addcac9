"""A team set up and run without SQL, end to end through the HTTP API on a fresh database: the first admin
from the command line; then an admin creates a team with its manager and its own cadence (A = 10 days),
imports 20 reps from a CSV with home addresses (geocoded by the configured geocoder, a local fake of
高德's), and each new rep's day plans from their home; a password is reset and changed; a rep leaves and
their accounts go to another rep in one step."""

import csv
import io
import uuid
from datetime import UTC, datetime, timedelta

from server.extensions import db
from server.models import Visit
from tests.fake_geocoders import configure, fake_amap, shanghai
from tests.records import add_visits, writing

PASSWORD = "first-admin-pass"
REPS = 20
NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)  # Tuesday 18:00 in Shanghai: the evening before the plan
PLAN_DAY = "2026-12-02"


def login(client, username, password):
    answer = client.post("/api/auth/login", json={"username": username, "password": password})
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def users_csv(homes):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["username", "display_name", "role", "team", "start_address", "locale"])
    for n, address in enumerate(homes, start=1):
        writer.writerow([f"east{n}", f"东区销售 {n}", "销售代表", "East", address, "中文"])
    return out.getvalue().encode("utf-8")


def test_a_team_is_set_up_and_run_without_sql(app, client, runner, clock):
    clock.set(NOW)
    # The first admin, from the command line on an empty database.
    made = runner.invoke(args=["create-user", "root", "--role", "admin", "--password-stdin"], input=PASSWORD + "\n")
    assert made.exit_code == 0, made.output
    admin = bearer(login(client, "root", PASSWORD)["access_token"])

    # A manager, then the team with its manager and its own cadence in one step.
    boss = client.post(
        "/api/users",
        json={"username": "east-boss", "display_name": "东区经理", "role": "manager", "password": "boss-pass-123"},
        headers=admin,
    )
    assert boss.status_code == 201, boss.get_json()
    team = client.post(
        "/api/teams",
        json={"name": "East", "manager_id": boss.get_json()["id"], "settings": {"cadence_days": {"A": 10}}},
        headers=admin,
    )
    assert team.status_code == 201, team.get_json()
    team = team.get_json()
    assert team["manager_id"] == boss.get_json()["id"]
    settings = client.get(f"/api/teams/{team['id']}/settings", headers=admin).get_json()
    assert settings["cadence_days"] == {"A": 10, "B": 14, "C": 30}
    history = client.get(f"/api/teams/{team['id']}/settings/history", headers=admin).get_json()["items"]
    assert [(h["changed_by_name"], [c["field"] for c in h["changes"]]) for h in history] == [("root", ["cadence_days"])]

    # 20 reps from a CSV with home addresses, geocoded through the configured geocoder (高德, faked here).
    homes = shanghai(REPS)
    with fake_amap(homes) as amap:
        configure(app, "amap", amap)
        upload = client.post(
            "/api/users/import",
            data={"file": (io.BytesIO(users_csv(list(homes))), "reps.csv")},
            headers=admin,
            content_type="multipart/form-data",
        )
        assert upload.status_code == 200, upload.get_json()
        report = upload.get_json()
        assert (report["rows"], report["created"], report["geocoded"], report["written"]) == (REPS, REPS, REPS, True)
        assert len(amap.requests("geocode")) == REPS
    rows = {row["username"]: row for row in report["users"]}
    assert all(row["plannable"] and row["temporary_password"] for row in rows.values())
    reps = {u["username"]: u for u in client.get("/api/users?role=rep&per_page=100", headers=admin).get_json()["items"]}
    assert set(reps) == {f"east{n}" for n in range(1, REPS + 1)}
    assert {u["team_id"] for u in reps.values()} == {team["id"]}
    for n, (lng, lat) in enumerate(homes.values(), start=1):
        # Stored WGS-84: the fake answered GCJ-02, as 高德 does.
        assert abs(reps[f"east{n}"]["start_lat"] - lat) < 1e-5 and abs(reps[f"east{n}"]["start_lng"] - lng) < 1e-5

    # Each new rep gets two accounts near home, and each one's day plans from there.
    accounts = {}
    for name, rep in reps.items():
        for k, cls in enumerate(("A", "B"), start=1):
            answer = client.post(
                "/api/accounts",
                json={
                    "name": f"{name} 客户 {k}",
                    "latitude": rep["start_lat"] + 0.004 * k,
                    "longitude": rep["start_lng"] + 0.003,
                    "account_class": cls,
                    "owner_id": rep["id"],
                },
                headers=admin,
            )
            assert answer.status_code == 201, answer.get_json()
            accounts.setdefault(name, []).append(answer.get_json()["id"])
    for name, rep in reps.items():
        plan = client.post("/api/routes/plan", json={"rep_id": rep["id"], "date": PLAN_DAY}, headers=admin)
        assert plan.status_code in (200, 201), (name, plan.get_json())
        assert {s["account_id"] for s in plan.get_json()["stops"]} == set(accounts[name]), name

    # The team's cadence is its own: an A account seen 8 days ago is not overdue at 10 days.
    with writing(app):
        account = uuid.UUID(accounts["east1"][0])
        add_visits(
            Visit(
                account_id=account,
                rep_id=uuid.UUID(reps["east1"]["id"]),
                purpose="First call",
                check_in_at=NOW - timedelta(8),
                check_out_at=NOW - timedelta(8) + timedelta(minutes=40),
            )
        )
        db.session.commit()
    seen = client.get(f"/api/accounts/{account}", headers=admin).get_json()
    assert (seen["cadence_days"], seen["overdue"]) == (10, False)

    # A forgotten password: reset by the admin, the temporary one must be changed first, then the new one works.
    east2 = reps["east2"]
    reset = client.post(f"/api/users/{east2['id']}/password-reset", headers=admin)
    assert reset.status_code == 200, reset.get_json()
    temporary = reset.get_json()["temporary_password"]
    session = login(client, "east2", temporary)
    assert session["user"]["must_change_password"] is True
    refused = client.get("/api/accounts", headers=bearer(session["access_token"]))
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "password_change_required"
    changed = client.post(
        "/api/auth/password",
        json={"old_password": temporary, "new_password": "east2-own-pass"},
        headers=bearer(session["access_token"]),
    )
    assert changed.status_code in (200, 204), changed.get_json()
    again = login(client, "east2", "east2-own-pass")
    assert again["user"]["must_change_password"] is False
    assert client.get("/api/accounts", headers=bearer(again["access_token"])).status_code == 200

    # A rep leaves: deactivated, and their accounts go to another rep of the team in one step.
    leaver, heir = reps["east20"], reps["east19"]
    gone = client.post(f"/api/users/{leaver['id']}/deactivate", json={"hand_over_to": heir["id"]}, headers=admin)
    assert gone.status_code == 200, gone.get_json()
    assert (gone.get_json()["accounts"], gone.get_json()["accounts_left"]) == (2, 0)
    for account_id in accounts["east20"]:
        assert client.get(f"/api/accounts/{account_id}", headers=admin).get_json()["owner_id"] == heir["id"]
    password = rows["east20"]["temporary_password"]
    assert client.post("/api/auth/login", json={"username": "east20", "password": password}).status_code == 401
    # The heir's next day plans with the accounts taken over.
    plan = client.post("/api/routes/plan", json={"rep_id": heir["id"], "date": PLAN_DAY}, headers=admin)
    assert {s["account_id"] for s in plan.get_json()["stops"]} == set(accounts["east19"] + accounts["east20"])
