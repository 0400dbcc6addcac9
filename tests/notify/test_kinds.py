"""The words of each kind of notice, in both languages, with "today"/"tomorrow" as of the day it is said."""

from datetime import date

import pytest

from server.notify.kinds import KINDS, TEXT, render

MONDAY = date(2026, 11, 9)


@pytest.mark.parametrize(
    ("locale", "params", "expected"),
    [
        (
            "zh-CN",
            {"date": "2026-11-10", "stops": 9, "leave_at": "08:21"},
            ("明天的路线已排好", "明天：9 个拜访，08:21 出发"),
        ),
        (
            "en",
            {"date": "2026-11-10", "stops": 9, "leave_at": "08:21"},
            ("Tomorrow's route is ready", "Tomorrow: 9 stops, leave at 08:21"),
        ),
        ("en", {"date": "2026-11-09", "stops": 0, "leave_at": None}, ("Today's route is ready", "Today: no stops")),
        (
            "zh-CN",
            {"date": "2026-11-12", "stops": 3, "leave_at": "09:05"},
            ("11月12日的路线已排好", "11月12日：3 个拜访，09:05 出发"),
        ),
        (
            "fr",
            {"date": "2026-11-10", "stops": 1, "leave_at": "08:00"},
            ("明天的路线已排好", "明天：1 个拜访，08:00 出发"),
        ),
    ],
)
def test_the_evening_plan_in_each_language(locale, params, expected):
    assert render("plan_ready", params, locale, MONDAY) == expected


def test_a_change_names_who_made_it_and_the_summary_counts_the_reports():
    changed = {"date": "2026-11-10", "stops": 4, "leave_at": "08:40", "by": "王经理"}
    assert render("plan_changed", changed, "zh-CN", MONDAY)[1] == "王经理 改了明天的路线：4 个拜访，08:40 出发"
    assert (
        render("plan_changed", changed, "en", MONDAY)[1] == "王经理 changed tomorrow's route: 4 stops, leave at 08:40"
    )
    summary = {"date": "2026-11-09", "written": 3, "reps": 5, "visits": 21}
    assert render("day_summary", summary, "en", MONDAY) == (
        "Today's daily reports",
        "3 of 5 wrote their daily report; 21 visits",
    )


def test_both_languages_have_every_text():
    assert set(TEXT["en"]) == set(TEXT["zh-CN"])
    assert set(KINDS) <= set(TEXT["en"])


def test_a_follow_up_names_the_account_and_the_next_step_or_the_visit():
    due = {"date": "2026-11-09", "account": "华东医院", "next_step": "送报价", "purpose": "演示"}
    assert render("follow_up_due", due, "zh-CN", MONDAY) == ("今天要跟进", "华东医院：送报价")
    assert render("follow_up_due", {**due, "next_step": ""}, "en", MONDAY) == (
        "Follow up today",
        "华东医院: follow up on the visit (演示)",
    )
    assert render("follow_up_due", due, "en", date(2026, 11, 8)) == ("Follow up tomorrow", "华东医院: 送报价")
