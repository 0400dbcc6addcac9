"""The route optimiser: pure Python, numpy, PyVRP and OR-Tools, no Flask.

A rep's day is a start and an end location, a working window, the first
appointment time (8:45 by habit), a lunch break and candidate stops with
service times, arrival windows and priorities. `solve(day)` orders the stops
to minimise travel time, keeps every mandatory stop, drops the least valuable
optional ones when not all fit, and returns the times of the day. Days of up to
25 stops go to a bounded exact search (exact.py) that proves the optimum when it
finishes in time; larger ones, and those it cannot finish, to PyVRP's iterated local
search (ils.py); when that finds no plan, CP-SAT on a day of up to 40 stops
(proof.py: an order, or a proof that the mandatory stops cannot all be kept),
OR-Tools routing on a larger one. Every order is timed by the project's own
rule (schedule.best_timeline) before it is kept.
instance.py and __main__.py solve JSON instance files; formats.py reads the
published Solomon and TSPTW formats; fleet.py solves several vehicles (VRPTW).

`Unplannable` is a proof that the mandatory stops cannot be kept; `NoPlanFound` says only that
none was found within the time limit. The solver (numpy, PyVRP, OR-Tools) is imported on first use of
`solve`, so that importing the package (the CLI's start-up, the server's) stays cheap.
"""

from .model import Day, Lunch, NoPlanFound, Plan, PlannedStop, Stop, Unplannable

__all__ = ["Day", "Lunch", "NoPlanFound", "Plan", "PlannedStop", "Stop", "Unplannable", "solve"]


def __getattr__(name):
    if name == "solve":
        from .solver import solve

        return solve
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
