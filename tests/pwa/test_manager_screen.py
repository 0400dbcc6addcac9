"""The manager's screen in the browser: the team's numbers as charts and tables, cells to accounts, CSV."""
from tests.pwa.conftest import PASSWORD, shot


def test_manager_sees_the_team_numbers_opens_a_mif_cell_and_downloads_csv(page, live_server):
    page.goto("/")
    page.get_by_label("Username").fill("manager")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_selector("#report-time-ratios table")
    ratios = page.locator("#report-time-ratios tbody tr")
    assert ratios.count() == 3  # rep1, rep2 and the team line
    assert page.locator("#chart-ratios").evaluate("(c) => c.width > 0 && !!Chart.getChart(c)")
    for name in ("first-appointment", "activity", "funnel", "cadence", "installed-base", "targets"):
        assert page.locator(f"#report-{name}").is_visible(), name
    shot(page, "team")
    cell = page.locator("#report-installed-base [data-mif]").first
    expected = len(cell.get_attribute("data-mif").split(","))
    cell.click()
    assert page.locator("#mif-accounts li").count() == expected
    with page.expect_download() as download:
        page.locator("[data-csv='time-ratios']").click()
    with open(download.value.path(), encoding="utf-8-sig") as f:
        text = f.read()
    assert text.splitlines()[0].startswith("rep_id,username,name") and "TEAM" in text
    page.get_by_label("Period").select_option("custom")
    page.get_by_label("From", exact=True).fill("2026-12-31")
    page.get_by_label("To", exact=True).fill("2026-12-01")
    page.get_by_role("button", name="Show").click()
    page.wait_for_selector("text=The period ends before it starts.")
