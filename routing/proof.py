"""A proof that a day's mandatory stops cannot all be kept, or an order that keeps them: CP-SAT (OR-Tools).

For days of up to PROOF_MAX stops whose mandatory stops no heuristic fitted. The model is the day's
rule (schedule.py) on the mandatory stops alone: a circuit from the start through every mandatory
stop to the end (`AddCircuit`), an arrival time per stop inside its window (08:45 and booked times
included, `lower_bound` / `upper_bound`), the drive and the visit between consecutive stops, back by
the day's end, and the lunch break on one leg (eaten before or after the drive, starting in its
window) or, with none on the road, back before its window closes.

It is a relaxation of the day, so that INFEASIBLE is a proof: the optional stops are left out (with
travel times shortened to the shortest path through any place of the day, leaving one out never
lengthens a leg, even on a matrix without the triangle inequality) and times are rounded in the
day's favour. Each mandatory stop may be left out too, but keeping it is an assumption: when CP-SAT
answers INFEASIBLE it names a set of them that cannot all be kept, made smaller while time is left (each
left out in turn, kept out when the rest still cannot fit); that set is the reason given. A feasible
answer's order is only a proposal: the solver times it again with `best_timeline` and keeps it only when
that accepts it. Runs are reproducible: a time limit, one worker, a seed.
"""

import math
import time

PROOF_MAX = 40  # stops (mandatory and optional) of the largest day proved; beyond, CP-SAT rarely answers in time
SEED = 1
INFEASIBLE, FEASIBLE, UNKNOWN = "infeasible", "feasible", "unknown"


def shortest_legs(matrix):
    """The least travel between every two places through any others (Floyd-Warshall), as floats."""
    import numpy as np

    legs = np.asarray(matrix, dtype=np.float64).copy()
    for k in range(len(legs)):
        np.minimum(legs, legs[:, k : k + 1] + legs[k : k + 1, :], out=legs)
    return legs


def prove(day, matrix, deadline, narrow=True):
    """(INFEASIBLE, stops): these mandatory stops provably cannot all be kept; (FEASIBLE, order): an order of
    all of them; (UNKNOWN, None): no answer by `deadline` (`time.perf_counter()`). Stops are indexes into
    `day.stops`. `narrow`: make the set named smaller while time is left (else CP-SAT's first answer)."""
    from ortools.sat.python import cp_model

    from .schedule import lower_bound, upper_bound

    mandatory = [i for i, s in enumerate(day.stops) if s.mandatory]
    if not mandatory:
        return FEASIBLE, []
    places = [0] + [i + 1 for i in mandatory] + [len(day.stops) + 1]
    legs = shortest_legs(matrix)[places][:, places]
    end = len(mandatory) + 1
    model = cp_model.CpModel()
    stops = [day.stops[i] for i in mandatory]
    windows = [(math.floor(max(lower_bound(day, s), day.day_start)), math.ceil(upper_bound(day, s))) for s in stops]
    if any(early > late for early, late in windows):  # a visit that cannot start in its window at all
        return INFEASIBLE, [i for i, (early, late) in zip(mandatory, windows) if early > late]
    arrival = [None] + [model.NewIntVar(early, late, f"t{k}") for k, (early, late) in enumerate(windows, start=1)]
    back = model.NewIntVar(math.floor(day.day_start), math.ceil(day.day_end), "back")
    arrival.append(back)
    leave = [math.floor(day.day_start)] + [arrival[k] + int(s.service_s) for k, s in enumerate(stops, start=1)]
    # Every mandatory stop kept is an assumption: on INFEASIBLE, CP-SAT names a set of them that cannot all be
    # kept (leaving the others out is allowed, and only relaxes the day).
    kept = [model.NewBoolVar(f"kept{k}") for k in range(1, end)]
    # Straight home only when every stop is left out: no rule holds an empty day.
    arcs = [(end, 0, True), (0, end, model.NewBoolVar("empty"))] + [(k, k, ~kept[k - 1]) for k in range(1, end)]
    uses = {}
    for a in range(end):
        for b in range(1, end + 1):
            if a == b or (a == 0 and b == end):
                continue
            used = model.NewBoolVar(f"x{a}_{b}")
            arcs.append((a, b, used))
            uses[a, b] = used
            model.Add(arrival[b] >= leave[a] + math.floor(legs[a, b])).OnlyEnforceIf(used)
    model.AddCircuit(arcs)
    lunch = day.lunch
    if lunch is not None:
        start = model.NewIntVar(
            math.floor(max(lunch.earliest, day.day_start)), math.ceil(max(lunch.latest, day.day_start)), "lunch"
        )
        skipped = model.NewBoolVar("no_lunch_on_the_road")
        model.Add(back <= math.ceil(lunch.latest)).OnlyEnforceIf(skipped)
        taken = [skipped]
        for (a, b), used in uses.items():
            drive = math.floor(legs[a, b])
            then_eat, eat_then = model.NewBoolVar(f"a{a}_{b}"), model.NewBoolVar(f"b{a}_{b}")
            model.AddImplication(then_eat, used)
            model.AddImplication(eat_then, used)
            # Drive, then eat near the next stop; or eat, then drive.
            model.Add(start >= leave[a] + drive).OnlyEnforceIf(then_eat)
            model.Add(arrival[b] >= start + lunch.duration).OnlyEnforceIf(then_eat)
            model.Add(start >= leave[a]).OnlyEnforceIf(eat_then)
            model.Add(arrival[b] >= start + lunch.duration + drive).OnlyEnforceIf(eat_then)
            taken += [then_eat, eat_then]
        model.AddExactlyOne(taken)
    status, found = _answer(model, kept, deadline)
    if status == UNKNOWN:
        return UNKNOWN, None
    if status == INFEASIBLE:
        return INFEASIBLE, _least(model, kept, found, deadline if narrow else 0, mandatory)
    order, here = [], 0
    while True:
        here = next((b for (a, b), used in uses.items() if a == here and found.BooleanValue(used)), end)
        if here == end:
            return FEASIBLE, order
        order.append(mandatory[here - 1])


def _answer(model, assumed, deadline):
    """(status, solver) of the model with the literals `assumed` true, or (UNKNOWN, None) by `deadline`."""
    from ortools.sat.python import cp_model

    left = deadline - time.perf_counter()
    if left <= 0:
        return UNKNOWN, None
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = left
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = SEED
    model.ClearAssumptions()
    model.AddAssumptions(assumed)
    status = solver.Solve(model)
    if status == cp_model.INFEASIBLE:
        return INFEASIBLE, solver
    if status in (cp_model.FEASIBLE, cp_model.OPTIMAL):
        return FEASIBLE, solver
    return UNKNOWN, None


def _least(model, kept, solver, deadline, mandatory):
    """The mandatory stops (indexes into `day.stops`) of a set that cannot all be kept: CP-SAT's core, made
    smaller while time allows by leaving each out in turn and keeping it out when the rest still cannot fit."""
    literal = {var.Index(): (var, i) for var, i in zip(kept, mandatory)}

    def core(answered, among):
        found = [v for v in answered.SufficientAssumptionsForInfeasibility() if v in among]
        return found or list(among)

    left, k = core(solver, literal), 0
    while k < len(left) and len(left) > 1:
        rest = left[:k] + left[k + 1 :]
        status, answered = _answer(model, [literal[v][0] for v in rest], deadline)
        if status == INFEASIBLE:
            left = core(answered, rest)
        elif status == UNKNOWN:
            break
        else:
            k += 1
    return sorted(literal[v][1] for v in left)
