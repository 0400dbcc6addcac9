"""The route optimiser: pure Python and OR-Tools, no Flask.

A rep's day is a start and an end location, a working window, the first
appointment time (8:45 by habit), a lunch break and candidate stops with
service times, arrival windows and priorities. `solve(day)` orders the stops
to minimise travel time, keeps every mandatory stop, drops the least valuable
optional ones when not all fit, and returns the times of the day. Days of up to
25 stops go to a bounded exact search (exact.py) that proves the optimum when it
finishes in time; larger ones to OR-Tools routing with guided local search.
instance.py and __main__.py solve JSON instance files; formats.py reads the
published Solomon and TSPTW formats; fleet.py solves several vehicles (VRPTW).
"""
from .model import Day, Lunch, Plan, PlannedStop, Stop, Unplannable
from .solver import solve

__all__ = ["Day", "Lunch", "Plan", "PlannedStop", "Stop", "Unplannable", "solve"]
