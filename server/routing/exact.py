"""An exact, bounded dynamic programme for rep days: the proven optimum up to MAX_STOPS stops.

States are (visited set, last stop, lunch taken) with Pareto labels of
(cost so far, departure time): a label is kept unless another in its state is no
worse in both. The objective is travel time plus the penalties of dropped
optional stops; feasibility follows schedule.py exactly.

What makes 20 stops tractable is the bound: a label is dropped as soon as its
cost so far, plus the least travel still needed, minus the most penalty it could
still save (a fractional knapsack of the stops that can still be reached, weighed
by their visit and least approach time against the time left in the day), cannot
beat the best plan known. The search starts from a heuristic plan (`upper`) and
stops at a deadline, returning the best plan found as not proven.
"""
import time

from .schedule import PENALTY_UNIT, arrive_after_lunch, lower_bound, upper_bound

MAX_STOPS = 25  # beyond this the search rarely completes in seconds: OR-Tools takes over
BEAM = 64  # labels per layer in the first, heuristic run that finds a plan to beat
INFINITY = float("inf")


class _Bound:
    """The lower bound on what any completion of a partial plan still costs."""

    def __init__(self, day, matrix):
        stops = day.stops
        n = len(stops)
        self.day = day
        self.ub = [upper_bound(day, s) for s in stops]
        # Every label has left the start: a stop is reached from another stop, the end from a stop.
        others = lambda j: [matrix[i + 1][j + 1] for i in range(n) if i != j] or [0]
        self.min_in = [min(others(j)) for j in range(n)]
        self.min_end = min(matrix[i + 1][n + 1] for i in range(n))
        self.mandatory = [(j, s.service_s + self.min_in[j]) for j, s in enumerate(stops) if s.mandatory]
        gainful = [j for j, s in enumerate(stops)
                   if not s.mandatory and s.priority * PENALTY_UNIT > self.min_in[j]]
        # (stop, penalty saved less least approach, visit plus least approach, latest departure to reach it)
        items = [(j, stops[j].priority * PENALTY_UNIT - self.min_in[j], stops[j].service_s + self.min_in[j],
                  self.ub[j] - self.min_in[j]) for j in gainful]
        self.items = sorted(items, key=lambda item: -item[1] / item[2])

    def __call__(self, mask, dep, lunched):
        """Least extra cost (travel still to drive minus penalties still to save), or None if hopeless."""
        day, extra, min_in, ub = self.day, self.min_end, self.min_in, self.ub
        left = day.day_end - dep
        if day.lunch is not None and not lunched:
            if dep > day.lunch.latest:
                return None  # lunch can no longer be taken and the day runs past it
            # Either lunch is taken on the road, or the day ends before its window closes.
            left = max(left - day.lunch.duration, day.lunch.latest - dep)
        left -= extra
        for j, need in self.mandatory:
            if not mask >> j & 1:
                if dep + min_in[j] > ub[j]:
                    return None
                extra += min_in[j]
                left -= need
        if left < 0:
            return None
        # Martello-Toth bound of the 0/1 knapsack: the greedy items that fit, then the better of
        # filling the rest from the next item without the critical one, or forcing the critical one
        # in at the expense of the last one taken.
        gain, previous, critical, forced = 0, None, None, -INFINITY
        for j, value, weight, reach in self.items:
            if mask >> j & 1 or dep > reach:
                continue
            if critical is not None:
                return extra - max(gain + value * left / weight, forced)
            if weight <= left:
                gain += value
                left -= weight
                previous = value / weight
            else:
                critical = j
                if previous is not None:
                    forced = gain + value - (weight - left) * previous
        return extra - max(gain, forced)


def solve_exact(day, matrix, upper=None, time_limit_s=None, beam=BEAM):
    """Return (best order, objective, proven); the order is None when no plan keeps every mandatory
    stop (proven: none exists; not proven: none was found in time).

    `upper` is a known plan (order, objective) to beat; without one a narrow beam run of the
    same search finds one first. `time_limit_s` ends the search early with the best plan found
    so far marked not proven."""
    deadline = None if time_limit_s is None else time.perf_counter() + time_limit_s
    search = _Search(day, matrix)
    if upper is None and beam:
        upper, _ = search.run(None, beam, deadline)
    best, proven = search.run(upper, None, deadline)
    if best is None:
        return None, None, proven
    return tuple(best[0]), best[1], proven


def beam_search(day, matrix, width=BEAM):
    """A good plan quickly, for days too large to prove: the same search keeping `width` labels a layer."""
    best, _ = _Search(day, matrix).run(None, width, None)
    return None if best is None else (tuple(best[0]), best[1])


class _Search:
    def __init__(self, day, matrix):
        self.day, self.matrix = day, matrix
        stops = day.stops
        self.n = len(stops)
        self.mandatory = sum(1 << i for i, s in enumerate(stops) if s.mandatory)
        self.all_penalty = sum(s.priority for s in stops if not s.mandatory) * PENALTY_UNIT
        self.prize = [0 if s.mandatory else s.priority * PENALTY_UNIT for s in stops]
        self.lo = [lower_bound(day, s) for s in stops]
        self.hi = [upper_bound(day, s) for s in stops]
        self.service = [s.service_s for s in stops]
        self.bound = _Bound(day, matrix)
        self.mandatory_list = [j for j, s in enumerate(stops) if s.mandatory]

    def _finish(self, cost, dep, order, lunched):
        """The objective of ending the day after `order`, or None if it cannot end there."""
        day, matrix, lunch = self.day, self.matrix, self.day.lunch
        last, end = order[-1] + 1, self.n + 1
        back = dep + matrix[last][end]
        if lunch is not None and not lunched and back > lunch.latest:  # lunch on the way home
            leg = arrive_after_lunch(lunch, dep, matrix[last][end])
            if leg is None:
                return None
            back = leg[0]
        if back > day.day_end:
            return None
        return self.all_penalty + cost + matrix[last][end]

    def run(self, best, beam, deadline):
        """Best plan [order, objective] and whether the search was complete (not cut by beam or time)."""
        day, matrix, n, lunch = self.day, self.matrix, self.n, self.day.lunch
        lo, hi, service, prize, bound = self.lo, self.hi, self.service, self.prize, self.bound
        latest_leave = [hi[k] - bound.min_in[k] for k in range(n)]
        all_penalty, mandatory = self.all_penalty, self.mandatory
        best_cost = best[1] if best is not None else INFINITY
        if not mandatory and all_penalty + matrix[0][n + 1] < best_cost:
            best_cost = all_penalty + matrix[0][n + 1]
            best = [(), best_cost]

        def keep(cost, dep, lunched, order, mask, last, layer):
            bucket = layer.get((mask, last))
            if bucket is not None:
                for o in bucket:
                    if o[0] <= cost and o[1] <= dep and o[2] >= lunched:
                        return  # dominated: no need to bound it
            hope = bound(mask, dep, lunched)
            if hope is None or all_penalty + cost + hope >= best_cost:
                return
            if bucket is None:
                bucket = layer[(mask, last)] = []
            bucket[:] = [o for o in bucket if not (cost <= o[0] and dep <= o[1] and lunched >= o[2])]
            bucket.append((cost, dep, lunched, order, cost + hope))

        layer = {}
        for j in range(n):
            arrival = max(day.day_start + matrix[0][j + 1], lo[j])
            if arrival <= hi[j]:
                keep(matrix[0][j + 1] - prize[j], arrival + service[j], False, (j,), 1 << j, j, layer)
        complete, expanded = True, 0
        while layer:
            if beam is not None:
                labels = sorted(((k, label) for k, bucket in layer.items() for label in bucket),
                                key=lambda kl: kl[1][4])
                complete = complete and len(labels) <= beam
                layer = {}
                for (mask, last), label in labels[:beam]:
                    layer.setdefault((mask, last), []).append(label)
            nxt = {}
            for (mask, last), labels in layer.items():
                expanded += 1
                if deadline is not None and expanded % 256 == 0 and time.perf_counter() > deadline:
                    return best, False
                row = matrix[last + 1]
                for cost, dep, lunched, order, lb in labels:
                    if all_penalty + lb >= best_cost:
                        continue  # a plan found since it was kept is as good
                    if mask & mandatory == mandatory:
                        total = self._finish(cost, dep, order, lunched)
                        if total is not None and total < best_cost:
                            best_cost, best = total, [order, total]
                    # A child must leave in time to still reach every mandatory stop left.
                    first_k, first, second = None, INFINITY, INFINITY
                    for k in self.mandatory_list:
                        if not mask >> k & 1:
                            latest = latest_leave[k]
                            if latest < first:
                                first_k, first, second = k, latest, first
                            elif latest < second:
                                second = latest
                    lunch_due = lunch is not None and not lunched
                    for j in range(n):
                        if mask >> j & 1:
                            continue
                        leg_travel = row[j + 1]
                        must_leave = second if j == first_k else first
                        arrival = max(dep + leg_travel, lo[j])
                        leave = arrival + service[j]
                        if arrival <= hi[j] and leave <= must_leave and not (lunch_due and leave > lunch.latest):
                            keep(cost + leg_travel - prize[j], leave, lunched, order + (j,), mask | 1 << j, j, nxt)
                        if lunch_due:
                            leg = arrive_after_lunch(lunch, dep, leg_travel)
                            if leg is not None:
                                arrival = max(leg[0], lo[j])
                                leave = arrival + service[j]
                                if arrival <= hi[j] and leave <= must_leave:
                                    keep(cost + leg_travel - prize[j], leave, True, order + (j,),
                                         mask | 1 << j, j, nxt)
            layer = nxt
        return best, complete
