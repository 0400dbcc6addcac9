"""An exact, bounded dynamic programme for rep days: the proven optimum up to MAX_STOPS stops.

States are (visited set, last stop, lunch taken) with Pareto labels of
(cost so far, departure time): a label is kept unless another in its state is no
worse in both. The objective is travel time plus the penalties of dropped
optional stops; feasibility follows schedule.py exactly.

What makes 25 stops tractable is the bound: a label is dropped as soon as its
cost so far plus a lower bound on what any completion still costs cannot beat the
best plan known. The bound (`_Bound`) is the travel still needed (into the end and
into each mandatory stop, from a stop still free) less the most penalty that can
still be saved, the least of several valid estimates: knapsacks of the reachable
stops against the time left in the day (fractional, and exact in whole penalty
units for small days), and the penalty of every reachable stop less its approach.
Up to SUBSETS_MAX stops it is also at least the cheapest timeless completion
through the stops still free, from a table over all their subsets: close to exact
on days with room for every stop, where the knapsacks cannot bite.

The search starts from a heuristic plan (`upper`, a narrow beam run of the same
search) and stops at a deadline, returning the best plan found as not proven. It
goes layer by layer (a layer holds the labels that have made the same number of
visits) and works on whole layers as numpy arrays: expanding every label by every
stop, keeping each state's Pareto labels and bounding them are array operations,
not a Python loop per label.
"""

import time

import numpy as np

from .schedule import PENALTY_UNIT, lower_bound, upper_bound

MAX_STOPS = 25  # beyond this the search rarely completes in seconds: the local search (ils.py) takes over
BEAM = 64  # labels per layer in the first, heuristic run that finds a plan to beat
SUBSETS_MAX = 16  # up to this many stops the bound also looks up the timeless completions of every subset
TABLE_CELLS = 1 << 22  # the largest knapsack table (sets x penalty units) built for a small day: 32 MB
NEAR = 1  # nearest predecessors looked at per stop when bounding the travel into it
CHUNK_CHILDREN = 1 << 18  # children made at once: bounds the arrays' size and how late a deadline is seen
# Beyond MAX_STOPS (a beam run of a large day) bounding a child costs work in proportion to the stops too:
# chunks hold at most this many children x stops, so that a deadline is seen within a tenth of a second.
CHUNK_CELLS = 1 << 20
INFINITY = float("inf")
NEVER = 1 << 40  # a time later than any day ends


class _Bound:
    """The lower bound on what any completion of a partial plan still costs."""

    def __init__(self, day, matrix):
        stops = day.stops
        n = len(stops)
        self.day = day
        self.ub = np.array([upper_bound(day, s) for s in stops], dtype=np.int64)
        matrix = np.asarray(matrix, dtype=np.float64).reshape(n + 2, n + 2)
        self.mandatory = np.array([j for j, s in enumerate(stops) if s.mandatory], dtype=np.int64)
        self.service = np.array([s.service_s for s in stops], dtype=np.int64)
        self._approaches(matrix, n)
        # Optional stops worth their least approach; leaving one out costs a whole number of penalty units.
        self.items = np.array(
            [j for j, s in enumerate(stops) if not s.mandatory and s.priority * PENALTY_UNIT > self.min_in[j]],
            dtype=np.int64,
        )
        self.prize = np.array([stops[j].priority * PENALTY_UNIT for j in self.items], dtype=np.float64)
        self.units = np.array([stops[j].priority for j in self.items], dtype=np.int64)
        self.short_legs = n > 0 and matrix.max() < PENALTY_UNIT
        least = self.min_in[self.items]
        weight = self.service[self.items] + least  # the visit and its least approach
        self.by_gain = _Knapsack(self.prize - least, weight)
        small = n <= SUBSETS_MAX
        self.completions = _timeless_completions(day, matrix) if small else None
        cells = (1 << n) * (int(self.units.sum()) + 1)
        fits = small and len(self.items) and cells <= TABLE_CELLS
        self.fillings = _fillings(day, self.items, weight) if fits else None
        self.bits = 1 << np.arange(n, dtype=np.int64)  # a set of stops as a number, to look the tables up

    def _approaches(self, matrix, n):
        """For each stop and the end (column n), its NEAR nearest stops as predecessors, their travel
        times, and the travel time from the next nearest (inf when there is none)."""
        travel = matrix[1 : n + 1, 1:].copy()  # stop to stop or end
        travel[np.arange(n), np.arange(n)] = INFINITY  # no stop precedes itself
        # Every label has left the start: a stop is reached from another stop (0 with no other stop).
        self.min_in = travel[:, :n].min(axis=0) if n > 1 else np.zeros(n)
        order = np.argsort(travel, axis=0, kind="stable")  # predecessors of each column, nearest first
        near = min(NEAR, n)
        self.near = order[:near].T  # (n + 1) x near
        self.near_travel = np.take_along_axis(travel, order[:near], axis=0).T
        beyond = np.take_along_axis(travel, order[near : near + 1], axis=0)[0] if n > near else None
        self.beyond = np.full(n + 1, INFINITY) if beyond is None else beyond
        # From the last stop: to itself 0, not inf, so that a visited stop's entry stays finite (unused).
        self.from_last = travel.copy()
        self.from_last[np.arange(n), np.arange(n)] = 0.0

    def approach(self, seen, last):
        """Each label's least travel into each stop and into the end (column n): from a stop it has not
        visited, or from its last stop. A stop it has visited cannot be the predecessor of one to come."""
        if not self.near.shape[1]:
            return np.minimum(self.beyond, self.from_last[last])
        free = ~seen[:, self.near]  # labels x (n + 1) x near
        nearest = np.where(free, self.near_travel, INFINITY).min(axis=2)
        return np.minimum(np.minimum(nearest, self.beyond), self.from_last[last])

    def __call__(self, seen, dep, lunched, last):
        """Least extra cost of each label (travel still to drive minus penalties still to save), inf if hopeless."""
        day, lunch = self.day, self.day.lunch
        into = self.approach(seen, last)
        unvisited = (~seen * self.bits).sum(axis=1) if self.completions is not None else None
        left = (day.day_end - dep).astype(np.float64)
        hopeless = np.zeros(len(dep), dtype=bool)
        if lunch is not None:
            # Either lunch is taken on the road, or the day ends before its window closes.
            due = ~lunched
            hopeless |= due & (dep > lunch.latest)
            left = np.where(due, np.maximum(left - lunch.duration, lunch.latest - dep), left)
        extra = into[:, -1].copy()
        left -= extra
        if len(self.mandatory):
            todo = ~seen[:, self.mandatory]
            approach = into[:, self.mandatory]
            hopeless |= (todo & (dep[:, None] + approach > self.ub[self.mandatory])).any(axis=1)
            extra += (todo * approach).sum(axis=1)
            left -= (todo * (approach + self.service[self.mandatory])).sum(axis=1)
        hopeless |= left < 0
        saved = np.zeros(len(dep))
        if len(self.items):
            approach = into[:, self.items]
            free = ~seen[:, self.items] & (dep[:, None] + approach <= self.ub[self.items])
            # Bounds on the penalties still to save, each valid, the least kept: the knapsack of the stops
            # that fit in the time left, valued at their penalty less their least approach, and every
            # reachable stop's penalty less its approach. Small days add the penalty units that fit (the
            # knapsack solved exactly, in whole units) less the least travel into as many stops as
            # collecting them takes: what decides days whose travel is short beside their visits.
            everything = (free * np.maximum(self.prize - approach, 0.0)).sum(axis=1)
            saved = np.minimum(self.by_gain(free, left), everything)
            if self.fillings is not None:
                units = (self.fillings[unvisited] <= left[:, None]).sum(axis=1) - 1
                least = self._least_travel(free, approach, units) if self.short_legs else 0.0
                saved = np.minimum(saved, units * PENALTY_UNIT - least)
        hope = extra - saved
        if self.completions is not None:
            hope = np.maximum(hope, self.completions[unvisited, last])
        hope[hopeless] = INFINITY
        return hope

    def _least_travel(self, free, approach, units):
        """The least travel into the stops that collecting `units` penalty units takes: at least as many
        stops as the highest priorities reach it with, each approached from a stop still free.

        A bound on saving at most `units` as long as a leg is shorter than a unit: with fewer units
        the penalty lost outweighs any travel saved."""
        most = np.cumsum(np.sort(np.where(free, self.units, 0), axis=1)[:, ::-1], axis=1)
        stops = np.minimum((most < units[:, None]).sum(axis=1) + (units > 0), free.sum(axis=1))
        least = np.cumsum(np.sort(np.where(free, approach, INFINITY), axis=1), axis=1)
        least = np.concatenate([np.zeros((len(units), 1)), np.where(np.isfinite(least), least, 0.0)], axis=1)
        return least[np.arange(len(units)), stops]


def _fillings(day, items, weight):
    """For each set of stops (a bit mask), the least time (visits and least approaches of `items`, the
    optional stops worth visiting) that collects at least v penalty units, for v = 0 .. all of them."""
    n = len(day.stops)
    units = [day.stops[j].priority for j in items]
    position = {int(j): k for k, j in enumerate(items)}
    table = np.full((1 << n, sum(units) + 1), INFINITY)
    table[:, 0] = 0.0
    for j in range(n):  # the sets whose highest stop is j, from the sets of the stops below it
        below = table[: 1 << j]
        with_j = below.copy()
        k = position.get(j)
        if k is not None:
            shifted = np.full_like(below, INFINITY)
            shifted[:, units[k] :] = below[:, : below.shape[1] - units[k]]
            np.minimum(with_j, shifted + weight[k], out=with_j)
        table[1 << j : 2 << j] = with_j
    # at least v units: the least over v and more
    return np.minimum.accumulate(table[:, ::-1], axis=1)[:, ::-1]


def _timeless_completions(day, matrix):
    """The least cost (travel less penalties saved) of ending the day from each stop through any of each
    set of stops, with every mandatory stop of the set, ignoring every rule of time: a table indexed by
    (set as a bit mask, last stop), built from the smaller sets up. Where time does not bind (the day has
    room for all its stops) it is close to exact, and the search then keeps few labels."""
    stops, n = day.stops, len(day.stops)
    travel = np.asarray(matrix, dtype=np.float64)[1 : n + 1, 1 : n + 2]  # from each stop to each stop and the end
    prize = np.array([0 if s.mandatory else s.priority * PENALTY_UNIT for s in stops], dtype=np.float64)
    mandatory = sum(1 << j for j, s in enumerate(stops) if s.mandatory)
    subsets = np.arange(1 << n, dtype=np.int64)
    table = np.full((1 << n, n), INFINITY)
    table[(subsets & mandatory) == 0] = travel[:, n]  # straight to the end: only with no mandatory stop left
    size = np.zeros(1 << n, dtype=np.int64)
    for j in range(n):
        size += subsets >> j & 1
    for k in range(1, n + 1):
        of_size = subsets[size == k]
        for j in range(n):
            with_j = of_size[(of_size >> j & 1) == 1]
            then = table[with_j ^ (1 << j), j] - prize[j]  # going on from j through the rest of the set
            table[with_j] = np.minimum(table[with_j], travel[:, j][None, :] + then[:, None])
    return table


class _Knapsack:
    """Martello-Toth upper bound of a 0/1 knapsack over the same items for many labels at once."""

    def __init__(self, value, weight):
        self.order = np.argsort(-value / weight, kind="stable") if len(value) else np.zeros(0, dtype=np.int64)
        self.value, self.weight = value[self.order], weight[self.order]
        self.ratio = self.value / self.weight if len(value) else self.value
        self.both = np.stack([self.value, self.weight], axis=1)  # value and weight of each item, as two columns

    def __call__(self, free, left):
        """For every label (a row of `free`: which items it may still take, and its `left` capacity): the
        greedy items that fit, then the better of filling the rest from the next item without the
        critical one, or forcing the critical one in at the expense of the last one taken."""
        free = free[:, self.order]
        taken = free & (np.cumsum(np.where(free, self.weight, 0.0), axis=1) <= left[:, None])
        gain, used = (taken @ self.both).T
        room = left - used
        rest = free & ~taken
        rows = np.arange(len(left))
        critical = rest.argmax(axis=1)  # the first free item that does not fit
        has_critical = rest[rows, critical]
        rest[rows, critical] = False
        following = rest.argmax(axis=1)
        has_following = rest[rows, following]
        fill = np.where(has_following, self.ratio[following] * room, 0.0)
        # The last item taken has the least ratio of those taken: items are sorted by falling ratio.
        last_taken = taken.shape[1] - 1 - taken[:, ::-1].argmax(axis=1)
        forced = gain + self.value[critical] - (self.weight[critical] - room) * self.ratio[last_taken]
        forced = np.where(has_critical & taken.any(axis=1), forced, -INFINITY)
        return np.maximum(gain + fill, forced)


def solve_exact(day, matrix, upper=None, time_limit_s=None, beam=BEAM, wide=None, deadline=None):
    """Return (best order, objective, proven); the order is None when no plan keeps every mandatory
    stop (proven: none exists; not proven: none was found in time).

    `upper` is a known plan (order, objective) to beat; without one a narrow beam run of the
    same search finds one first. `time_limit_s` ends the search early with the best plan found
    so far marked not proven; then a beam run `wide` labels a layer (after the time limit, on the
    same search and its tables) returns its plan instead when that is better. `deadline` (on
    `time.perf_counter()`'s clock) ends everything, the wide run included; the time limit only the
    exact search."""
    exact_deadline = deadline
    if time_limit_s is not None:
        exact_deadline = time.perf_counter() + time_limit_s
        if deadline is not None:
            exact_deadline = min(exact_deadline, deadline)
    search = _Search(day, matrix)
    if upper is None and beam:
        upper, _ = search.run(None, beam, exact_deadline)
    best, proven = search.run(upper, None, exact_deadline)
    if not proven and wide:
        widened, _ = search.run(None, wide, deadline)
        if widened is not None and (best is None or widened[1] < best[1]):
            best = widened
    if best is None:
        return None, None, proven
    return tuple(best[0]), best[1], proven


def beam_search(day, matrix, width=BEAM, deadline=None):
    """A good plan quickly, for days too large to prove: the same search keeping `width` labels a layer.
    None when it finds none, or is stopped by `deadline` (on `time.perf_counter()`'s clock) first."""
    best, _ = _Search(day, matrix).run(None, width, deadline)
    return None if best is None else (tuple(best[0]), best[1])


class _Layer:
    """Labels as parallel arrays: `seen` has a row of visited flags a label; `parent` indexes the layer before."""

    __slots__ = ("cost", "dep", "last", "lb", "lunched", "parent", "seen")

    def __init__(self, seen, last, cost, dep, lunched, parent, lb=None):
        self.seen, self.last, self.cost, self.dep = seen, last, cost, dep
        self.lunched, self.parent, self.lb = lunched, parent, lb

    def __len__(self):
        return len(self.dep)

    def take(self, index):
        return _Layer(
            self.seen[index],
            self.last[index],
            self.cost[index],
            self.dep[index],
            self.lunched[index],
            self.parent[index],
            None if self.lb is None else self.lb[index],
        )

    @staticmethod
    def join(parts):
        if len(parts) == 1:
            return parts[0]
        names = ("seen", "last", "cost", "dep", "lunched", "parent") + (("lb",) if parts[0].lb is not None else ())
        return _Layer(**{name: np.concatenate([getattr(p, name) for p in parts]) for name in names})


class _Search:
    def __init__(self, day, matrix):
        self.day = day
        stops = day.stops
        n = self.n = len(stops)
        self.m = np.array(matrix, dtype=np.int64).reshape(n + 2, n + 2)
        self.all_penalty = sum(s.priority for s in stops if not s.mandatory) * PENALTY_UNIT
        self.prize = np.array([0 if s.mandatory else s.priority * PENALTY_UNIT for s in stops], dtype=np.int64)
        self.lo = np.array([lower_bound(day, s) for s in stops], dtype=np.int64)
        self.hi = np.array([upper_bound(day, s) for s in stops], dtype=np.int64)
        self.service = np.array([s.service_s for s in stops], dtype=np.int64)
        self.bound = _Bound(day, self.m)
        self.mandatory_list = np.array([j for j, s in enumerate(stops) if s.mandatory], dtype=np.int64)
        # The latest a label may leave and still reach mandatory stop k in time.
        self.latest_leave = self.hi[self.mandatory_list] - self.bound.min_in[self.mandatory_list].astype(np.int64)
        self.index = np.arange(n, dtype=np.int64)

    def run(self, best, beam, deadline):
        """Best plan [order, objective] and whether the search was complete (not cut by beam or time)."""
        n, m = self.n, self.m
        best_cost = best[1] if best is not None else INFINITY
        if not len(self.mandatory_list) and self.all_penalty + m[0, n + 1] < best_cost:
            best_cost = self.all_penalty + int(m[0, n + 1])
            best = [(), best_cost]
        if n == 0:
            return best, True
        layer = self._admit(self._first_layer(), best_cost)
        history, complete = [], True
        while len(layer):
            if beam is not None and len(layer) > beam:
                complete = False
                layer = layer.take(np.argpartition(layer.lb, beam)[:beam])
            layer = layer.take(self.all_penalty + layer.lb < best_cost)  # a plan found since is as good
            history.append((layer.last, layer.parent))  # all a plan's order needs of the layer
            total = self._finish(layer)
            if len(total) and total.min() < best_cost:
                at = int(total.argmin())
                best_cost = int(total[at])
                best = [self._order(history, at), best_cost]
            # Chunk by chunk: each chunk's children less those dominated within it or bounded out, so
            # that no step is larger than a chunk's and the deadline is seen between them; then the
            # layer's Pareto labels across chunks.
            kept, chunk = [], max(1024, CHUNK_CHILDREN // n)
            if n > MAX_STOPS:
                chunk = max(1, min(chunk, CHUNK_CELLS // (n * n)))
            for start in range(0, len(layer), chunk):
                if deadline is not None and time.perf_counter() > deadline:
                    return best, False
                kept.append(self._admit(_Layer.join(self._expand(layer, start, chunk)), best_cost))
            if deadline is not None and time.perf_counter() > deadline:
                return best, False
            layer = _Layer.join(kept)
            if len(kept) > 1 and len(layer):
                layer = self._pareto(layer)
        return best, complete

    def _first_layer(self):
        """The first visits from the start: straight there, or (with lunch) after lunch taken first,
        where the day starts or near that client (a day re-planned around noon starts this way)."""
        day, lunch, n, m = self.day, self.day.lunch, self.n, self.m
        leg = m[0, 1 : n + 1]
        arrival = np.maximum(day.day_start + leg, self.lo)
        starts = [(np.flatnonzero(arrival <= self.hi), arrival, False)]
        if lunch is not None:
            there = np.maximum(day.day_start + leg, lunch.earliest)
            here = max(day.day_start, lunch.earliest)
            after = np.where(there <= lunch.latest, there + lunch.duration, here + lunch.duration + leg)
            fed = np.maximum(after, self.lo)
            ok = ((there <= lunch.latest) | (here <= lunch.latest)) & (fed <= self.hi)
            starts.append((np.flatnonzero(ok), fed, True))
        parts = []
        for first, arrive, lunched in starts:
            seen = np.zeros((len(first), n), dtype=bool)
            seen[np.arange(len(first)), first] = True
            parts.append(
                _Layer(
                    seen,
                    first,
                    m[0, first + 1] - self.prize[first],
                    arrive[first] + self.service[first],
                    np.full(len(first), lunched, dtype=bool),
                    np.full(len(first), -1),
                )
            )
        return _Layer.join(parts)

    def _finish(self, layer):
        """The objective of ending the day after each label (inf where it cannot end there)."""
        day, lunch, n = self.day, self.day.lunch, self.n
        home = self.m[layer.last + 1, n + 1]
        back = layer.dep + home
        ok = layer.seen[:, self.mandatory_list].all(axis=1)
        if lunch is not None:  # lunch on the way home
            on_way = ~layer.lunched & (back > lunch.latest)
            there = np.maximum(back, lunch.earliest)
            here = np.maximum(layer.dep, lunch.earliest)
            after = np.where(there <= lunch.latest, there + lunch.duration, here + lunch.duration + home)
            ok &= ~on_way | (here <= lunch.latest)
            back = np.where(on_way, after, back)
        ok &= back <= day.day_end
        return np.where(ok, self.all_penalty + layer.cost + home, INFINITY)

    def _order(self, history, at):
        order = []
        for last, parent in reversed(history):
            order.append(int(last[at]))
            at = int(parent[at])
        return tuple(reversed(order))

    def _expand(self, layer, start, count):
        """Children of labels [start, start + count): every stop not yet visited, lunch before it or not."""
        lunch, n = self.day.lunch, self.n
        part = layer.take(slice(start, start + count))
        rows = np.arange(start, start + len(part))
        dep = part.dep
        todo = ~part.seen
        leg = self.m[part.last + 1, 1 : n + 1]
        # A child must leave in time to still reach every mandatory stop left.
        must_leave = np.full((len(part), 1), NEVER)
        if len(self.mandatory_list):
            latest = np.where(todo[:, self.mandatory_list], self.latest_leave, NEVER)
            first_at = latest.argmin(axis=1)
            ordered = np.sort(latest, axis=1)
            second = ordered[:, 1] if latest.shape[1] > 1 else np.full(len(part), NEVER)
            must_leave = np.where(self.index == self.mandatory_list[first_at][:, None], second[:, None], ordered[:, :1])
        arrival = np.maximum(dep[:, None] + leg, self.lo)
        leave = arrival + self.service
        ok = todo & (arrival <= self.hi) & (leave <= must_leave)
        if lunch is not None:
            due = ~part.lunched
            ok &= ~(due[:, None] & (leave > lunch.latest))
        out = [self._children(part, rows, ok, leg, leave, part.lunched)]
        if lunch is not None and due.any():
            there = np.maximum(dep[:, None] + leg, lunch.earliest)  # drive first, eat near the next client
            here = np.maximum(dep, lunch.earliest)[:, None]  # eat first, then drive
            after = np.where(there <= lunch.latest, there + lunch.duration, here + lunch.duration + leg)
            arrival = np.maximum(after, self.lo)
            leave = arrival + self.service
            ok = (
                due[:, None]
                & todo
                & ((there <= lunch.latest) | (here <= lunch.latest))
                & (arrival <= self.hi)
                & (leave <= must_leave)
            )
            out.append(self._children(part, rows, ok, leg, leave, np.ones(len(part), dtype=bool)))
        return out

    def _children(self, part, rows, ok, leg, leave, lunched):
        at, j = np.nonzero(ok)
        seen = part.seen[at]
        seen[np.arange(len(at)), j] = True
        return _Layer(seen, j, part.cost[at] + leg[at, j] - self.prize[j], leave[at, j], lunched[at], rows[at])

    def _admit(self, children, best_cost):
        """The children another label does not dominate, less those whose bound cannot beat `best_cost`."""
        if len(children):
            children = self._pareto(children)
        children.lb = children.cost + self.bound(children.seen, children.dep, children.lunched, children.last)
        return children.take(self.all_penalty + children.lb < best_cost)

    def _pareto(self, children):
        """Each state's Pareto labels. Sorted by state, cost, departure, lunched first, a label is
        dominated by an earlier one of its state that leaves no later and has lunched if it has."""
        # A state as numbers: the visited flags packed 64 to a word, then the last stop.
        flags = np.packbits(children.seen, axis=1, bitorder="little")
        flags = np.pad(flags, ((0, 0), (0, -flags.shape[1] % 8))).view(np.uint64)
        state = np.column_stack([flags, children.last])
        # cost, then departure, then lunched first, as one number (costs and times are whole seconds)
        dep = children.dep - children.dep.min()
        span = int(dep.max()) + 1
        rank = ((children.cost - children.cost.min()) * span + dep) * 2 + ~children.lunched
        order = np.lexsort((rank, *state.T))
        state, dep, lunched = state[order], dep[order], children.lunched[order]
        first = np.ones(len(order), dtype=bool)
        first[1:] = (state[1:] != state[:-1]).any(axis=1)
        offset = (np.cumsum(first) - 1) * span  # later states lower: a state's running minimum is its own
        any_before = self._running_min_before(dep - offset, first) + offset
        lunched_before = self._running_min_before(np.where(lunched, dep - offset, NEVER << 20), first) + offset
        dominated = np.where(lunched, lunched_before <= dep, any_before <= dep)
        return children.take(order[~dominated])

    @staticmethod
    def _running_min_before(values, first):
        """Per state, the least value of the labels before each one (NEVER for a state's first label).

        The values are offset by state so that the states sorted before are never smaller."""
        running = np.minimum.accumulate(values)
        before = np.empty_like(running)
        before[0] = NEVER << 20
        before[1:] = running[:-1]
        before[first] = NEVER << 20
        return before
