"""The time split on hand-built days: every figure worked out by hand in the test."""

import itertools
import random
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from server.reports.timesplit import CATEGORIES, Interval, by_local_day, day_minutes, shares

SH = ZoneInfo("Asia/Shanghai")


def at(hh, mm, day=4):
    return datetime(2026, 11, day, hh, mm, tzinfo=SH)


def test_the_methods_day_10h14_with_116_min_face_to_face_is_18_9_percent():
    day = [
        Interval.of(at(8, 0), at(9, 56), "face_to_face", True),  # 116 min
        Interval.of(at(9, 56), at(11, 52), "travel"),  # 116 min
        Interval.of(at(11, 52), at(14, 55), "admin"),  # 183 min
        Interval.of(at(14, 55), at(18, 14), "meeting"),
    ]  # 199 min; the day is 08:00-18:14 = 614 min
    minutes = day_minutes(day)
    assert minutes["span"] == 614 and minutes["face_to_face"] == 116 and minutes["unrecorded"] == 0
    assert shares(minutes) == {"face_to_face": 18.9, "travel": 18.9, "admin": 29.8, "meeting": 32.4, "unrecorded": 0.0}


def test_a_visit_inside_an_activity_is_counted_once_as_face_to_face():
    minutes = day_minutes(
        [Interval.of(at(9, 0), at(11, 0), "travel"), Interval.of(at(10, 0), at(10, 30), "face_to_face", True)]
    )
    assert (minutes["face_to_face"], minutes["travel"], minutes["span"]) == (30, 90, 120)


def test_overlapping_activities_give_the_overlap_to_the_later_one():
    minutes = day_minutes([Interval.of(at(9, 0), at(11, 0), "admin"), Interval.of(at(10, 0), at(12, 0), "meeting")])
    assert (minutes["admin"], minutes["meeting"], minutes["span"]) == (60, 120, 180)


def test_gaps_are_unrecorded_time_not_hidden():
    minutes = day_minutes([Interval.of(at(9, 0), at(10, 0), "travel"), Interval.of(at(11, 0), at(12, 0), "admin")])
    assert (minutes["unrecorded"], minutes["span"]) == (60, 180)
    assert shares(minutes)["unrecorded"] == 33.3


def test_a_day_spanning_midnight_counts_on_both_dates():
    days = by_local_day([Interval.of(at(22, 0), at(1, 0, day=5), "meeting")], SH)
    assert {d: day_minutes(v)["meeting"] for d, v in days.items()} == {date(2026, 11, 4): 120, date(2026, 11, 5): 60}


def test_utc_instants_are_dated_in_the_teams_time_zone():
    utc = datetime(2026, 11, 2, 16, 30, tzinfo=UTC)  # 00:30 on 3 November in Shanghai
    days = by_local_day([Interval.of(utc, utc + timedelta(hours=1), "travel")], SH)
    assert list(days) == [date(2026, 11, 3)] and day_minutes(days[date(2026, 11, 3)])["travel"] == 60


def test_no_records_no_shares():
    assert shares(day_minutes([]))["face_to_face"] is None


def test_the_shares_add_up_to_exactly_100_each_within_a_tenth_of_its_exact_value():
    rng = random.Random(20261206)
    sums = set()
    for _ in range(2000):
        parts = {k: rng.choice([0, rng.randint(1, 600), rng.random() * 600]) for k in (*CATEGORIES, "unrecorded")}
        span = sum(parts.values())
        if not span:
            continue
        got = shares({**parts, "span": span})
        sums.add(round(sum(got.values()), 6))
        for k, minutes in parts.items():
            assert abs(got[k] - minutes / span * 100) < 0.1 + 1e-9, (parts, got)
    assert sums == {100.0}


def test_three_equal_thirds_are_not_99_9_percent():
    got = shares({"travel": 60, "admin": 60, "unrecorded": 60, "span": 180})
    assert sorted(v for v in got.values() if v) == [33.3, 33.3, 33.4] and round(sum(got.values()), 6) == 100.0


def covered_by_rule(intervals):
    """The time split worked out piece by piece between every two bounds, the rule as the module states it:
    of the intervals covering a piece a visit wins, then the later start (then the later end, the greater
    category); a piece nothing covers is unrecorded."""
    result = dict.fromkeys(("face_to_face", "travel", "admin", "meeting", "unrecorded", "span"), 0.0)
    bounds = sorted({i.start for i in intervals} | {i.end for i in intervals})
    for a, b in itertools.pairwise(bounds):
        over = [i for i in intervals if i.start <= a and i.end >= b]
        best = max(over, key=lambda i: (i.is_visit, i.start, i.end, i.category), default=None)
        result[best.category if best else "unrecorded"] += (b - a) / 60
    if bounds:
        result["span"] = (bounds[-1] - bounds[0]) / 60
    return result


def test_crowded_days_split_as_the_rule_says_piece_by_piece():
    rng = random.Random(20261104)
    start_of_day = at(0, 0).timestamp()
    for _ in range(300):
        day = []
        for _ in range(rng.randint(1, 30)):
            start = start_of_day + rng.choice([rng.randint(0, 40) * 900, rng.uniform(0, 36000)])
            end = start + rng.choice([0, rng.randint(1, 12) * 900, rng.uniform(1, 7200)])
            category = rng.choice(["face_to_face", "travel", "admin", "meeting"])
            day.append(Interval(start, end, category, category == "face_to_face"))
        day += rng.sample(day, k=min(len(day), rng.randint(0, 3)))  # the same record twice, as a sync retry may
        assert day_minutes(day) == covered_by_rule(day)
