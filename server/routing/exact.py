"""An exact dynamic programme for small days: the proven optimum that OR-Tools must never beat.

States are (visited set, last stop, lunch taken) with Pareto labels of
(travel so far, departure time): a label is kept unless another is no worse in
both. The objective is travel time plus the penalties of dropped optional stops.
Feasibility follows schedule.py exactly.
"""
from .schedule import PENALTY_UNIT, arrive_after_lunch, lower_bound, upper_bound

MAX_STOPS = 11


def _dominated(label, labels):
    return any(o[0] <= label[0] and o[1] <= label[1] for o in labels)


def solve_exact(day, matrix):
    """Return (best order, objective) or None when the mandatory stops cannot all fit."""
    stops = day.stops
    n = len(stops)
    end = n + 1
    mandatory = sum(1 << i for i, s in enumerate(stops) if s.mandatory)
    lunch = day.lunch
    # label: (travel, departure, order tuple)
    layer = {}
    for j, stop in enumerate(stops):
        arrival = max(day.day_start + matrix[0][j + 1], lower_bound(day, stop))
        if arrival <= upper_bound(day, stop):
            layer.setdefault((1 << j, j, False), []).append((matrix[0][j + 1], arrival + stop.service_s, (j,)))
    best = None

    def finish(travel, dep, order, lunched, mask):
        nonlocal best
        if mask & mandatory != mandatory:
            return
        last = order[-1] + 1
        back = dep + matrix[last][end]
        if lunch is not None and not lunched:
            leg = arrive_after_lunch(lunch, dep, matrix[last][end])
            after_day = back <= lunch.latest  # lunch after the day is fine
            if leg is None and not after_day:
                return
            if not after_day:
                back = leg[0]
        if back > day.day_end:
            return
        dropped = sum(s.priority for i, s in enumerate(stops) if not mask >> i & 1)
        cost = travel + matrix[last][end] + dropped * PENALTY_UNIT
        if best is None or cost < best[1]:
            best = (order, cost)

    if not mandatory:
        best = ((), sum(s.priority for s in stops) * PENALTY_UNIT + matrix[0][end])
    while layer:
        nxt = {}
        for (mask, last, lunched), labels in layer.items():
            for travel, dep, order in labels:
                finish(travel, dep, order, lunched, mask)
                for j, stop in enumerate(stops):
                    if mask >> j & 1:
                        continue
                    leg_travel = matrix[last + 1][j + 1]
                    options = [(dep + leg_travel, lunched)]
                    if lunch is not None and not lunched:
                        leg = arrive_after_lunch(lunch, dep, leg_travel)
                        if leg is not None:
                            options.append((leg[0], True))
                    for arrival, now_lunched in options:
                        arrival = max(arrival, lower_bound(day, stop))
                        if arrival > upper_bound(day, stop):
                            continue
                        label = (travel + leg_travel, arrival + stop.service_s, order + (j,))
                        key = (mask | 1 << j, j, now_lunched)
                        bucket = nxt.setdefault(key, [])
                        if not _dominated(label, bucket):
                            bucket[:] = [o for o in bucket if not (label[0] <= o[0] and label[1] <= o[1])]
                            bucket.append(label)
        layer = nxt
    return best
