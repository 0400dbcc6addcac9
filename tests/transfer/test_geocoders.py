"""高德 and 百度 geocoding against local fakes that answer as each provider documents: imports store
WGS-84 points, the cache in the database spares a second import any request, quota and key errors are
per-row messages that do not lose the import, and reverse geocoding fills a new prospect's address."""

import io
import socket
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from server import clock as server_clock
from server.datum import distance_m, gcj02_to_wgs84, wgs84_to_bd09, wgs84_to_gcj02
from server.extensions import db
from server.models import Account, GeocodeCache
from server.transfer.geocoding import STOPPING, GeocodeError, from_config, normalise_address
from tests.fake_geocoders import (
    AMAP_CODES,
    AMAP_REFERENCE,
    BAIDU_CODES,
    BAIDU_REFERENCE,
    configure,
    fake_amap,
    fake_baidu,
    shanghai,
)
from tests.records import writing
from tests.sync.phone import Phone

HEADER = "客户编号,客户名称,地址,负责人\n"


def accounts_file(addresses, prefix="G"):
    return HEADER + "".join(f"{prefix}{i},客户{i},{a},r1\n" for i, a in enumerate(addresses, 1))


def run_import(runner, tmp_path, text, args=()):
    path = tmp_path / "accounts.csv"
    path.write_text(text, encoding="utf-8")
    return runner.invoke(args=["import-accounts", str(path), *args])


def stored(app, prefix="G"):
    with writing(app):
        rows = db.session.scalars(select(Account).where(Account.external_key.like(f"{prefix}%"))).all()
        return {a.address: (a.longitude, a.latitude) if a.latitude is not None else None for a in rows}


def cache_rows(app, provider):
    with app.app_context():
        return db.session.scalars(select(GeocodeCache).where(GeocodeCache.provider == provider)).all()


def test_amap_import_stores_wgs84_in_batches_of_ten_and_a_second_import_asks_nothing(
    app, runner, world, tmp_path, clock
):
    clock.set("2026-11-18T10:00:00+08:00")  # a cached "not found" is read against the clock
    known = shanghai(12)
    addresses = [*known, AMAP_REFERENCE[0], "火星市不存在路1号"]
    with fake_amap(known) as fake:
        configure(app, "amap", fake)
        result = run_import(runner, tmp_path, accounts_file(addresses))
        assert result.exit_code == 0, result.output
        assert "13 geocoded" in result.output and "14 created" in result.output
        assert "row 15: address: Not geocoded (address not found)" in result.output
        batches = fake.requests("/v3/geocode/geo")
        # 14 addresses: one request of 10 and one of 4, each with the key and batch=true.
        assert [len(b["address"].split("|")) for b in batches] == [10, 4]
        assert all(b["batch"] == "true" and b["key"] == fake.key for b in batches)

        points = stored(app)
        for address, truth in known.items():
            assert distance_m(points[address], truth) < 0.5, address
        # The published pair: 高德's GCJ-02 answer comes back to eviltransform's WGS-84 point.
        assert distance_m(points[AMAP_REFERENCE[0]], AMAP_REFERENCE[1]) < 0.5
        assert points["火星市不存在路1号"] is None

        cached = {row.address: row for row in cache_rows(app, "amap")}
        assert len(cached) == 14
        # The address 高德 does not know is kept as "not found": no coordinate, nothing made up.
        unknown = cached[normalise_address("火星市不存在路1号")]
        assert (unknown.latitude, unknown.longitude, unknown.raw_latitude, unknown.raw_longitude) == (None,) * 4
        reference = cached[normalise_address(AMAP_REFERENCE[0])]
        assert (reference.datum, f"{reference.raw_longitude:.6f},{reference.raw_latitude:.6f}") == (
            "gcj02",
            AMAP_REFERENCE[2],
        )
        assert (reference.longitude, reference.latitude) == pytest.approx(
            gcj02_to_wgs84(reference.raw_longitude, reference.raw_latitude), abs=1e-7
        )

        # Again, the same addresses (spaced and in full-width digits: the same once normalised) as
        # new accounts: nothing is asked, the cache answers.
        before = len(fake.asked)
        variant = [a.replace("上海市徐汇区", "上海市 徐汇区 ").replace("1", "１") for a in list(known)[:12]]
        again = run_import(runner, tmp_path, accounts_file([*variant, AMAP_REFERENCE[0]], prefix="H"))
        assert again.exit_code == 0, again.output
        assert "13 geocoded" in again.output and len(fake.asked) == before
        second = stored(app, prefix="H")
        assert distance_m(second[AMAP_REFERENCE[0]], AMAP_REFERENCE[1]) < 0.5

        # The address not found is answered by the cache too: reported again, the provider not asked.
        again = run_import(runner, tmp_path, accounts_file(["火星市不存在路1号"], prefix="M"))
        assert "row 2: address: Not geocoded (address not found)" in again.output and len(fake.asked) == before


def test_amap_daily_quota_is_a_clear_message_per_row_and_the_import_is_kept(app, runner, world, tmp_path):
    known = shanghai(13)
    with fake_amap(known, quota_after=1) as fake:
        configure(app, "amap", fake)
        result = run_import(runner, tmp_path, accounts_file(list(known)))
        assert result.exit_code == 0, result.output
        assert "13 created" in result.output and "10 geocoded" in result.output
        for row in (12, 13, 14):
            assert (
                f"row {row}: address: Not geocoded (高德 (AMap) daily quota used up (DAILY_QUERY_OVER_LIMIT (10003)); "
                "import the file again once it resets)" in result.output
            )
        # The refused batch is not retried and no row asks on its own once the quota is out.
        assert len(fake.asked) == 2
        points = stored(app)
        assert sum(p is not None for p in points.values()) == 10 and len(points) == 13
        assert len(cache_rows(app, "amap")) == 10

    # Through the API: the same per-row message with its code, the rows written.
    with fake_amap(known, quota_after=0) as fake:
        configure(app, "amap", fake)
        content = accounts_file(list(known)[:2], prefix="Q").encode()
        answer = app.test_client().post(
            "/api/imports/accounts",
            headers=world.headers("m1"),
            data={"file": (io.BytesIO(content), "accounts.csv")},
            content_type="multipart/form-data",
        )
        body = answer.get_json()
        assert answer.status_code == 200 and body["written"] and body["created"] == 2, body
        # Both were answered from the cache filled above: the exhausted quota is never met.
        assert body["geocoded"] == 2 and fake.asked == []


def test_amap_refused_key_stops_asking_and_says_so(app, runner, world, tmp_path):
    known = shanghai(3)
    with fake_amap(known) as fake:
        configure(app, "amap", fake, key="wrong-key")
        result = run_import(runner, tmp_path, accounts_file(list(known)))
        assert result.exit_code == 0 and "3 created" in result.output, result.output
        assert result.output.count("高德 (AMap) refused the key (INVALID_USER_KEY (10001)); check GEOCODER_KEY") == 3
        assert len(fake.asked) == 1
        assert cache_rows(app, "amap") == []
        # Through the API each row's warning carries its code, for the phone's language.
        answer = app.test_client().post(
            "/api/imports/accounts",
            headers=world.headers("m1"),
            data={"file": (io.BytesIO(accounts_file(list(known), prefix="K").encode()), "accounts.csv")},
            content_type="multipart/form-data",
        )
        warnings = answer.get_json()["warnings"]
        assert answer.status_code == 200 and len(warnings) == 3
        assert warnings[0]["codes"] == [
            {"code": "import_geocoder_key", "params": {"provider": "高德 (AMap)", "detail": "INVALID_USER_KEY (10001)"}}
        ]


def test_a_not_found_address_is_reported_as_a_reason_code_the_phone_words_in_chinese(app, world):
    # The report is the same in every language: a zh-CN phone words each warning from its code and
    # params (tests/pwa/test_admin_screen.py shows it), so nothing English may hide in them.
    known = shanghai(1)
    content = HEADER + f"Z1,客户一,{next(iter(known))},r1\nZ2,客户二,火星市不存在路9号,r1\n"
    with fake_amap(known) as fake:
        configure(app, "amap", fake)
        answer = app.test_client().post(
            "/api/imports/accounts?dry_run=true",
            headers=world.headers("m1"),
            data={"file": (io.BytesIO(content.encode()), "accounts.csv")},
            content_type="multipart/form-data",
        )
    body = answer.get_json()
    assert answer.status_code == 200 and body["geocoded"] == 1, body
    [warning] = body["warnings"]
    assert warning["row"] == 3 and warning["field"] == "address"
    # The English message stays readable for API clients ...
    assert warning["message"] == "Not geocoded (address not found): imported without a position, not plannable."
    # ... and its code carries the reason as a code, with no provider words to show.
    assert warning["codes"] == [
        {"code": "import_not_geocoded", "params": {"reason": "not_found", "provider": "", "detail": ""}}
    ]


def test_an_unreachable_geocoder_is_the_unavailable_reason(app, client, world):
    with socket.socket() as probe:  # a port nothing listens on once closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app.config.update(GEOCODER="nominatim", GEOCODER_URL=f"http://127.0.0.1:{port}", GEOCODER_MIN_DELAY_S=0)
    rep = str(world.users["r1"])
    answer = client.patch(
        f"/api/users/{rep}", json={"start_address": "上海市徐汇区漕溪北路1号"}, headers=world.headers("m1")
    )
    assert answer.status_code == 422, answer.get_json()
    error = answer.get_json()["error"]
    assert error["fields"]["start_address"] == ["Not geocoded (geocoder failed: GeocoderUnavailable)."]
    assert error["field_codes"]["start_address"] == [
        {"code": "not_geocoded", "params": {"reason": "unavailable", "provider": "", "detail": ""}}
    ]


def test_a_dry_run_keeps_what_the_provider_answered(app, runner, world, tmp_path):
    known = shanghai(4)
    with fake_amap(known) as fake:
        configure(app, "amap", fake)
        dry = run_import(runner, tmp_path, accounts_file(list(known)), args=["--dry-run"])
        assert dry.exit_code == 0 and "nothing written" in dry.output and stored(app) == {}
        assert len(cache_rows(app, "amap")) == 4 and len(fake.asked) == 1
        done = run_import(runner, tmp_path, accounts_file(list(known)))
        assert "4 geocoded" in done.output and len(fake.asked) == 1


def test_baidu_through_geopy_baiduv3_stores_wgs84_and_caches(app, runner, world, tmp_path, clock):
    clock.set("2026-11-18T10:00:00+08:00")  # a cached "not found" is read against the clock
    known = {"北京市东城区东长安街1号": (116.4039, 39.9151), "北京市朝阳区阜通东大街6号": (116.4810, 39.9896)}
    addresses = [*known, BAIDU_REFERENCE[0], "火星市不存在路2号"]
    with fake_baidu(known) as fake:
        configure(app, "baidu", fake)
        result = run_import(runner, tmp_path, accounts_file(addresses))
        assert result.exit_code == 0, result.output
        assert "3 geocoded" in result.output and "row 5: address: Not geocoded (address not found)" in result.output
        asked = fake.requests("/geocoding/v3/")
        assert len(asked) == 4 and all(p["ak"] == fake.key and p["output"] == "json" for p in asked)
        points = stored(app)
        for address, truth in known.items():
            assert distance_m(points[address], truth) < 0.5, address
        assert distance_m(points[BAIDU_REFERENCE[0]], BAIDU_REFERENCE[1]) < 0.5  # gcoord's published pair
        rows = {r.address: r for r in cache_rows(app, "baidu") if r.latitude is not None}
        assert {r.datum for r in rows.values()} == {"bd09"} and len(rows) == 3
        assert [r.address for r in cache_rows(app, "baidu") if r.latitude is None] == ["火星市不存在路2号"]
        assert (rows[BAIDU_REFERENCE[0]].raw_longitude, rows[BAIDU_REFERENCE[0]].raw_latitude) == BAIDU_REFERENCE[2]

        before = len(fake.asked)
        again = run_import(runner, tmp_path, accounts_file(addresses, prefix="H"))
        assert "3 geocoded" in again.output and len(fake.asked) == before
        assert "row 5: address: Not geocoded (address not found)" in again.output


@pytest.mark.parametrize("fake_of, provider", [(fake_amap, "amap"), (fake_baidu, "baidu")])
def test_not_found_is_cached_for_its_days_and_a_refusal_never(app, clock, fake_of, provider):
    """Each step is a new geocoder (a new import): only the database remembers."""
    clock.set("2026-11-18T10:00:00+08:00")
    known = shanghai(2)
    first, second = known
    unknown = "火星市不存在路7号"

    def ask(address):
        geocoder = from_config(app.config)
        try:
            return geocoder.lookup(address)
        except LookupError as exc:
            return str(exc)
        finally:
            geocoder.save()

    def kept(address):
        return [(r.latitude is None) for r in cache_rows(app, provider) if r.address == normalise_address(address)]

    with fake_of(known, quota_after=1) as fake, app.app_context():
        configure(app, provider, fake)
        assert ask(unknown) == "address not found" and len(fake.asked) == 1 and kept(unknown) == [True]
        assert ask(unknown) == "address not found" and len(fake.asked) == 1  # the cache answered
        # A used-up quota is a refusal, not an answer: nothing kept, asked again once it resets.
        assert "daily quota used up" in ask(first) and len(fake.asked) == 2 and kept(first) == []
        del fake.mode["quota_after"]
        assert distance_m(ask(first)[::-1], known[first]) < 0.5 and len(fake.asked) == 3
        # A refused key is not kept either.
        fake.mode["bad_key"] = True
        assert "refused the key" in ask(second) and len(fake.asked) == 4 and kept(second) == []
        del fake.mode["bad_key"]
        assert distance_m(ask(second)[::-1], known[second]) < 0.5 and len(fake.asked) == 5

        # Still "not found" on the last of its 30 days; asked again after them, and the new answer
        # (the provider knows the address by now) replaces the entry.
        clock.set("2026-12-18T09:00:00+08:00")
        assert ask(unknown) == "address not found" and len(fake.asked) == 5
        clock.set("2026-12-18T11:00:00+08:00")
        fake.known[unknown] = (121.5, 31.2)
        assert distance_m(ask(unknown)[::-1], (121.5, 31.2)) < 0.5 and len(fake.asked) == 6
        assert kept(unknown) == [False]

        # GEOCODER_NOT_FOUND_DAYS=0: not found is never kept, every lookup asks.
        app.config["GEOCODER_NOT_FOUND_DAYS"] = 0
        other = "火星市不存在路8号"
        assert ask(other) == "address not found" and ask(other) == "address not found"
        assert len(fake.asked) == 8 and kept(other) == []


@pytest.mark.parametrize(
    "mode, reason",
    [
        (
            {"quota_after": 1},
            "百度 (Baidu) daily quota used up (天配额超限，限制访问 (302)); import the file again once it resets",
        ),
        ({"bad_key": True}, "百度 (Baidu) refused the key (APP不存在，AK有误请检查再重试 (200)); check GEOCODER_KEY"),
    ],
)
def test_baidu_quota_and_key_errors_are_per_row_messages(app, runner, world, tmp_path, mode, reason):
    known = shanghai(3)
    with fake_baidu(known, **mode) as fake:
        configure(app, "baidu", fake)
        result = run_import(runner, tmp_path, accounts_file(list(known)))
        assert result.exit_code == 0 and "3 created" in result.output, result.output
        failed = 2 if "quota_after" in mode else 3
        assert result.output.count(f"Not geocoded ({reason})") == failed
        assert len(fake.asked) == 4 - failed  # one refused request, then none


def test_the_interface_other_importers_use_is_the_same_for_every_provider(app):
    known = shanghai(1)
    address, truth = next(iter(known.items()))
    for fake_of, provider in ((fake_amap, "amap"), (fake_baidu, "baidu")):
        with fake_of(known) as fake, app.app_context():
            configure(app, provider, fake)
            geocoder = from_config(app.config)
            lat, lng = geocoder.lookup(address)
            assert distance_m((lng, lat), truth) < 0.5
            with pytest.raises(LookupError, match="address not found"):
                geocoder.lookup("火星市不存在路3号")
    app.config.update(GEOCODER="amap", GEOCODER_KEY="")
    assert from_config(app.config) is None  # a provider without its key is off


def test_reverse_geocoding_answers_the_address_at_a_wgs84_position(app, client, world):
    lng, lat = 121.4365, 31.1955
    assert client.get(f"/api/geocode/reverse?latitude={lat}&longitude={lng}").status_code == 401
    headers = world.headers("r1")
    off = client.get(f"/api/geocode/reverse?latitude={lat}&longitude={lng}", headers=headers)
    assert off.status_code == 503 and off.get_json()["error"]["code"] == "geocoder_off"
    bad = client.get("/api/geocode/reverse?latitude=95&longitude=x", headers=headers)
    assert bad.status_code == 422
    assert set(bad.get_json()["error"]["fields"]) >= {"latitude", "longitude"}
    with fake_amap() as fake:
        configure(app, "amap", fake)
        found = client.get(f"/api/geocode/reverse?latitude={lat}&longitude={lng}", headers=headers).get_json()
        sent = [float(v) for v in fake.requests("/v3/geocode/regeo")[0]["location"].split(",")]
        assert distance_m(tuple(sent), wgs84_to_gcj02(lng, lat)) < 0.2  # 高德 is asked in GCJ-02
        assert found == {"address": f"上海市徐汇区@{sent[0]:.6f},{sent[1]:.6f}", "provider": "amap"}
    with fake_baidu() as fake:
        configure(app, "baidu", fake)
        found = client.get(f"/api/geocode/reverse?latitude={lat}&longitude={lng}", headers=headers).get_json()
        sent_lat, sent_lng = (float(v) for v in fake.requests("/reverse_geocoding/v3/")[0]["location"].split(","))
        assert distance_m((sent_lng, sent_lat), wgs84_to_bd09(lng, lat)) < 0.2  # 百度 is asked in BD-09
        assert found["provider"] == "baidu" and found["address"].startswith("北京市东城区@")
    with fake_amap() as fake:
        configure(app, "amap", fake)
        # Abroad 高德 knows no address (formatted_address []): an answer, no address, not an error.
        paris = client.get("/api/geocode/reverse?latitude=48.8584&longitude=2.2945", headers=headers)
        assert paris.status_code == 200 and paris.get_json() == {"address": None, "provider": "amap"}
    with fake_amap(bad_key=True) as fake:
        configure(app, "amap", fake)
        refused = client.get(f"/api/geocode/reverse?latitude={lat}&longitude={lng}", headers=headers)
        assert refused.status_code == 503 and "refused the key" in refused.get_json()["error"]["message"]


def test_a_prospect_created_offline_without_an_address_gets_it_at_sync(app, client, world):
    server_clock.set_now(datetime(2026, 11, 10, 9, 0, tzinfo=UTC))
    lng, lat = 121.4365, 31.1955
    phone = Phone(client, world.headers("r1"))
    phone.pull()
    bare = phone.create("account", {"name": "路边新客户", "latitude": lat, "longitude": lng})
    typed = phone.create("account", {"name": "已填地址", "address": "漕溪北路1号", "latitude": lat, "longitude": lng})
    nowhere = phone.create("account", {"name": "无位置客户"})
    with fake_amap() as fake:
        configure(app, "amap", fake)
        answer = phone.push()
        assert answer.status_code == 200 and all(r["status"] == "applied" for r in answer.get_json()["results"])
        assert len(fake.requests("/v3/geocode/regeo")) == 1  # only the one without an address, with a position
    gcj = wgs84_to_gcj02(lng, lat)
    expected = f"上海市徐汇区@{gcj[0]:.6f},{gcj[1]:.6f}"
    phone.pull()
    assert phone.store[("account", bare)]["data"]["address"] == expected
    assert phone.store[("account", bare)]["version"] == 2  # a server edit, pulled like any other
    assert phone.store[("account", typed)]["data"]["address"] == "漕溪北路1号"
    assert not phone.store[("account", nowhere)]["data"].get("address")
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(Account.id == uuid.UUID(bare))) == 1


def test_a_failing_geocoder_never_fails_the_push(app, client, world):
    server_clock.set_now(datetime(2026, 11, 10, 9, 0, tzinfo=UTC))
    phone = Phone(client, world.headers("r1"))
    bare = phone.create("account", {"name": "路边新客户", "latitude": 31.1955, "longitude": 121.4365})
    with fake_amap(quota_after=0) as fake:
        configure(app, "amap", fake)
        answer = phone.push()
        assert answer.status_code == 200 and answer.get_json()["results"][0]["status"] == "applied"
        assert len(fake.asked) == 1
    phone.pull()
    assert not phone.store[("account", bare)]["data"].get("address")


def test_reverse_geocoding_is_rate_limited_per_user(app, client, world):
    app.config.update(GEOCODE_RATE_LIMIT="2 per minute")
    with fake_amap() as fake:
        configure(app, "amap", fake)
        url = "/api/geocode/reverse?latitude=31.1955&longitude=121.4365"
        answers = [client.get(url, headers=world.headers("r1")).status_code for _ in range(3)]
        assert answers == [200, 200, 429] and len(fake.asked) == 2
        assert client.get(url, headers=world.headers("r2")).status_code == 200  # another rep counts apart


def refusals(app, fake_of, provider, mode):
    """The two errors of two lookups on one geocoder, the requests they made, and the cache after."""
    known = shanghai(2)
    with fake_of(known, **mode) as fake, app.app_context():
        configure(app, provider, fake)
        geocoder = from_config(app.config)
        errors = []
        for address in known:
            with pytest.raises(GeocodeError) as error:
                geocoder.lookup(address)
            errors.append(error.value)
        geocoder.save()
        return errors, len(fake.asked), cache_rows(app, provider)


@pytest.mark.parametrize(
    "code, reason",
    [
        ("10001", "key_refused"),  # INVALID_USER_KEY
        ("10009", "key_refused"),  # USERKEY_PLAT_NOMATCH: not a Web服务 key
        ("10010", "key_refused"),  # IP_QUERY_OVER_LIMIT: blocked until a ticket
        ("10003", "quota"),  # DAILY_QUERY_OVER_LIMIT
        ("10044", "quota"),  # USER_DAILY_QUERY_OVER_LIMIT
        ("10004", "rate_limited"),  # ACCESS_TOO_FREQUENT
        ("10021", "rate_limited"),  # CUQPS_HAS_EXCEEDED_THE_LIMIT
        ("20003", "failed"),  # UNKNOWN_ERROR
    ],
)
def test_each_amap_error_code_is_read_as_its_reason_and_none_is_cached(app, code, reason):
    errors, asked, cached = refusals(app, fake_amap, "amap", {"code": code})
    assert [e.code for e in errors] == [reason, reason]
    if reason != "failed":  # the provider's own words, for the manager to look up
        assert f"{AMAP_CODES[code]} ({code})" in str(errors[0])
    # A refused key or a used-up quota stops the asking: the second address is told without a request.
    assert asked == (1 if reason in STOPPING else 2)
    assert cached == []


def test_amap_busy_is_asked_once_more_then_unavailable(app):
    errors, asked, cached = refusals(app, fake_amap, "amap", {"code": "10016"})  # SERVER_IS_BUSY
    assert [e.code for e in errors] == ["unavailable", "unavailable"]
    assert asked == 4 and cached == []  # each address asked twice: busy may pass on its own


@pytest.mark.parametrize(
    "status, reason",
    [
        (5, "key_refused"),  # AK Failure (geopy takes it for a bad query)
        (101, "key_refused"),  # AK参数不存在
        (200, "key_refused"),  # APP不存在，AK有误
        (240, "key_refused"),  # APP 服务被禁用
        (4, "quota"),  # Quota Failure
        (302, "quota"),  # 天配额超限
        (401, "rate_limited"),  # 并发量超限 (geopy takes it for a used-up quota)
        (2, "failed"),  # Parameter Invalid
        (1, "failed"),  # 服务器内部错误, without "无相关结果": a failure, not "not found"
    ],
)
def test_each_baidu_status_is_read_as_its_reason_and_none_is_cached(app, status, reason):
    errors, asked, cached = refusals(app, fake_baidu, "baidu", {"code": status})
    assert [e.code for e in errors] == [reason, reason]
    if reason != "failed":
        assert f"{BAIDU_CODES[status]} ({status})" in str(errors[0])
    assert asked == (1 if reason in STOPPING else 2)
    assert cached == []


@pytest.mark.parametrize(
    "code, asked",
    [
        ("10004", 1),  # too frequent: the next request would be refused too, so no more are made
        ("10001", 1),  # the key refused
        ("20003", 2),  # a failure of one request: the next prospect is asked for all the same
    ],
)
def test_filling_prospects_addresses_stops_or_goes_on_by_the_reason_code(app, client, world, code, asked):
    server_clock.set_now(datetime(2026, 11, 10, 9, 0, tzinfo=UTC))
    phone = Phone(client, world.headers("r1"))
    bare = [
        phone.create("account", {"name": f"路边新客户{i}", "latitude": 31.1955 + i / 1000, "longitude": 121.4365})
        for i in range(2)
    ]
    with fake_amap(code=code) as fake:
        configure(app, "amap", fake)
        answer = phone.push()
        assert answer.status_code == 200 and all(r["status"] == "applied" for r in answer.get_json()["results"])
        assert len(fake.requests("/v3/geocode/regeo")) == asked
    phone.pull()
    assert not any(phone.store[("account", b)]["data"].get("address") for b in bare)
