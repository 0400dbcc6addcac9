"""SQLAlchemy models; names follow shared/METHOD.md."""
from .accounts import Account, Contact, Device, Opportunity, StageChange
from .base import utcnow
from .field import Activity, Appointment, RoutePlan, RouteStop, Visit
from .users import LoginFailure, RevokedToken, Team, User

__all__ = [
    "Account", "Activity", "Appointment", "Contact", "Device", "LoginFailure", "Opportunity",
    "RevokedToken", "RoutePlan", "RouteStop", "StageChange", "Team", "User", "Visit", "utcnow",
]
