"""The manager's data screen in the browser, at one fixed instant (see `fixed_clock`): imports (a GB18030 file
after a dry run, a large file in the background, the report in Chinese) and a slow screen never drawing over the
next. None of it turns on the date; the team's numbers and periods are test_manager_screen's, in the calendar set."""

import re

import pytest
from playwright.sync_api import expect

from tests.pwa.conftest import log_in, phone_context, shot

pytestmark = pytest.mark.usefixtures("fixed_clock")


def test_manager_imports_a_gb18030_file_after_a_dry_run_and_exports(page, live_server, tmp_path):
    csv_file = tmp_path / "客户.csv"
    csv_file.write_bytes(
        "客户编号,客户名称,地址,纬度,经度,客户等级,负责人\nP1,浦东新客户,浦东路1号,31.22,121.54,A,rep1\n"
        "P2,坏行,某路,91,121,A,rep1\n".encode("gb18030")
    )
    log_in(page, "manager", wait=None)
    page.get_by_role("link", name="Data").click()
    page.get_by_label("CSV file (UTF-8 or GB18030)").set_input_files(str(csv_file))
    page.get_by_role("button", name="Import", exact=True).click()
    page.wait_for_selector("#import-report")
    assert "Nothing was written." in page.locator("#import-report").inner_text()
    assert page.locator("#import-report tr.error td").first.inner_text() == "3"  # the row with latitude 91
    page.get_by_label("Check only (write nothing)").uncheck()
    page.get_by_label("Write the valid rows, list the others").check()
    page.get_by_label("Coordinates of the file").select_option("gcj02")  # the file's positions came from 高德
    page.get_by_role("button", name="Import", exact=True).click()
    page.wait_for_selector("#import-report >> text=Imported.")
    shot(page, "import")
    with live_server.app.app_context():
        from server import datum
        from server.extensions import db
        from server.models import Account

        p1 = db.session.query(Account).filter_by(external_key="P1").one()
        assert p1.name == "浦东新客户"
        # Stored as WGS-84: the file's GCJ-02 point is what the stored point converts to.
        assert datum.distance_m(datum.wgs84_to_gcj02(p1.longitude, p1.latitude), (121.54, 31.22)) < 0.5
        assert datum.distance_m((p1.longitude, p1.latitude), (121.54, 31.22)) > 300
        db.session.remove()
    with page.expect_download() as download:
        page.locator("[data-export='accounts']").click()
    with open(download.value.path(), encoding="utf-8-sig") as f:
        assert "浦东新客户" in f.read()


def test_a_large_file_imports_in_the_background_with_progress_and_the_screen_finds_it_again(
    page, live_server, tmp_path
):
    """Over IMPORT_BACKGROUND_BYTES the upload is answered at once and the screen follows the job: a progress
    card, then the report. Leaving the screen and coming back shows the same job."""
    csv_file = tmp_path / "big.csv"
    csv_file.write_text(
        "external_key,name,address,latitude,longitude,class,owner\n"
        + "".join(f"BG{i},Background account {i},Road {i},31.2{i % 10},121.4{i % 7},B,rep1\n" for i in range(600))
    )
    saved = live_server.app.config["IMPORT_BACKGROUND_BYTES"]
    live_server.app.config["IMPORT_BACKGROUND_BYTES"] = 2048
    try:
        log_in(page, "manager", wait=None)
        page.get_by_role("link", name="Data").click()
        page.get_by_label("CSV file (UTF-8 or GB18030)").set_input_files(str(csv_file))
        page.get_by_label("Check only (write nothing)").uncheck()
        page.get_by_role("button", name="Import", exact=True).click()
        card = page.locator("#import-progress")
        expect(card).to_be_visible()
        assert "leave this screen" in card.inner_text()
        shot(page, "import-background")
        page.get_by_role("link", name="Team").click()
        page.get_by_role("link", name="Data").click()  # back: the job is found again, running or ended
        page.wait_for_selector("#import-report >> text=Imported.", timeout=60000)
    finally:
        live_server.app.config["IMPORT_BACKGROUND_BYTES"] = saved
    assert "600 rows: 600 new" in page.locator("#import-report").inner_text()
    with live_server.app.app_context():
        from server.extensions import db
        from server.models import Account

        assert db.session.query(Account).filter(Account.external_key.like("BG%")).count() == 600
        db.session.remove()


def test_a_slow_screen_never_draws_over_the_one_the_user_moved_to(page, live_server):
    """The team screen waits for its reports; the manager moves on to Data before they arrive."""
    held = []
    page.route("**/api/reports/**", lambda route: held.append(route))
    log_in(page, "manager", wait=None)
    page.wait_for_function("location.hash === '#/team'")
    for _ in range(200):  # the screen's module loads on demand, then asks for its reports
        if held:
            break
        page.wait_for_timeout(50)
    assert held, "the team screen asked for its reports"
    page.get_by_role("link", name="Data").click()
    expect(page.get_by_label("CSV file (UTF-8 or GB18030)")).to_be_visible()
    for route in held:
        route.continue_()
    page.unroute("**/api/reports/**")
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(300)  # let the team screen's render finish, into its detached element
    expect(page.get_by_label("CSV file (UTF-8 or GB18030)")).to_be_visible()
    assert page.locator("#report-face_time, [id^='report-']").count() == 0


def _manager_on_data(context):
    """A page of `context` with the manager logged in (in the context's language) on the Data screen."""
    page = context.new_page()
    log_in(page, "manager", wait="nav")
    page.goto("/#/data")
    return page


def test_the_import_report_speaks_chinese_field_names_and_messages(browser, live_server, tmp_path):
    """A refused row is told in the manager's language: the field's name and the message by its code."""

    csv_file = tmp_path / "设备.csv"
    csv_file.write_bytes(
        "客户编号,客户名称,地址,纬度,经度,客户等级,负责人,机构类型,去年销售额\nZ1,坏行,某路,91,121,A,rep1,,\n"
        "Z2,没有负责人,某路,31.2,121.5,A,nobody,,\nZ3,政府,某路,31.2,121.5,A,rep1,政府机关,12万\n".encode("gb18030")
    )
    context = phone_context(browser, live_server.url, locale="zh-CN")
    try:
        page = _manager_on_data(context)
        page.locator("#import-form input[type=file]").set_input_files(str(csv_file))
        page.locator("#import-form button[type=submit]").click()
        page.wait_for_selector("#import-report tr.error")
        rows = page.locator("#import-report tr.error")
        cells = [[c.strip() for c in rows.nth(i).locator("td").all_inner_texts()] for i in range(rows.count())]
        assert ["2", "纬度", "从 -90 到 90。"] in cells
        assert ["3", "负责人", "没有用户 'nobody'。"] in cells
        # A value outside a vocabulary lists the words the import reads, not the stored codes; every column by name.
        assert ["4", "机构类型", "须为其中之一：总部 / 分支机构 / 工厂。"] in cells
        assert ["4", "去年销售额", "必须是数字。"] in cells
        text = page.locator("#import-report").inner_text()
        assert not re.search(r"Must be|No user|Not a valid|head_office|last_year_sales", text), text
        # A check (the default) says what would happen, and the counts add up: none new, two at fault.
        expect(page.locator("#import-counts")).to_have_text(
            re.compile(r"^已检查 3 行：将新建 0，更新 0，未变 0；3 行有问题。")
        )
        # Sent for real, the file is refused: no "new" that reads as written, two rows read, two at fault.
        page.locator("#import-form input[name=dry_run]").uncheck()
        page.locator("#import-form button[type=submit]").click()
        expect(page.locator("#import-counts")).to_have_text(re.compile(r"^已读取 3 行：0 行无问题，3 行有问题。"))
        shot(page, "import-zh")
        # An empty file of the kind chosen, to fill in, with the columns named in Chinese.
        page.locator("#import-kind").select_option("devices")
        with page.expect_download() as download:
            page.locator("[data-template='zh-CN']").click()
        assert download.value.suggested_filename == "devices-template-zh-CN.csv"
        header = download.value.path().read_text(encoding="utf-8-sig").splitlines()[0]
        assert header.startswith("归属,品牌,") and "型号" in header
    finally:
        context.close()


def test_the_account_template_sent_unchanged_says_what_it_skipped_and_why(browser, live_server):
    """The Data screen's template has an example row and a note line of the allowed values; sent back as it is,
    the screen counts both rows read, none written, both skipped, and gives each one's reason."""
    context = phone_context(browser, live_server.url, locale="zh-CN")
    try:
        page = _manager_on_data(context)
        with page.expect_download() as download:
            page.locator("[data-template='zh-CN']").click()
        lines = download.value.path().read_text(encoding="utf-8-sig").splitlines()
        assert len(lines) == 3 and "总部" in lines[1] and lines[2].startswith("#")
        page.locator("#import-form input[type=file]").set_input_files(str(download.value.path()))
        page.locator("#import-form input[name=dry_run]").uncheck()
        page.locator("#import-form button[type=submit]").click()
        expect(page.locator("#import-counts")).to_have_text(re.compile(r"^2 行：新建 0，更新 0，未变 0，跳过 2"))
        assert "未写入任何内容" in page.locator("#import-report strong").inner_text()
        cells = [row.locator("td").all_inner_texts() for row in page.locator("#import-report tbody tr").all()]
        assert cells == [
            ["2", "整行", "模板的示例行未修改：不导入。请改成你的数据。"],
            ["3", "整行", "说明行（第一格以 # 开头）：不导入。"],
        ]
        shot(page, "import-template-unchanged-zh")
    finally:
        context.close()


def test_an_export_in_chinese_reads_in_words_with_the_codes_beside(browser, live_server):
    """The Data screen asks for the app's language: the accounts' file names its columns as the Chinese
    template does and says 医疗, 总部 … where the records hold codes, the codes in their own columns."""
    import csv
    import io

    context = phone_context(browser, live_server.url, locale="zh-CN")
    try:
        page = _manager_on_data(context)
        asking = page.expect_request(lambda r: "/api/exports/accounts" in r.url)
        with asking as asked, page.expect_download() as download:
            page.locator("[data-export='accounts']").click()
        assert "lang=zh-CN" in asked.value.url  # the app's language, not the browser's guess
        rows = list(csv.DictReader(io.StringIO(download.value.path().read_text(encoding="utf-8-sig"))))
        assert rows and {"客户名称", "行业", "机构类型", "industry_code", "org_type_code"} <= set(rows[0])
        industries = {"制造", "物流", "金融", "医疗", "教育", "律师事务所", "设计", "贸易", "软件", "酒店"}
        words = {r["行业"] for r in rows if r["industry_code"]}  # an account another test imports has none
        assert words <= industries and len(words) > 3 and "医疗" in words
        assert {r["机构类型"] for r in rows if r["org_type_code"]} <= {"总部", "分支机构", "工厂"}
        assert {r["industry_code"] for r in rows} - {""} <= {
            "manufacturing", "logistics", "finance", "healthcare", "education", "legal", "design", "trade",
            "software", "hospitality",
        }  # fmt: skip
        assert {r["org_type_code"] for r in rows} - {""} <= {"head_office", "branch", "factory"}
        with page.expect_download() as download:
            page.locator("[data-export='opportunities']").click()
        deals = list(csv.DictReader(io.StringIO(download.value.path().read_text(encoding="utf-8-sig"))))
        assert {r["状态"] for r in deals} <= {"进行中", "赢单", "失单"} and "进行中" in {r["状态"] for r in deals}
        stages = {"潜在客户", "有意向客户", "需求分析", "演示/提案", "争取签单", "订单执行"}
        assert {r["阶段"][2:] for r in deals} <= stages
    finally:
        context.close()
