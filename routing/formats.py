"""Published routing instances, parsed from their standard text formats into instance JSON.

- Solomon VRPTW: vehicle number and capacity, then one line per customer (no, x, y,
  demand, ready, due, service), node 0 the depot. The usual convention of the exact optima
  is followed: Euclidean distance truncated to one decimal, travel time = distance. Values are
  kept in tenths so they stay integers. The 25- and 50-customer instances are the first 25 or
  50 customers of the file.
- TSPTW (Dumas et al. and the sets in the same format): node count, an integer travel-time
  matrix, then `ready due` per node; node 0 the depot, whose window bounds the return.
"""

import math

SCALE = 10  # Solomon distances and times in tenths


def solomon(text, customers=None, time_limit_s=30):
    lines = [line.split() for line in text.splitlines() if line.strip()]
    vehicles = capacity = None
    rows = []
    for k, parts in enumerate(lines):
        if parts[:2] == ["NUMBER", "CAPACITY"]:
            vehicles, capacity = int(lines[k + 1][0]), int(lines[k + 1][1])
        elif len(parts) == 7 and all(_is_number(p) for p in parts):
            rows.append([float(p) for p in parts])
    if vehicles is None or not rows or rows[0][0] != 0:
        raise ValueError("not a Solomon instance: vehicle section or depot line missing")
    if customers is not None:
        rows = rows[: customers + 1]
    points = [(r[1], r[2]) for r in rows]
    matrix = [[math.floor(SCALE * math.dist(a, b) + 1e-9) for b in points] for a in points]
    depot = rows[0]
    return {
        "matrix": matrix,
        "end_node": 0,
        "horizon": [int(depot[4] * SCALE), int(depot[5] * SCALE)],
        "first_arrival": None,
        "vehicles": vehicles,
        "capacity": capacity,
        "time_limit_s": time_limit_s,
        "stops": [
            {
                "id": str(int(r[0])),
                "node": k,
                "service": int(r[6] * SCALE),
                "demand": int(r[3]),
                "window": [int(r[4] * SCALE), int(r[5] * SCALE)],
                "mandatory": True,
                "priority": 1,
            }
            for k, r in enumerate(rows[1:], start=1)
        ],
    }


def tsptw(text, time_limit_s=2):
    numbers = text.split()
    n = int(numbers[0])
    values = [int(float(v)) for v in numbers[1:]]
    if len(values) < n * n + 2 * n:
        raise ValueError(f"not a TSPTW instance: {n} nodes need {n * n + 2 * n} numbers, found {len(values)}")
    matrix = [values[i * n : (i + 1) * n] for i in range(n)]
    windows = [values[n * n + 2 * i : n * n + 2 * i + 2] for i in range(n)]
    return {
        "matrix": matrix,
        "end_node": 0,
        "horizon": windows[0],
        "first_arrival": None,
        "time_limit_s": time_limit_s,
        "stops": [
            {"id": str(i), "node": i, "service": 0, "window": windows[i], "mandatory": True, "priority": 1}
            for i in range(1, n)
        ],
    }


def _is_number(text):
    try:
        float(text)
    except ValueError:
        return False
    return True
