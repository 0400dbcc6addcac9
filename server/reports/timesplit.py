"""Where a rep's working day went: pure interval arithmetic, no database.

A recorded interval is a visit (check-in to check-out: face-to-face) or a day-clock activity.
Intervals are cut at local midnight, so a day spanning midnight counts on both dates. Within a
day, every instant is counted once: a visit wins over any activity it overlaps (the rep was with
a customer), and of two overlapping activities the one started later wins (the rep switched).
The working day runs from the first recorded instant to the last; the time in between that
nothing covers is `unrecorded`, shown as its own share rather than hidden.
"""
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

CATEGORIES = ("face_to_face", "travel", "admin", "meeting")
BASELINE_PCT = {"face_to_face": 18.9, "travel": 18.8, "admin": 29.8, "meeting": 32.5}


@dataclass(frozen=True)
class Interval:
    """[start, end) in epoch seconds (an aware datetime is converted); reports sweep numbers, not datetimes."""

    start: float
    end: float
    category: str
    is_visit: bool = False

    def __post_init__(self):
        for name in ("start", "end"):
            value = getattr(self, name)
            if isinstance(value, datetime):
                object.__setattr__(self, name, value.timestamp())


def by_local_day(intervals, tz):
    """Cut intervals at local midnights of `tz`; return {local date: [Interval]}."""
    days = {}
    for item in intervals:
        start, end = item.start, item.end
        while start < end:
            day = datetime.fromtimestamp(start, tz).date()
            midnight = datetime.combine(day + timedelta(days=1), time(0), tz).timestamp()
            piece_end = min(end, midnight)
            days.setdefault(day, []).append(Interval(start, piece_end, item.category, item.is_visit))
            start = piece_end
    return days


def day_minutes(intervals):
    """Minutes per category, `unrecorded` and `span` for one day's intervals."""
    result = dict.fromkeys((*CATEGORIES, "unrecorded", "span"), 0.0)
    if not intervals:
        return result
    spans = sorted((i.start, i.end, i.is_visit, i.category) for i in intervals)
    bounds = sorted({s for s, _, _, _ in spans} | {e for _, e, _, _ in spans})
    for a, b in zip(bounds, bounds[1:]):
        winner = None
        for start, end, is_visit, category in spans:
            if start > a:
                break  # sorted by start: nothing later covers [a, b)
            if end >= b and (winner is None or (is_visit, start) >= winner[:2]):
                winner = (is_visit, start, category)
        result[winner[2] if winner else "unrecorded"] += (b - a) / 60
    result["span"] = (bounds[-1] - bounds[0]) / 60
    return result


def add(total, part):
    for key, value in part.items():
        total[key] = total.get(key, 0.0) + value
    return total


def shares(minutes):
    """Percent of the working-day span per category and unrecorded (one decimal)."""
    span = minutes.get("span", 0.0)
    keys = (*CATEGORIES, "unrecorded")
    return {k: round(minutes.get(k, 0.0) / span * 100, 1) if span else None for k in keys}


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())
