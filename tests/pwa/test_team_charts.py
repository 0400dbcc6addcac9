"""The Team screen's charts in the browser, on a 1280x800 desktop in English and a 360x740 phone in zh-CN: the
funnel, the time split against the baseline, first visits against 8:45, coverage by week and loss reasons each
draw; each shows its table behind a toggle and downloads its own CSV; Chart.js and the charts' code load only
once a manager opens the Team screen. A screenshot of each chart goes to tests/artefacts/."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.pwa.conftest import DESKTOP, PHONE, log_in, phone_context, shot, today_local

CHARTS = ("funnel", "split", "first", "coverage", "losses")
CASES = {"desktop-en": (DESKTOP, "en-US"), "phone-zh": (PHONE, "zh-CN")}
WORDS = {
    "en-US": {"show": "Show the table", "hide": "Hide the table", "funnel_csv": "Stage,Reached stage"},
    "zh-CN": {"show": "显示表格", "hide": "隐藏表格", "funnel_csv": "阶段,到达阶段"},
}


@pytest.fixture(params=sorted(CASES))
def case(request):
    return request.param


@pytest.mark.calendar
def test_each_chart_draws_with_its_table_and_csv(browser, live_server, case):
    viewport, locale = CASES[case]
    context = phone_context(browser, live_server.url, viewport=viewport, locale=locale)
    page = context.new_page()
    errors, scripts = [], []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("request", lambda r: scripts.append(r.url) if r.resource_type == "script" else None)
    log_in(page, "manager", wait="#scorecard tbody tr")
    # The default period's reports drawn first, marked, so the wait below is for the new period's.
    page.wait_for_selector("#report-funnel")
    page.evaluate("() => { document.querySelector('#report-funnel').dataset.before = '1'; }")
    # The demo's weeks of history: a period that holds them all (the default month may have just begun).
    today = today_local()
    page.locator("#period").select_option("custom")
    page.locator("#from").fill((today - timedelta(days=27)).isoformat())
    page.locator("#to").fill(today.isoformat())
    page.locator("#team-filters button[type=submit]").click()
    page.wait_for_selector("#report-funnel:not([data-before])")
    for key in CHARTS:
        page.wait_for_function(
            "(key) => { const c = document.querySelector(`#chart-${key}`);"
            " return !!window.Chart && !!c && c.width > 0 && !!Chart.getChart(c); }",
            arg=key,
        )
    scripts = [u.split("?")[0] for u in scripts]  # versioned URLs: /js/…?v=<hash>
    assert any(u.endswith("/js/views/teamcharts.js") for u in scripts)
    assert any(u.endswith("/vendor/chartjs/chart.umd.min.js") for u in scripts)
    # The funnel: a bar per stage, centred (a funnel, not a histogram), widest at S; its labels carry the
    # conversion and the days in stage.
    funnel = page.evaluate(
        "() => { const c = Chart.getChart(document.querySelector('#chart-funnel'));"
        " return { labels: c.data.labels, bars: c.data.datasets[0].data }; }"
    )
    assert [label[0].split(" ")[0] for label in funnel["labels"]] == list("SPADCO")
    assert all(low == -high for low, high in funnel["bars"])
    widths = [high * 2 for _, high in funnel["bars"]]
    assert widths[0] == max(widths) > 0 and widths == sorted(widths, reverse=True)
    assert "%" in funnel["labels"][1][1]
    # The time split: stacked per rep, with the team and the method's baseline as bars of their own.
    split = page.evaluate(
        "() => { const c = Chart.getChart(document.querySelector('#chart-split'));"
        " return { labels: c.data.labels, stacked: c.options.scales.x.stacked, sets: c.data.datasets.length }; }"
    )
    assert split["stacked"] and split["sets"] >= 4 and len(split["labels"]) == 4  # rep1, rep2, team, baseline
    # First visits: a dot per rep and working day, and the 8:45 line across.
    first = page.evaluate(
        "() => { const c = Chart.getChart(document.querySelector('#chart-first'));"
        " return c.data.datasets.map((d) => ({ label: d.label, n: d.data.length, y: d.data[0]?.y })); }"
    )
    line = first[-1]
    assert "08:45" in line["label"] and line["y"] == 8 * 60 + 45
    assert sum(d["n"] for d in first[:-1]) > 5
    # Each chart's table is hidden until asked for, then shown; the button says which.
    for key in CHARTS:
        table = page.locator(f"#chart-table-{key}")
        button = page.locator(f"[data-chart-table='{key}']")
        expect(table).to_be_hidden()
        expect(button).to_have_text(WORDS[locale]["show"])
        page.locator(f"#chart-block-{key}").scroll_into_view_if_needed()
        shot(page, f"chart-{key}-{case}")
        button.click()
        expect(table).to_be_visible()
        expect(button).to_have_attribute("aria-expanded", "true")
        expect(button).to_have_text(WORDS[locale]["hide"])
        assert table.locator("tbody tr").count() > 0
    # The funnel's CSV is the table's figures, headed in the chosen language.
    with page.expect_download() as download:
        page.locator("[data-chart-csv='funnel']").click()
    with open(download.value.path(), encoding="utf-8-sig") as f:
        lines = f.read().splitlines()
    assert lines[0].startswith(WORDS[locale]["funnel_csv"]) and len(lines) == 7  # a heading and six stages
    assert lines[1].split(",")[0].startswith("S ")
    page.wait_for_function("document.documentElement.scrollWidth <= window.innerWidth")
    context.close()
    assert not errors, errors


@pytest.mark.calendar
def test_a_reps_screens_load_no_chart_code(browser, live_server):
    # Without the service worker, whose install fetches every file of the app for offline use: what the page
    # itself asks for is what its screens load.
    context = phone_context(browser, live_server.url, service_workers="block")
    page = context.new_page()
    scripts = []
    page.on("request", lambda r: scripts.append(r.url) if r.resource_type == "script" else None)
    log_in(page, "rep1")
    page.wait_for_load_state("networkidle")
    assert not [u for u in scripts if "teamcharts" in u or "chartjs" in u]
    assert page.evaluate("() => window.Chart === undefined")
    context.close()
