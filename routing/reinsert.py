"""Put dropped optional stops back into a plan: each at its cheapest position that keeps every rule.

OR-Tools' guided local search penalises arcs, never a dropped stop, so nothing in it pushes an
optional stop that was left out early back into the day. After the search, each optional stop not
in the order (highest priority first) is tried at every position, cheapest added travel first, and
kept at the first position where the project's own timing rule (`best_timeline`) accepts the day and
the travel it adds is less than the penalty it saves. A window test on earliest departures and latest
arrivals, computed without lunch (which only ever delays), rules out most positions before the full
timing runs.
"""

import time

from .schedule import PENALTY_UNIT, best_timeline, lower_bound, upper_bound


def reinsert(day, order, matrix, deadline=None):
    """`order` (stop indexes) with as many dropped optional stops inserted as fit and pay; stops at
    `deadline` (on `time.perf_counter()`'s clock). Returns a new list; `order` is left as it was."""
    order = list(order)
    n = len(day.stops)
    end = n + 1
    lo = [lower_bound(day, s) for s in day.stops]
    hi = [upper_bound(day, s) for s in day.stops]
    service = [s.service_s for s in day.stops]
    kept = set(order)
    candidates = [i for i, s in enumerate(day.stops) if i not in kept and not s.mandatory]
    candidates.sort(key=lambda i: (-day.stops[i].priority, min(matrix[0][i + 1], matrix[i + 1][end])))
    for i in candidates:
        if deadline is not None and time.perf_counter() >= deadline:
            break
        earliest, latest = _slack(day, order, matrix, lo, hi, service)
        prize = day.stops[i].priority * PENALTY_UNIT
        nodes = [0] + [j + 1 for j in order] + [end]
        positions = []
        for k in range(len(order) + 1):
            a, b = nodes[k], nodes[k + 1]
            added = matrix[a][i + 1] + matrix[i + 1][b] - matrix[a][b]
            if added >= prize:
                continue
            arrival = max(earliest[k] + matrix[a][i + 1], lo[i])
            if arrival > hi[i] or arrival + service[i] + matrix[i + 1][b] > latest[k]:
                continue
            positions.append((added, k))
        for _, k in sorted(positions):
            if deadline is not None and time.perf_counter() >= deadline:
                break
            trial = order[:k] + [i] + order[k:]
            if best_timeline(day, trial, matrix) is not None:
                order = trial
                break
    return order


def _slack(day, order, matrix, lo, hi, service):
    """For each gap k (before visit k; len(order): before the end): the earliest the rep can leave the
    place before it, and the latest the rep can leave it and still keep every later window and the day's
    end, both without lunch."""
    earliest, dep, prev = [day.day_start], day.day_start, 0
    for j in order:
        dep = max(dep + matrix[prev][j + 1], lo[j]) + service[j]
        earliest.append(dep)
        prev = j + 1
    latest = [0] * (len(order) + 1)
    # `arrive_by`: the latest arrival at the place after the gap that keeps the rest of the day.
    arrive_by, nxt = day.day_end, len(day.stops) + 1
    for k in range(len(order), -1, -1):
        latest[k] = arrive_by  # the place after gap k must be reached by then
        if k:
            j = order[k - 1]
            arrive_by = min(hi[j], arrive_by - matrix[j + 1][nxt] - service[j])
            nxt = j + 1
    return earliest, latest
