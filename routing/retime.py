"""Arrival times of a day whose stops the rep reordered by hand: no solving, one pass down the list.

The phone runs the same pass (pwa/js/dayedit.js) to show the new times without signal; the server
runs it again on the change it receives, so both agree for the same travel model.

- A stop already visited keeps the visit's times; the rep leaves it at check-out (or, while the
  visit is open, when its planned service time is up, and not before `now`).
- The rest cannot start before `now`: an arrival is the departure before plus the travel.
- A fixed stop (an appointment or a pinned time) is never reached early: the rep waits; reached
  after its time, it is late by the difference.
- Lunch (`lunch_s`) is taken once, at the first departure at or after `lunch_at`, when the pass
  reaches it (None: no lunch, e.g. the edit was made after the lunch window).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Leg:
    point: tuple[float, float] | None
    service_s: int
    fixed_at: datetime | None = None
    visited: tuple[datetime, datetime | None] | None = None  # check-in, check-out


@dataclass(frozen=True)
class Timed:
    arrival: datetime
    travel_s: int
    late_s: int = 0


def retime(origin, depart_at, legs, now, travel_s, lunch_at=None, lunch_s=0):
    """The legs' arrivals and travel, in order, leaving `origin` at `depart_at`.

    `travel_s(a, b)` gives seconds between two points."""
    cursor, here, lunch_due, out = depart_at, origin, lunch_at is not None, []
    for leg in legs:
        travel = travel_s(here, leg.point) if here is not None and leg.point is not None else 0
        if leg.visited is not None:
            arrival, left = leg.visited
            cursor = left or max(now, arrival + timedelta(seconds=leg.service_s))
            out.append(Timed(arrival, travel))
        else:
            cursor = max(cursor, now)
            if lunch_due and cursor >= lunch_at:
                cursor += timedelta(seconds=lunch_s)
                lunch_due = False
            arrival = cursor + timedelta(seconds=travel)
            late = 0
            if leg.fixed_at is not None:
                if arrival < leg.fixed_at:
                    arrival = leg.fixed_at
                else:
                    late = int((arrival - leg.fixed_at).total_seconds())
            cursor = arrival + timedelta(seconds=leg.service_s)
            out.append(Timed(arrival, travel, late))
        here = leg.point if leg.point is not None else here
    return out
