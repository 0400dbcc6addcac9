"""The times of a day for a given visiting order: the one rule every solver and check shares.

Nodes: 0 is the start (home or office), 1..n the day's stops in `day.stops`
order, n + 1 the end. The rep leaves just in time for the first visit; no visit
starts before the first-appointment time, nor before its window opens (a fixed
time, an appointment or a pin, is kept as booked); waiting is allowed. Lunch is taken after a visit: between two visits
(before or after driving) or after the last one, or after the day when the day
ends before the lunch window closes.
"""

PENALTY_UNIT = 3600  # dropping a priority-1 stop costs as much as an hour of driving


def lower_bound(day, stop):
    """The earliest start of a visit. None starts before the first-appointment time (the 8:45
    habit), even where the customer opens earlier; a fixed time (an appointment or a pin, a window
    of one instant) is kept as booked."""
    if stop.window is None:
        return day.first_appointment
    if stop.window[0] == stop.window[1]:
        return stop.window[0]
    return max(stop.window[0], day.first_appointment)


def upper_bound(day, stop):
    return stop.window[1] if stop.window else day.day_end - stop.service_s


def arrive_after_lunch(lunch, dep, travel):
    """(earliest arrival, lunch start) when lunch falls in this leg, or None if its window has passed."""
    start_there = max(dep + travel, lunch.earliest)  # drive first, eat near the next client
    if start_there <= lunch.latest:
        return start_there + lunch.duration, start_there
    start_here = max(dep, lunch.earliest)  # eat first, then drive
    if start_here <= lunch.latest:
        return start_here + lunch.duration + travel, start_here
    return None


def timeline(day, order, matrix, lunch_after):
    """Earliest times for `order` (stop indexes) with lunch after visit number `lunch_after`.

    `lunch_after` is a position 0..len(order) (after that many visits: 0 before the first one), or
    None for no lunch on the road (no lunch configured, or lunch after the day). Returns a dict of
    times, or None.
    """
    end = len(day.stops) + 1
    stops = [day.stops[i] for i in order]
    arrivals, departures = [], []
    prev, dep, lunch_start = 0, day.day_start, None
    for k, (index, stop) in enumerate(zip(order, stops)):
        travel = matrix[prev][index + 1]
        if lunch_after == k:
            leg = arrive_after_lunch(day.lunch, dep, travel)
            if leg is None:
                return None
            arrival, lunch_start = leg
        else:
            arrival = dep + travel
        arrival = max(arrival, lower_bound(day, stop))
        if arrival > upper_bound(day, stop):
            return None
        dep = arrival + stop.service_s
        arrivals.append(arrival)
        departures.append(dep)
        prev = index + 1
    travel = matrix[prev][end]
    if lunch_after == len(order) and order:
        leg = arrive_after_lunch(day.lunch, dep, travel)
        if leg is None:
            return None
        back, lunch_start = leg
    else:
        back = dep + travel
    if back > day.day_end and order:  # with no visit left, how late the rep gets home is no rule of the plan
        return None
    if day.lunch is not None and lunch_after is None and order and back > day.lunch.latest:
        return None  # the day runs through lunch: it has to be taken on the road
    leave = arrivals[0] - matrix[0][order[0] + 1] if order else day.day_start
    if lunch_after == 0 and order:
        # Lunch before the first visit: drive first and eat near the client, or (when that would
        # start the break too late) eat where the day starts, then drive.
        first_leg = matrix[0][order[0] + 1]
        leave = lunch_start - first_leg if lunch_start >= day.day_start + first_leg else lunch_start
    travel_total = sum(matrix[a][b] for a, b in zip([0] + [i + 1 for i in order], [i + 1 for i in order] + [end]))
    return {
        "leave": leave,
        "arrivals": arrivals,
        "departures": departures,
        "back": back,
        "lunch_start": lunch_start,
        "travel": travel_total,
    }


def best_timeline(day, order, matrix):
    """The lunch placement that brings the rep home earliest for `order`, or None if none fits."""
    # Before the first visit last: on equal days the rep eats between visits, as before.
    options = [None] if day.lunch is None else [None, *range(1, len(order) + 1), *([0] if order else [])]
    feasible = [t for t in (timeline(day, order, matrix, option) for option in options) if t is not None]
    return min(feasible, key=lambda t: t["back"]) if feasible else None
