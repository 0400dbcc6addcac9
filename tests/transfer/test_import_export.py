"""CSV import (CLI and API), geocoding through a local fake Nominatim, exports and the round trip."""

import csv
import io
from urllib.parse import parse_qs, urlparse

import pytest
from sqlalchemy import func, select

from server.extensions import db
from server.models import Account, AccountClassChange, Contact, Device
from server.transfer.columns import header_name
from tests.fake_http import json_server
from tests.records import writing

HEADER_ZH = "客户编号,客户名称,地址,纬度,经度,区域,客户等级,负责人,备注\n"


def run_import(runner, tmp_path, text, kind="accounts", encoding="utf-8", args=()):
    path = tmp_path / f"{kind}.csv"
    path.write_bytes(text.encode(encoding))
    return runner.invoke(args=[f"import-{kind}", str(path), *args])


def count(app, model=Account):
    with writing(app):
        return db.session.scalar(select(func.count()).select_from(model))


def rows_zh(n=3, start=1):
    return "".join(f"K{i},上海客户{i},徐汇区路{i}号,31.{i},121.4,徐汇,B,r1,备注{i}\n" for i in range(start, start + n))


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_accounts_import_in_every_excel_encoding_and_reimport_updates(app, runner, world, tmp_path, encoding):
    before = count(app)
    result = run_import(runner, tmp_path, HEADER_ZH + rows_zh(), encoding=encoding)
    assert result.exit_code == 0, result.output
    assert "3 created" in result.output and count(app) == before + 3
    with writing(app):
        account = db.session.scalar(select(Account).where(Account.external_key == "K2"))
        assert (account.name, account.latitude, account.account_class, account.owner_id) == (
            "上海客户2",
            31.2,
            "B",
            world.users["r1"],
        )
    again = run_import(
        runner,
        tmp_path,
        HEADER_ZH + rows_zh(2) + "K3,上海客户3 新名,徐汇区路3号,31.3,121.4,徐汇,A,r1,\n",
        encoding=encoding,
    )
    assert "1 updated" in again.output and "2 unchanged" in again.output and count(app) == before + 3
    with writing(app):
        renamed = db.session.scalar(select(Account).where(Account.external_key == "K3"))
        assert (renamed.name, renamed.account_class) == ("上海客户3 新名", "A")
        # The class's history has the change, written with the import (a past period reads B).
        changes = db.session.execute(
            select(AccountClassChange.from_class, AccountClassChange.to_class).where(
                AccountClassChange.account_id == renamed.id
            )
        ).all()
        assert [tuple(c) for c in changes] == [("B", "A")]


def test_semicolons_english_headers_and_matching_by_name_and_address(app, runner, world, tmp_path):
    text = "Name;Address;Latitude;Longitude;Class\nAlpha;Road 9;31.1;121.3;C\n"
    assert run_import(runner, tmp_path, text, args=["--owner", "r2"]).exit_code == 0
    again = run_import(runner, tmp_path, text, args=["--owner", "r2"])
    assert "1 unchanged" in again.output
    with writing(app):
        assert db.session.scalar(select(func.count()).where(Account.name == "Alpha")) == 1


def test_one_bad_row_writes_nothing_dry_run_writes_nothing_skip_invalid_writes_the_rest(app, runner, world, tmp_path):
    before = count(app)
    bad = HEADER_ZH + rows_zh(2) + "K9,坏坐标,某路,95,121.4,徐汇,B,r1,\n" + "K8,,某路,31,121,徐汇,B,r1,\n"
    result = run_import(runner, tmp_path, bad)
    assert result.exit_code == 1 and count(app) == before
    assert "row 4: latitude" in result.output and "row 5: name" in result.output
    dry = run_import(runner, tmp_path, HEADER_ZH + rows_zh(2), args=["--dry-run"])
    assert dry.exit_code == 0 and "2 created" in dry.output and "nothing written" in dry.output and count(app) == before
    partial = run_import(runner, tmp_path, bad, args=["--skip-invalid"])
    assert partial.exit_code == 0 and "2 created" in partial.output and "2 skipped" in partial.output
    assert count(app) == before + 2


@pytest.mark.parametrize(
    "content, message",
    [
        ("name,address\n".encode("utf-16"), "neither UTF-8 nor GB18030"),
        (b"address,region\nRoad,Xuhui\n", "Missing column(s): name / 客户名称."),
        ("地址,客户名字\n某路,甲\n".encode(), "Ignored column(s): 客户名字."),  # a misspelt header is named
        (b"", "empty"),
        ("客户编号,客户名称\nK1,甲\nK1,乙\n".encode(), "Same record as row 2"),
        ("客户名称,负责人\n甲,nobody\n".encode(), "No user 'nobody'"),
    ],
)
def test_bad_files_are_refused_with_the_reason(app, runner, world, tmp_path, content, message):
    before = count(app)
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    result = runner.invoke(args=["import-accounts", str(path)])
    assert result.exit_code == 1 and message in result.output and count(app) == before


@pytest.fixture
def fake_nominatim():
    """A local stand-in for a self-hosted Nominatim: knows the addresses in 徐汇."""
    asked = []

    def answer(path):
        query = parse_qs(urlparse(path).query).get("q", [""])[0]
        asked.append(query)
        found = (
            [
                {
                    "lat": "31.1955",
                    "lon": "121.4365",
                    "display_name": query,
                    "place_id": 1,
                    "boundingbox": ["31.1", "31.2", "121.4", "121.5"],
                }
            ]
            if "徐汇" in query
            else []
        )
        return 200, found

    with json_server(answer) as url:
        yield url, asked


@pytest.mark.calendar
def test_rows_without_coordinates_are_geocoded_and_failures_flagged_not_plannable(
    app, client, runner, world, tmp_path, fake_nominatim, clock
):
    url, asked = fake_nominatim
    app.config.update(GEOCODER="nominatim", GEOCODER_URL=url, GEOCODER_MIN_DELAY_S=0)
    text = (
        "客户编号,客户名称,地址,负责人\n"
        "G1,徐汇客户,上海市徐汇区漕溪北路1号,r1\nG2,同址客户,上海市徐汇区漕溪北路1号,r1\nG3,无名客户,火星路1号,r1\n"
    )
    result = run_import(runner, tmp_path, text)
    assert result.exit_code == 0, result.output
    assert "2 geocoded" in result.output and "row 4: address: Not geocoded" in result.output
    assert asked.count("上海市徐汇区漕溪北路1号") == 1  # cached
    with writing(app):
        found = {a.external_key: a for a in db.session.scalars(select(Account).where(Account.external_key.like("G%")))}
        assert (found["G1"].latitude, found["G1"].longitude) == (31.1955, 121.4365)
        assert found["G3"].latitude is None
        missing = str(found["G3"].id)
    clock.set("2026-11-10T07:00:00+08:00")  # the morning of the day planned: a past day is not planned
    plan = client.post("/api/routes/plan", json={"date": "2026-11-10"}, headers=world.headers("r1")).get_json()
    assert {"id": missing, "reason": "no_coordinates"} in plan["dropped"]
    assert client.get(f"/api/accounts/{missing}", headers=world.headers("r1")).get_json()["plannable"] is False


@pytest.mark.calendar
def test_devices_and_contacts_import_against_accounts_by_key_or_name(app, runner, world, tmp_path):
    assert run_import(runner, tmp_path, HEADER_ZH + rows_zh(2)).exit_code == 0
    devices = (
        "客户编号,客户名称,归属,品牌,型号,彩色黑白,安装日期,月印量\n"
        "K1,,竞争对手,Canon,iR-ADV 4545,黑白,2020-05-01,12000\n"
        ",上海客户2,本公司,Fieldday,FD-C6010,彩色,2024-01-15,3000\n"
        "K404,,本公司,X,Y,黑白,,10\n"
    )
    result = run_import(runner, tmp_path, devices, kind="devices", args=["--skip-invalid"])
    assert result.exit_code == 0 and "2 created" in result.output and "row 4: account: No account" in result.output
    again = run_import(runner, tmp_path, devices, kind="devices", args=["--skip-invalid"])
    assert "2 unchanged" in again.output
    with writing(app):
        device = db.session.scalar(select(Device).where(Device.model == "iR-ADV 4545"))
        assert (device.ownership, device.colour, device.monthly_volume, str(device.installed_on)) == (
            "competitor",
            "mono",
            12000,
            "2020-05-01",
        )
    contacts = (
        "客户编号,姓名,职位,电话,邮箱,采购角色\n"
        "K1,王经理,采购经理,021-1234,wang@example.com,决策者\n"
        "K2,李,,,not-an-email,\n"
    )
    result = run_import(runner, tmp_path, contacts, kind="contacts")
    assert result.exit_code == 1 and "row 3: email" in result.output and count(app, Contact) == 3


def _upload(client, world, who, content, query="", kind="accounts"):
    return client.post(
        f"/api/imports/{kind}{query}",
        headers=world.headers(who),
        data={"file": (io.BytesIO(content), f"{kind}.csv")},
        content_type="multipart/form-data",
    )


def test_import_through_the_api_for_managers_only(app, client, world):
    content = (HEADER_ZH + rows_zh(2)).encode("gb18030")
    assert _upload(client, world, "r1", content).status_code == 403
    dry = _upload(client, world, "m1", content, "?dry_run=true")
    assert dry.status_code == 200 and dry.get_json()["created"] == 2 and not dry.get_json()["written"]
    done = _upload(client, world, "m1", content)
    assert done.status_code == 200 and done.get_json()["written"]
    # m1 manages North (r1, r2): an account for r3 (South) is refused, and nothing of the file is written.
    foreign = (HEADER_ZH + "K7,南区客户,某路,31.1,121.4,闵行,A,r3,\n").encode()
    refused = _upload(client, world, "m1", foreign)
    assert refused.status_code == 422 and refused.get_json()["error"]["report"]["errors"][0]["row"] == 2
    missing = client.post(
        "/api/imports/accounts", headers=world.headers("m1"), data={}, content_type="multipart/form-data"
    )
    assert missing.status_code == 422 and "file" in missing.get_json()["error"]["fields"]


def test_a_row_naming_another_teams_record_is_refused_without_telling_what_it_holds(app, client, world):
    """m2's South account K9: m1 (North) importing the same values got "unchanged" (and other values the account's
    id in the error); now either is the same per-row "not yours", and nothing is written. A device row naming
    it finds no account, as for a key nobody has; the same name and address without a key is a new North account."""
    south = HEADER_ZH + "K9,南区客户,某路 8 号,31.1,121.4,闵行,A,r3,南区的备注\n"
    assert _upload(client, world, "m2", south.encode()).get_json()["created"] == 1
    reports = []
    for row in ("K9,南区客户,某路 8 号,31.1,121.4,闵行,A,,", "K9,南区客户,某路 8 号,31.1,121.4,闵行,C,,"):
        answer = _upload(client, world, "m1", (HEADER_ZH + row + "\n").encode())
        assert answer.status_code == 422, answer.get_json()
        report = answer.get_json()["error"]["report"]
        assert (report["unchanged"], report["updated"], report["written"]) == (0, 0, False)
        reports.append(report["errors"])
    not_yours = {
        "row": 2,
        "field": "key",
        "message": "This row names a record outside your territory: not imported.",
        "codes": [{"code": "import_not_yours", "params": {}}],
    }
    assert reports == [[not_yours], [not_yours]]
    devices = "客户编号,归属,品牌,型号\nK9,竞争对手,Canon,X1\nK404,竞争对手,Canon,X1\n"
    errors = _upload(client, world, "m1", devices.encode(), kind="devices").get_json()["error"]["report"]["errors"]
    named = [(e["row"], e["message"].replace("K404", "K9")) for e in errors if e["field"] == "account"]
    assert named == [(2, "No account matches 'K9'."), (3, "No account matches 'K9'.")]
    same_place = "客户名称,地址,负责人\n南区客户,某路 8 号,r1\n"
    assert _upload(client, world, "m1", same_place.encode()).get_json()["created"] == 1
    with writing(app):
        held = db.session.execute(select(Account.account_class, Account.notes).where(Account.external_key == "K9"))
        assert held.all() == [("A", "南区的备注")]


def test_a_50_mb_upload_is_refused_before_it_is_read(app, client, world):
    app.config["IMPORT_MAX_BYTES"] = 20 * 1024 * 1024
    big = HEADER_ZH.encode() + b"K,n,a,31,121,r,A,r1,x\n" * (50 * 1024 * 1024 // 22 + 1)
    body = b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\n' + big + b"\r\n--b--\r\n"
    response = client.post(
        "/api/imports/accounts", headers=world.headers("m1"), data=body, content_type="multipart/form-data; boundary=b"
    )
    assert response.status_code == 413 and response.get_json()["error"]["code"]


def _export(client, world, who, kind, fmt="csv", query=""):
    response = client.get(f"/api/exports/{kind}?format={fmt}{query}", headers=world.headers(who))
    assert response.status_code == 200, response.get_json()
    if fmt == "json":
        return response.get_json()
    return response.get_data(as_text=True)


@pytest.mark.calendar
def test_export_then_import_changes_nothing_and_neutralises_formulas(app, client, runner, world, tmp_path):
    with writing(app):
        account = db.session.get(Account, world.accounts["r1"])
        account.name, account.external_key, account.notes = "=cmd|' /C calc'!A0", "R1-MAIN", "+1 call back"
        db.session.commit()
    exported = {kind: _export(client, world, "m1", kind) for kind in ("accounts", "devices", "contacts")}
    assert "'=cmd|' /C calc'!A0" in exported["accounts"] and "'+1 call back" in exported["accounts"]
    counts = {m: count(app, m) for m in (Account, Device, Contact)}
    for kind, text in exported.items():
        result = run_import(runner, tmp_path, text.lstrip("\ufeff"), kind=kind, encoding="utf-8-sig")
        assert result.exit_code == 0, result.output
        rows = len(list(csv.DictReader(io.StringIO(text.lstrip("\ufeff")))))
        assert f"{rows} rows: 0 created, 0 updated, {rows} unchanged" in result.output, (kind, result.output)
    assert {m: count(app, m) for m in (Account, Device, Contact)} == counts
    with writing(app):
        assert db.session.get(Account, world.accounts["r1"]).name == "=cmd|' /C calc'!A0"
    as_json = _export(client, world, "m1", "accounts", "json")
    assert as_json["columns"][:2] == ["external_key", "name"] and len(as_json["rows"]) == 2  # r1 and r2 of North


@pytest.mark.calendar
def test_exports_of_the_rest_and_who_may_export(client, world):
    visits = _export(client, world, "r1", "visits", query="&from=2026-11-01&to=2026-11-30")
    # The user's language (zh-CN): columns named in Chinese, the codes' columns by their field names.
    assert "Meet the buyer" in visits and visits.splitlines()[0].lstrip("\ufeff").startswith("销售,客户编号")
    activities = _export(client, world, "r1", "activities", "json", query="&from=2026-11-01&to=2026-11-30")
    assert [(r["category"], r["category_code"]) for r in activities["rows"]] == [("路途", "travel")]  # user's zh-CN
    opportunities = _export(client, world, "m1", "opportunities", "json")
    assert {r["title"] for r in opportunities["rows"]} == {"Deal r1", "Deal r2"}
    assert (
        client.get(f"/api/exports/accounts?rep_id={world.users['r2']}", headers=world.headers("r1")).status_code == 404
    )
    assert client.get("/api/exports/secrets", headers=world.headers("m1")).status_code == 404


def test_a_file_full_of_bad_rows_answers_a_bounded_report_with_the_counts(client, world):
    rows = "\n".join(f"Bad {n},addr,not-a-number" for n in range(1200))
    body = ("name,address,latitude\n" + rows + "\n").encode()
    from io import BytesIO

    response = client.post(
        "/api/imports/accounts",
        data={"file": (BytesIO(body), "bad.csv")},
        headers=world.headers("m1"),
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    report = response.get_json()["error"]["report"]
    assert report["error_count"] == 1200 and len(report["errors"]) == 500 and report["written"] is False
    assert len(response.get_data()) < 3 * len(body)  # the answer no longer dwarfs the upload


def test_an_owner_is_named_by_username_or_display_name(app, client, world):
    from server.models import User

    with writing(app):
        db.session.get(User, world.users["r1"]).display_name = "孙军"
        db.session.get(User, world.users["r2"]).display_name = "李娜"
        db.session.get(User, world.users["r3"]).display_name = "李娜"  # the same name in the other team
        db.session.commit()
    header = "客户名称,负责人\n"
    named = _upload(client, world, "m1", (header + "甲,孙军\n乙,r2\n丙,李娜\n").encode())
    assert named.status_code == 200 and named.get_json()["created"] == 3, named.get_json()
    with writing(app):
        owners = dict(
            db.session.execute(select(Account.name, Account.owner_id).where(Account.name.in_(list("甲乙丙")))).all()
        )
        assert owners == {"甲": world.users["r1"], "乙": world.users["r2"], "丙": world.users["r2"]}
    # An admin (no team) naming 李娜 means two people: refused with the reason, coded for the phone's language.
    twice = _upload(client, world, "admin", (header + "丁,李娜\n").encode())
    assert twice.status_code == 422
    error = twice.get_json()["error"]["report"]["errors"][0]
    assert "More than one person is named '李娜'" in error["message"]
    assert error["codes"][0]["code"] == "import_owner_ambiguous"
    unknown = _upload(client, world, "m1", (header + "戊,王五\n").encode())
    assert unknown.get_json()["error"]["report"]["errors"][0]["codes"][0]["code"] == "import_no_user"


def test_exports_write_instants_in_the_teams_time_zone(client, world, clock):
    """The world's visits check in at 01:00 UTC on 2 November: 09:00 in Shanghai, the North team's zone; the
    travel before them starts at 08:30. The offset goes with each instant, so an import reads the same one."""
    from datetime import UTC, datetime

    clock.set(datetime(2026, 11, 30, 4, 0, tzinfo=UTC))
    visits = _export(client, world, "m1", "visits", "json", query="&from=2026-11-01&to=2026-11-30")
    assert {r["check_in_at"] for r in visits["rows"]} == {"2026-11-02T09:00:00+08:00"}
    assert {r["check_out_at"] for r in visits["rows"]} == {"2026-11-02T09:40:00+08:00"}
    activities = _export(client, world, "r1", "activities", query="&from=2026-11-01&to=2026-11-30")
    row = next(csv.DictReader(io.StringIO(activities.lstrip("\ufeff"))))
    assert (row["开始时间"], row["结束时间"]) == ("2026-11-02T08:30:00+08:00", "2026-11-02T09:00:00+08:00")
    opportunities = _export(client, world, "m1", "opportunities", "json")
    assert {r["opened_at"] for r in opportunities["rows"]} == {"2026-11-02T09:00:00+08:00"}


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
@pytest.mark.parametrize("kind", ["accounts", "devices", "contacts"])
def test_the_import_template_names_every_column_the_import_reads(client, world, kind, lang):
    from server.transfer.columns import COLUMNS, REQUIRED, map_header

    response = client.get(f"/api/imports/{kind}/template?lang={lang}", headers=world.headers("m1"))
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert f"{kind}-template-{lang}.csv" in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True)
    # The header row, an example row and a note line of the allowed values.
    assert text.startswith("\ufeff") and text.count("\r\n") == 3
    header = next(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    mapping, unknown = map_header(kind, header)
    assert unknown == [] and set(mapping) == set(COLUMNS[kind])
    assert set(header[: len(REQUIRED[kind])]) == {header[mapping[f]] for f in REQUIRED[kind]}  # required first
    chinese = [name for name in header if any("\u4e00" <= ch <= "\u9fff" for ch in name)]
    assert (len(chinese) == len(header)) if lang == "zh-CN" else chinese == []


@pytest.mark.parametrize(
    ("lang", "industry", "band", "org_type"),
    [("zh-CN", "制造", "50–199 人", "总部"), ("en", "Manufacturing", "50–199", "Head office")],
)
def test_the_account_template_shows_an_example_and_the_allowed_values(client, world, lang, industry, band, org_type):
    """The template's example row has values the import reads as they are, its vocabulary columns in the file's
    language; a note line says each coded column's allowed values. Sent unchanged, the template writes nothing
    and says why: two rows read, none written, two skipped (the example, the note)."""
    text = client.get(f"/api/imports/accounts/template?lang={lang}", headers=world.headers("m1")).get_data(as_text=True)
    header, example, note = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    example, note = dict(zip(header, example, strict=True)), dict(zip(header, note, strict=True))
    names = {f: (header_name("accounts", f, lang)) for f in ("industry", "employee_band", "org_type", "name")}
    assert (example[names["industry"]], example[names["employee_band"]], example[names["org_type"]]) == (
        industry,
        band,
        org_type,
    )
    assert note[names["name"]].startswith("#") and org_type in note[names["org_type"]].split(" / ")
    assert band in note[names["employee_band"]].split(" / ") and "A / B / C" in note.values()
    for query in ("?dry_run=true", ""):
        answer = _upload(client, world, "m1", text.encode("utf-8"), query)
        assert answer.status_code == 200, answer.get_json()
        report = answer.get_json()
        assert (report["rows"], report["created"], report["updated"], report["skipped"]) == (2, 0, 0, 2)
        assert [(w["row"], w["codes"][0]["code"]) for w in report["warnings"]] == [
            (2, "import_example_row"),
            (3, "import_note_line"),
        ]
    # The example with a name of one's own is imported with the values as read (the words become the codes).
    edited = text.replace(example[names["name"]], "模板客户")
    answer = _upload(client, world, "m1", edited.encode("utf-8"), "?dry_run=false")
    assert answer.status_code == 200, answer.get_json()
    assert (answer.get_json()["created"], answer.get_json()["skipped"], answer.get_json()["error_count"]) == (1, 1, 0)
    with writing(client.application):
        account = db.session.scalar(select(Account).where(Account.name == "模板客户"))
        assert (account.industry, account.employee_band, account.org_type, account.account_class) == (
            "manufacturing",
            "50-199",
            "head_office",
            "B",
        )


@pytest.mark.parametrize(
    ("kind", "lang", "coded", "word", "mark"),
    [
        ("devices", "zh-CN", "ownership", "竞争对手", "brand"),
        ("devices", "en", "colour", "Colour", "brand"),
        ("contacts", "zh-CN", "purchase_role", "决策人", "name"),
        ("contacts", "en", "purchase_role", "Decision maker", "name"),
    ],
)
def test_the_device_and_contact_templates_show_an_example_on_the_example_account(
    client, world, clock, kind, lang, coded, word, mark
):
    """A device's or a contact's template has an example row hung off the account example (its key and name) and
    a note line of the allowed values; sent unchanged, nothing is written and each line says why. With the
    example's account key changed to a real account and its brand or name changed, the row imports as it reads."""
    clock.set("2026-11-18T10:00:00+08:00")  # the example device's installation date is in the past
    text = client.get(f"/api/imports/{kind}/template?lang={lang}", headers=world.headers("m1")).get_data(as_text=True)
    header, example, note = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    example, note = dict(zip(header, example, strict=True)), dict(zip(header, note, strict=True))
    column = header_name(kind, coded, lang)
    assert example[column] == word and word in note[column].rsplit("：" if lang == "zh-CN" else ": ", 1)[-1].split(
        " / "
    )
    assert note[header[0]].startswith("#")
    assert example[header_name(kind, "account_key", lang)] == "KH-0001"
    answer = _upload(client, world, "m1", text.encode("utf-8"), "?dry_run=false", kind=kind).get_json()
    assert (answer["rows"], answer["created"], answer["skipped"], answer["error_count"]) == (2, 0, 2, 0), answer
    assert [w["codes"][0]["code"] for w in answer["warnings"]] == ["import_example_row", "import_note_line"]
    with writing(client.application):
        account = db.session.scalar(select(Account).where(Account.owner_id == world.users["r1"]).limit(1))
        account.external_key = "KH-7001"
        db.session.commit()
    before = count(client.application, Device if kind == "devices" else Contact)
    row = {**example, header_name(kind, "account_key", lang): "KH-7001", header_name(kind, "account_name", lang): ""}
    row[header_name(kind, mark, lang)] = "Own"
    edited = io.StringIO()
    csv.writer(edited).writerows([header, [row[name] for name in header]])
    answer = _upload(client, world, "m1", edited.getvalue().encode("utf-8"), "?dry_run=false", kind=kind).get_json()
    assert (answer["created"], answer["error_count"]) == (1, 0), answer
    assert count(client.application, Device if kind == "devices" else Contact) == before + 1


def test_a_file_of_a_header_alone_says_there_is_nothing_to_import(client, world):
    answer = _upload(client, world, "m1", "客户名称,地址\r\n".encode(), "?dry_run=true").get_json()
    assert (answer["rows"], answer["skipped"], answer["warnings"][0]["codes"][0]["code"]) == (0, 0, "import_no_rows")


def test_a_filled_template_imports_and_only_managers_get_one(client, world):
    template = client.get("/api/imports/accounts/template", headers=world.headers("m1")).get_data(as_text=True)
    template = template.split("\r\n")[0] + "\r\n"  # the header row, without the example and the note
    header = next(csv.reader(io.StringIO(template.lstrip("\ufeff"))))
    row = {"客户名称": "模板客户", "地址": "徐汇区模板路1号", "纬度": "31.2", "经度": "121.4", "负责人": "r1"}
    line = ",".join(row.get(name, "") for name in header)
    answer = _upload(client, world, "m1", (template + line + "\r\n").encode(), "?dry_run=true")
    assert answer.status_code == 200, answer.get_json()
    assert (answer.get_json()["created"], answer.get_json()["error_count"]) == (1, 0)
    assert client.get("/api/imports/accounts/template", headers=world.headers("r1")).status_code == 403
    bad = client.get("/api/imports/accounts/template?lang=fr", headers=world.headers("m1"))
    assert bad.status_code == 422 and "lang" in bad.get_json()["error"]["fields"]
    assert client.get("/api/imports/secrets/template", headers=world.headers("m1")).status_code == 404
