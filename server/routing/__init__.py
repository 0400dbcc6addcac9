"""The route optimiser: pure Python and OR-Tools, no Flask.

A rep's day is a start and an end location, a working window, the first
appointment time (8:45 by habit), a lunch break and candidate stops with
service times, arrival windows and priorities. `solve(day)` orders the stops
to minimise travel time, keeps every mandatory stop, drops the least valuable
optional ones when not all fit, and returns the times of the day. Small days are
solved exactly (a dynamic programme over subsets); larger ones by OR-Tools
routing with guided local search under a time limit.
"""
from .model import Day, Lunch, Plan, PlannedStop, Stop, Unplannable
from .solver import solve

__all__ = ["Day", "Lunch", "Plan", "PlannedStop", "Stop", "Unplannable", "solve"]
