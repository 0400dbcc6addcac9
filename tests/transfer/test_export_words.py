"""Exports in words of the chosen language, codes beside them for machines; an export imports back as it is."""

import csv
import io
import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from server.extensions import db
from server.models import Account, Contact, Device
from tests.records import writing

KINDS = ("accounts", "devices", "contacts")
# The words each language's catalogue (pwa/js/i18n/) gives the codes set below.
WORDS = {
    "zh-CN": {"industry": "医疗", "org_type": "分支机构", "employee_band": "50–199 人", "ownership": "竞争对手",
              "colour": "彩色", "purchase_role": "决策人"},
    "en": {"industry": "Healthcare", "org_type": "Branch", "employee_band": "50–199", "ownership": "Competitor's",
           "colour": "Colour", "purchase_role": "Decision maker"},
}  # fmt: skip
CODES = {"industry": "healthcare", "org_type": "branch", "employee_band": "50-199", "ownership": "competitor",
         "colour": "colour", "purchase_role": "decision_maker"}  # fmt: skip


@pytest.fixture
def coded(app, world, clock):
    clock.set(datetime(2026, 11, 30, 4, 0, tzinfo=UTC))
    with writing(app):
        for rep in ("r1", "r2"):
            account = db.session.get(Account, world.accounts[rep])
            account.industry, account.org_type, account.employee_band = "healthcare", "branch", "50-199"
            account.external_key = f"K-{rep}"
            device = db.session.get(Device, world.devices[rep])
            # Recorded in October: the installed base of November (the period so far) has it.
            device.colour, device.created_at = "colour", datetime(2026, 10, 1, tzinfo=UTC)
        db.session.commit()
    return world


def _get(client, world, path, who="m1", **headers):
    response = client.get(path, headers={**world.headers(who), **headers})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response


def _csv(response):
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def _import(client, world, kind, text):
    response = client.post(
        f"/api/imports/{kind}",
        headers=world.headers("m1"),
        data={"file": (io.BytesIO(text.encode("utf-8")), f"{kind}.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _stored(app, world):
    with writing(app):
        return [
            (a.industry, a.org_type, a.employee_band, d.ownership, d.colour, c.purchase_role, a.name, d.brand, c.name)
            for a, d, c in db.session.execute(
                select(Account, Device, Contact)
                .join(Device, Device.account_id == Account.id)
                .join(Contact, Contact.account_id == Account.id)
                .order_by(Account.name)
            )
        ]


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_an_export_reads_in_the_chosen_language_and_imports_back_unchanged(app, client, coded, lang):
    from server.transfer.columns import CODED, code_column, header_name, template_header

    before = _stored(app, coded)
    for kind in KINDS:
        response = _get(client, coded, f"/api/exports/{kind}?lang={lang}")
        text = response.get_data(as_text=True)
        header = next(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
        # The template's names of that language, then one code column per coded field.
        template = template_header(kind, lang)
        assert set(header[: -len(CODED[kind])]) <= set(template) and len(set(header)) == len(header)
        assert header[-len(CODED[kind]) :] == [code_column(f) for f in CODED[kind]]
        rows = _csv(response)
        assert len(rows) == 2  # the North team's two reps
        for field in CODED[kind]:
            assert {r[header_name(kind, field, lang)] for r in rows} == {WORDS[lang][field]}, (kind, field)
            assert {r[code_column(field)] for r in rows} == {CODES[field]}
        report = _import(client, coded, kind, text)
        assert (report["created"], report["updated"], report["unchanged"]) == (0, 0, 2), report
        assert (report["error_count"], report["warning_count"]) == (0, 0), report
    assert _stored(app, coded) == before


def test_the_words_alone_in_either_language_import_as_codes_and_changed_words_win(app, client, coded):
    # An English export's words typed into a file without the code columns: the codes are stored.
    text = "name,address,owner,industry,org_type,employee_band\nNew one,Road 5,r1,Healthcare,Factory,1000+\n"
    assert _import(client, coded, "accounts", text)["created"] == 1
    chinese = "客户名称,地址,负责人,行业,机构类型,员工人数\n新客户,某路6号,r2,物流,总部,1–49 人\n"
    assert _import(client, coded, "accounts", chinese)["created"] == 1
    with writing(app):
        made = {
            a.name: (a.industry, a.org_type, a.employee_band)
            for a in db.session.scalars(select(Account).where(Account.name.in_(["New one", "新客户"])))
        }
    assert made == {"New one": ("healthcare", "factory", "1000+"), "新客户": ("logistics", "head_office", "1-49")}
    # A manager changes the words in a Chinese export and leaves the code column: what the words say is stored.
    exported = _get(client, coded, "/api/exports/accounts?lang=zh-CN").get_data(as_text=True)
    edited = exported.replace(",分支机构,", ",工厂,", 1)
    report = _import(client, coded, "accounts", edited)
    assert (report["updated"], report["unchanged"]) == (1, 3), report  # the two made above are unchanged
    with writing(app):
        kept = [db.session.get(Account, coded.accounts[rep]).org_type for rep in ("r1", "r2")]
    assert sorted(kept) == ["branch", "factory"]
    # Free text that is no code's words stays as written, in the export's two columns too.
    with writing(app):
        db.session.get(Account, coded.accounts["r1"]).industry = "印刷"
        db.session.commit()
    rows = _get(client, coded, "/api/exports/accounts?format=json&lang=en").get_json()["rows"]
    assert {(r["industry"], r["industry_code"]) for r in rows} == {
        ("印刷", "印刷"),
        ("Healthcare", "healthcare"),
        ("Logistics", "logistics"),
    }


def test_the_other_kinds_are_in_words_with_their_codes(client, coded):
    opportunities = _get(client, coded, "/api/exports/opportunities?format=json&lang=zh-CN").get_json()["rows"]
    assert {(r["stage"], r["stage_code"], r["status"], r["status_code"]) for r in opportunities} == {
        ("P 有意向客户", "P", "进行中", "open")
    }
    period = "&from=2026-11-01&to=2026-11-30"
    activities = _csv(_get(client, coded, f"/api/exports/activities?lang=en{period}", who="r1"))
    assert [(r["category"], r["category_code"]) for r in activities] == [("Travel", "travel")]
    # A visit's purpose that is one of the team's presets reads in the chosen language; other text as written.
    with writing(coded.app):
        from server.models import Visit

        db.session.get(Visit, coded.visits["r1"]).purpose = "产品演示"
        db.session.commit()
    visits = _csv(_get(client, coded, f"/api/exports/visits?lang=en{period}"))
    assert {(r["purpose"], r["purpose_code"]) for r in visits} == {
        ("Demo", "产品演示"),
        ("Meet the buyer", "Meet the buyer"),
    }


def test_the_language_follows_the_request_then_the_user(app, client, coded):
    from server.models import User

    column = "行业"
    asked = _csv(_get(client, coded, "/api/exports/accounts", **{"Accept-Language": "en-GB,en;q=0.9"}))
    assert {r["industry"] for r in asked} == {"Healthcare"} and column not in asked[0]
    plain = _csv(_get(client, coded, "/api/exports/accounts"))  # no header: the user's language, zh-CN
    assert {r[column] for r in plain} == {"医疗"}
    with writing(app):
        db.session.get(User, coded.users["m1"]).locale = "en"
        db.session.commit()
    assert {r["industry"] for r in _csv(_get(client, coded, "/api/exports/accounts"))} == {"Healthcare"}
    assert {r[column] for r in _csv(_get(client, coded, "/api/exports/accounts?lang=zh-CN"))} == {"医疗"}
    bad = client.get("/api/exports/accounts?lang=fr", headers=coded.headers("m1"))
    assert bad.status_code == 422 and "lang" in bad.get_json()["error"]["fields"]


def test_a_report_csv_gives_its_coded_cells_in_words_with_the_codes(client, coded):
    rows = _csv(_get(client, coded, "/api/reports/installed-base?format=csv&lang=zh-CN"))
    assert rows and {(r["ownership"], r["ownership_code"]) for r in rows} == {("竞争对手", "competitor")}
    english = _csv(_get(client, coded, "/api/reports/installed-base?format=csv&lang=en"))
    assert {r["ownership"] for r in english} == {"Competitor's"}
    bad = client.get("/api/reports/installed-base?format=csv&lang=de", headers=coded.headers("m1"))
    assert bad.status_code == 422
    # Its instants in the team's time zone, as the exports write them: the 01:00 UTC visit reads 09:00+08:00.
    with writing(coded.app):
        for rep in ("r1", "r2"):  # there since October: overdue at the end of November (A: every 7 days)
            db.session.get(Account, coded.accounts[rep]).created_at = datetime(2026, 10, 1, tzinfo=UTC)
        db.session.commit()
    overdue = _csv(_get(client, coded, "/api/reports/cadence?format=csv&table=overdue&from=2026-11-01&to=2026-11-30"))
    assert {r["last_contact_at"] for r in overdue} == {"2026-11-02T09:00:00+08:00"}


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_every_code_an_export_words_has_words_in_both_catalogues(lang):
    from server.models import vocab
    from server.words import code_for, word

    coded = {
        "org_type": vocab.ORG_TYPES,
        "employee_band": vocab.EMPLOYEE_BANDS,
        "purchase_role": vocab.PURCHASE_ROLES,
        "ownership": vocab.DEVICE_OWNERSHIP,
        "colour": vocab.DEVICE_COLOUR,
        "kind": vocab.OPPORTUNITY_KINDS,
        "status": vocab.OPPORTUNITY_STATUSES,
        "loss_reason": vocab.LOSS_REASONS,
        "category": vocab.ACTIVITY_CATEGORIES,
        "stage": vocab.FUNNEL_STAGES,
        "mark": ("good", "warn", "bad"),
    }
    for name, codes in coded.items():
        for code in codes:
            text = word(name, code, lang)
            assert text and text != code, (name, code)  # words, not the code again
            assert code_for(name, text) == code  # and they read back as that code


def test_the_other_kinds_csv_in_chinese_names_every_column_in_words_but_the_codes(client, coded):
    period = "&from=2026-11-01&to=2026-11-30"
    for kind in ("opportunities", "visits", "activities", "photos"):
        text = _get(client, coded, f"/api/exports/{kind}?lang=zh-CN{period}").get_data(as_text=True)
        header = next(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
        english = [c for c in header if re.fullmatch(r"[a-z_0-9]+", c) and not c.endswith("_code")]
        assert header and english == [], (kind, english)
    visits = _csv(_get(client, coded, f"/api/exports/visits?lang=zh-CN{period}"))
    assert {"销售", "客户名称", "签到时间", "拜访目的", "purpose_code"} <= set(visits[0])
    english = _csv(_get(client, coded, f"/api/exports/visits?lang=en{period}"))
    assert {"rep", "account_name", "check_in_at", "purpose"} <= set(english[0])
