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
    lunch_start: int | None = None
    proven_optimal: bool = False


class Unplannable(ValueError):
    """A mandatory stop cannot be in the day; names the stop and why."""

    def __init__(self, stop_id, reason):
        super().__init__(f"stop {stop_id}: {reason}")
        self.stop_id = stop_id
        self.reason = reason
