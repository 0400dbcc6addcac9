"""Where a rep's working day went: pure interval arithmetic, no database.

A recorded interval is a visit (check-in to check-out: face-to-face) or a day-clock activity.
Intervals are cut at local midnight, so a day spanning midnight counts on both dates. Within a
day, every instant is counted once: a visit wins over any activity it overlaps (the rep was with
a customer), and of two overlapping activities the one started later wins (the rep switched).
The working day runs from the first recorded instant to the last; the time in between that
nothing covers is `unrecorded`, shown as its own share rather than hidden.
"""

import heapq
import itertools
import math
from datetime import date, datetime, time, timedelta
from typing import NamedTuple

CATEGORIES = ("face_to_face", "travel", "admin", "meeting")
BASELINE_PCT = {"face_to_face": 18.9, "travel": 18.8, "admin": 29.8, "meeting": 32.5}


class Interval(NamedTuple):
    """[start, end) in epoch seconds: reports sweep numbers, not datetimes."""

    start: float
    end: float
    category: str
    is_visit: bool = False

    @classmethod
    def of(cls, start: datetime, end: datetime, category, is_visit=False):
        return cls(start.timestamp(), end.timestamp(), category, is_visit)


class LocalDays:
    """epoch seconds -> local date in `tz`, cached per 15 minutes (every UTC offset is a multiple of 15 min,
    so a local midnight never falls inside a bucket)."""

    def __init__(self, tz):
        self.tz, self.cache = tz, {}

    def __call__(self, epoch):
        bucket = int(epoch // 900)
        day = self.cache.get(bucket)
        if day is None:
            day = self.cache[bucket] = datetime.fromtimestamp(bucket * 900, self.tz).date()
        return day


def by_local_day(intervals, tz, local_day=None):
    """Cut intervals at local midnights of `tz`; return {local date: [Interval]}."""
    local_day = local_day or LocalDays(tz)
    days, midnights = {}, {}
    for item in intervals:
        start, end = item.start, item.end
        while start < end:
            day = local_day(start)
            midnight = midnights.get(day)
            if midnight is None:
                midnight = midnights[day] = datetime.combine(day + timedelta(days=1), time(0), tz).timestamp()
            if end <= midnight and start == item.start:
                days.setdefault(day, []).append(item)  # the common case: inside one day
                break
            piece_end = min(end, midnight)
            days.setdefault(day, []).append(Interval(start, piece_end, item.category, item.is_visit))
            start = piece_end
    return days


def day_minutes(intervals):
    """Minutes per category, `unrecorded` and `span` for one day's intervals.

    One sweep over the day's bounds: between two bounds, of the intervals covering that piece a visit wins,
    then the later start, then the later end and the greater category (the same rule in full, so that equal
    inputs always give equal figures). The covering intervals wait in a heap by that rank, so a day of n
    records costs n log n, not n squared: a write recomputes its day (repdays.py)."""
    result = dict.fromkeys((*CATEGORIES, "unrecorded", "span"), 0.0)
    if not intervals:
        return result
    ranked = sorted(intervals, key=lambda i: (i.is_visit, i.start, i.end, i.category))
    by_start = sorted(range(len(ranked)), key=lambda k: ranked[k].start)
    bounds = sorted({i.start for i in ranked} | {i.end for i in ranked})
    covering, upcoming = [], iter(by_start)  # covering: (-rank, end), the best first
    following = next(upcoming, None)
    for a, b in itertools.pairwise(bounds):
        while following is not None and ranked[following].start <= a:
            heapq.heappush(covering, (-following, ranked[following].end))
            following = next(upcoming, None)
        while covering and covering[0][1] < b:  # it ended by a: it covers nothing from here on
            heapq.heappop(covering)
        result[ranked[-covering[0][0]].category if covering else "unrecorded"] += (b - a) / 60
    result["span"] = (bounds[-1] - bounds[0]) / 60
    return result


def add(total, part):
    for key, value in part.items():
        total[key] = total.get(key, 0.0) + value
    return total


def shares(minutes):
    """Percent of the working-day span per category and unrecorded, to one decimal, adding up to exactly 100.0:
    each share rounded down to a tenth, then the tenths left over go to the largest remainders (the largest
    remainder method; each share stays within a tenth of its exact value)."""
    span = minutes.get("span", 0.0)
    keys = (*CATEGORIES, "unrecorded")
    if not span:
        return dict.fromkeys(keys)
    exact = {k: minutes.get(k, 0.0) / span * 1000 for k in keys}  # in tenths of a percent
    tenths = {k: math.floor(v + 1e-9) for k, v in exact.items()}  # 1e-9: a whole tenth computed a hair under
    left = 1000 - sum(tenths.values())
    for k in sorted(keys, key=lambda k: (tenths[k] - exact[k], keys.index(k)))[: max(left, 0)]:
        tenths[k] += 1
    return {k: tenths[k] / 10 for k in keys}


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())
