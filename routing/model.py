"""Plain values in and out of the optimiser. Times are seconds after local midnight."""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Stop:
    id: str
    lat: float | None
    lng: float | None
    service_s: int = 30 * 60
    window: tuple[int, int] | None = None  # arrival must fall in [start, end]
    mandatory: bool = False
    priority: int = 1  # what dropping it costs, in the same unit as travel seconds x 1 hour
    reason: str = ""


@dataclass(frozen=True)
class Lunch:
    earliest: int  # the break starts no earlier than this
    latest: int  # and no later than this
    duration: int


@dataclass(frozen=True)
class Day:
    start: tuple[float, float]
    end: tuple[float, float]
    stops: tuple[Stop, ...]
    day_start: int = 7 * 3600
    day_end: int = 19 * 3600
    first_appointment: int = 8 * 3600 + 45 * 60
    lunch: Lunch | None = None
    # The rest of a day re-planned: a mandatory stop whose time can no longer be met (an appointment
    # the rep cannot reach any more) is dropped with its reason instead of refusing the whole day.
    drop_late: bool = False


@dataclass
class PlannedStop:
    stop_id: str
    arrival: int
    departure: int
    travel_s: int  # from the previous place
    reason: str = ""


@dataclass
class Plan:
    leave_at: int
    back_at: int
    stops: list[PlannedStop]
    dropped: list[tuple[str, str]] = field(default_factory=list)
    travel_s: int = 0
    service_s: int = 0
    lunch_start: int | None = None  # None: no lunch, after the day (back before its window closes), or skipped
    proven_optimal: bool = False
    lunch_skipped: str | None = None  # why a day with a lunch break has none: "window_passed" or "no_room"
    empty_reason: str | None = None  # why no stop is planned: "no_stops", "none_fits" or "not_worth_the_time"


class Unplannable(ValueError):
    """Mandatory stops cannot be in the day; names them and why.

    `stop_ids` are the stops concerned (one, or every mandatory stop when they cannot all fit
    together); `stop_id` is them joined by commas."""

    def __init__(self, stop_ids, reason):
        self.stop_ids = (stop_ids,) if isinstance(stop_ids, str) else tuple(stop_ids)
        self.stop_id = ",".join(self.stop_ids)
        self.reason = reason
        super().__init__(f"stop {self.stop_id}: {reason}")

    def __reduce__(self):  # it travels back from a worker process (the evening batch)
        return type(self), (self.stop_ids, self.reason)


class NoPlanFound(RuntimeError):
    """The search ran out of time without finding an order that keeps every mandatory stop.

    Not a proof that none exists (that is `Unplannable`): a longer time limit may find one.
    `time_limit_s` is the limit the search had; `stop_ids` the mandatory stops it was asked to keep."""

    def __init__(self, time_limit_s, stop_ids=()):
        self.time_limit_s = float(time_limit_s)
        self.stop_ids = tuple(stop_ids)
        super().__init__(
            f"no plan found within the time limit of {self.time_limit_s:g} s "
            "(not proven impossible: a longer limit may find one)"
        )

    def __reduce__(self):  # it travels back from a worker process (the evening batch)
        return type(self), (self.time_limit_s, self.stop_ids)
