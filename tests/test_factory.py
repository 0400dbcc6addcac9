import re

import pytest
from sqlalchemy import text

from server import create_app
from server.config import Config
from server.extensions import db
from tests.records import writing


def test_config_reads_environment(tmp_path):
    config = Config(
        env={"DATABASE_URL": "postgresql://u@h/db", "JWT_SECRET_KEY": "k" * 40, "JWT_ACCESS_MINUTES": "5"},
        instance_path=str(tmp_path),
    )
    assert config.SQLALCHEMY_DATABASE_URI == "postgresql+psycopg://u@h/db"
    assert config.JWT_SECRET_KEY == "k" * 40
    assert config.JWT_ACCESS_TOKEN_EXPIRES.total_seconds() == 300


def test_an_unknown_time_zone_stops_the_start_and_a_known_one_dates_a_teamless_users_day(tmp_path, app):
    from zoneinfo import ZoneInfo

    from server.models.users import team_zone

    with pytest.raises(ValueError, match="FIELDDAY_TIMEZONE='Mars/Base': not a time zone"):
        Config(env={"FIELDDAY_TIMEZONE": "Mars/Base", "JWT_SECRET_KEY": "k" * 40}, instance_path=str(tmp_path))
    app.config["DEFAULT_TIMEZONE"] = Config(
        env={"FIELDDAY_TIMEZONE": "Europe/Berlin", "JWT_SECRET_KEY": "k" * 40}, instance_path=str(tmp_path)
    ).DEFAULT_TIMEZONE
    with app.app_context():
        assert team_zone(None) == ZoneInfo("Europe/Berlin")


def test_default_database_is_sqlite_under_instance(tmp_path):
    config = Config(env={}, instance_path=str(tmp_path))
    assert config.SQLALCHEMY_DATABASE_URI == f"sqlite:///{tmp_path}/fieldday.sqlite3"
    # The generated signing key is kept, so tokens survive a restart.
    assert Config(env={}, instance_path=str(tmp_path)).JWT_SECRET_KEY == config.JWT_SECRET_KEY
    assert len(config.JWT_SECRET_KEY) == 64


def test_sqlite_runs_with_foreign_keys_and_wal(tmp_path):
    url = f"sqlite:///{tmp_path}/x.sqlite3"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "JWT_SECRET_KEY": "x" * 40})
    with app.app_context():
        assert db.session.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        db.session.remove()
        db.engine.dispose()


def test_health_reports_database(client):
    response = client.get("/api/health")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_client_settings_name_the_map_tiles_without_login(client, database_url, tmp_path):
    body = client.get("/api/client-settings").get_json()
    assert body["map_tile_url"] == "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    assert "OpenStreetMap" in body["map_tile_attribution"]
    assert (body["routing_detour"], body["routing_speed_kmh"]) == (1.35, 22.0)
    # A team's settings (cadence, check-in radius, visit presets) are not for anyone before login.
    assert not {"checkin_radius_m", "cadence_days", "phrases"} & set(body)
    assert body["tencent_map_key"] == ""  # no key: the app does not offer 腾讯地图
    config = Config(
        env={
            "MAP_TILE_URL": "https://tiles.example.cn/{z}/{x}/{y}.png",
            "MAP_TILE_ATTRIBUTION": "Own tiles",
            "ROUTING_SPEED_KMH": "30",
            "TENCENT_MAP_KEY": "company-key",
            "CURRENCY": "HKD",
            "PHOTO_MAX_BYTES": "5000000",
            "GEOCODER": "nominatim",
        },
        instance_path=str(tmp_path),
    )
    own = create_app({**vars(config), "SQLALCHEMY_DATABASE_URI": database_url, "JWT_SECRET_KEY": "x" * 40})
    answer = own.test_client().get("/api/client-settings").get_json()
    assert answer == {
        "map_tile_url": "https://tiles.example.cn/{z}/{x}/{y}.png",
        "map_tile_attribution": "Own tiles",
        "routing_detour": 1.35,
        "routing_speed_kmh": 30.0,
        "tencent_map_key": "company-key",
        "vocab": answer["vocab"],
        "words": answer["words"],
        "currency": "HKD",
        "photo_max_bytes": 5000000,
        "geocoding": True,
    }
    assert body["currency"] == "CNY" and body["geocoding"] is False  # no geocoder: no address fields


def test_the_phone_gets_stage_names_and_visit_phrases_in_both_languages(client, world):
    """Stage letters are shown with the method's names (before login), and the visit's purpose and outcome offer
    the team's presets, the method's usual phrases by default (after login): both come from the server, in
    English and zh-CN, so the phone keeps no copy of the list."""
    body = client.get("/api/client-settings").get_json()
    stages = body["words"]["stage"]
    assert set(stages) == set(body["vocab"]["stage"])  # the order is the vocabulary's
    assert (stages["S"], stages["O"]) == ({"en": "Suspect", "zh-CN": "潜在客户"}, {"en": "Order", "zh-CN": "订单执行"})
    team = client.get("/api/settings", headers=world.headers("r1")).get_json()
    purposes = team["visit_purposes"]
    assert [p["en"] for p in purposes] == ["First call", "Demo", "Proposal", "Follow-up", "Service", "Replacement"]
    assert [p["zh-CN"] for p in purposes][:2] == ["初次拜访", "产品演示"]
    assert all(p["en"] and p["zh-CN"] for p in team["visit_outcomes"])


def test_the_phone_gets_the_methods_vocabulary_in_its_order(client):
    """The app keeps no copy of the method's codes: the stages, the day's categories and the time split come
    from the server, in the method's order."""
    from server.models import vocab

    codes = client.get("/api/client-settings").get_json()["vocab"]
    assert codes["stage"] == ["S", "P", "A", "D", "C", "O"]
    assert codes["activity_category"] == ["face_to_face", "travel", "admin", "meeting"]
    assert codes["time_split"] == ["face_to_face", "travel", "admin", "meeting", "unrecorded"]
    assert codes["loss_reason"] == list(vocab.LOSS_REASONS) and codes["account_class"] == ["A", "B", "C"]
    assert set(codes) == {
        "stage",
        "account_class",
        "org_type",
        "employee_band",
        "purchase_role",
        "ownership",
        "colour",
        "kind",
        "loss_reason",
        "activity_category",
        "time_split",
    }


def test_unknown_api_path_is_json_404(client):
    response = client.get("/api/nothing-here")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_wrong_method_is_json_405(client):
    response = client.delete("/api/health")
    assert response.status_code == 405
    assert response.get_json()["error"]["code"] == "method_not_allowed"


def test_openapi_documents_every_endpoint(app, client):
    spec = client.get("/api/openapi.json").get_json()
    documented = {
        (path, method.upper()) for path, item in spec["paths"].items() for method in item if method != "parameters"
    }
    api_rules = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/") or rule.rule in ("/api/openapi.json", "/api/docs"):
            continue
        path = re.sub(r"<(?:\w+(?:\([^)]*\))?:)?(\w+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            api_rules.add((path, method))
    assert api_rules and api_rules <= documented
    for name in (
        "Account",
        "AccountPatch",
        "Visit",
        "Activity",
        "Appointment",
        "Contact",
        "Device",
        "Opportunity",
        "Login",
        "Tokens",
    ):
        assert name in spec["components"]["schemas"], name
    visit = spec["components"]["schemas"]["Visit"]
    assert {"purpose", "account_id"} <= set(visit["required"])


def test_docs_page_lists_endpoints(client):
    response = client.get("/api/docs")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "/api/accounts/{record_id}" in page and "/api/auth/login" in page


@pytest.mark.calendar
def test_large_json_is_gzipped_for_clients_that_accept_it(client, world):
    import gzip
    import json

    headers = {**world.headers("admin"), "Accept-Encoding": "gzip, deflate"}
    response = client.get("/api/sync/pull", headers=headers)
    assert response.headers["Content-Encoding"] == "gzip"
    page = json.loads(gzip.decompress(response.get_data()))
    assert page["changes"]
    plain = client.get("/api/sync/pull", headers=world.headers("admin"))
    assert "Content-Encoding" not in plain.headers and plain.get_json()["changes"]


def test_security_headers_on_the_shell_and_the_api(client):
    with client.get("/") as shell:
        csp = shell.headers["Content-Security-Policy"]
        shell_headers = shell.headers
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "'unsafe-eval'" not in csp
    assert "https://tile.openstreetmap.org" in csp  # the tile servers of the sources a team may pick (server/tiles.py)
    for headers in (shell_headers, client.get("/api/health").headers):
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "DENY" and headers["Referrer-Policy"] == "same-origin"
    assert client.get("/api/health").headers["Cache-Control"] == "no-store"
    assert (
        client.post("/api/auth/login", json={"username": "x", "password": "y"}).headers["Cache-Control"] == "no-store"
    )


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/sw.js",
        "/js/app.js",
        "/js/views/visit.js",
        "/css/app.css",
        "/manifest.webmanifest",
        "/vendor/leaflet/leaflet.js",
        "/no-such-file.js",
        "/api/health",
        "/api/openapi.json",
        "/api/docs",
        "/api/no-such-thing",
    ],
)
def test_hardening_headers_on_every_answer(client, path):
    """The shell, the service worker, modules, static files and API answers (errors too) allow the
    position and the camera to the app's own pages only and deny the other device features, keep other
    sites' windows out of the app's browsing context group and other sites from embedding its files."""
    with client.get(path) as response:
        headers = response.headers
    features = dict(item.strip().split("=", 1) for item in headers["Permissions-Policy"].split(","))
    assert features["geolocation"] == "(self)" and features["camera"] == "(self)"
    for denied in ("microphone", "payment", "usb", "serial", "hid", "midi", "display-capture"):
        assert features[denied] == "()", denied
    assert {name for name, allowed in features.items() if allowed != "()"} == {"geolocation", "camera"}
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert headers["Cross-Origin-Resource-Policy"] == "same-origin"
    # No cross-origin isolation: it would refuse the map tiles, which come from another origin.
    assert "Cross-Origin-Embedder-Policy" not in headers


@pytest.mark.parametrize("name", ["JWT_ACCESS_MINUTES", "JWT_REFRESH_DAYS"])
def test_token_lifetimes_that_would_never_expire_stop_the_start_up(tmp_path, name):
    with pytest.raises(ValueError, match=name):
        Config(env={name: "0"}, instance_path=str(tmp_path))


def test_the_openapi_document_describes_the_real_api(client):
    spec = client.get("/api/openapi.json").get_json()
    strings = []

    def walk(node):
        if isinstance(node, dict):
            strings.extend(v for k, v in node.items() if k in ("minimum", "maximum") and isinstance(v, str))
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(spec)
    assert strings == []  # bounds are numbers a validator can read
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert spec["security"] == [{"bearerAuth": []}]
    assert spec["paths"]["/api/auth/login"]["post"]["security"] == []
    error = spec["components"]["schemas"]["Error"]
    assert list(error["properties"]) == ["error"]
    body = spec["components"]["schemas"]["ErrorBody"]["properties"]
    assert {"code", "message", "fields"} <= set(body)
    amount = spec["components"]["schemas"]["Opportunity"]["properties"]["amount"]
    # Answered as a decimal string; taken as that or as a number within the same bounds.
    text, number = amount["oneOf"]
    assert text["type"] == "string" and re.fullmatch(text["pattern"].strip("^$"), "99999999999.99")
    assert not re.search(text["pattern"], "-1") and not re.search(text["pattern"], "100000000001")
    assert number == {"type": "number", "minimum": 0.0, "maximum": 1e11}
    # A pattern's end is the value's end read by Python's re too (its `$` also matches before a final newline).
    day = spec["components"]["schemas"]["Device"]["properties"]["installed_on"]["pattern"]
    assert re.search(day, "2026-11-05") and not re.search(day, "2026-11-05\n")


def test_the_change_log_is_hooked_in_by_the_factory_once_however_many_apps(app, world, database_url):
    """changelog.init_app hooks the flush once: a second and third app on the same extension add nothing,
    so one write is logged once."""
    from sqlalchemy import func, select

    from server.models import Account, Change

    for _ in range(2):
        create_app({"SQLALCHEMY_DATABASE_URI": database_url, "JWT_SECRET_KEY": "x" * 40})
    with writing(app):
        account = Account(
            name="Logged once", account_class="B", owner_id=world.users["r1"], latitude=31.2, longitude=121.4
        )
        db.session.add(account)
        db.session.commit()
        rows = db.session.scalar(select(func.count()).select_from(Change).where(Change.entity_id == account.id))
    assert rows == 1
