"""The scope's accounts as the A/B/C cadence found them at an instant, in SQL: each account's holder and class
then (asof.py), its last contact then (server/last_contact.py `then`: one look-up in the visits' index per
account) and whether it was overdue then (server/cadence.py's rule, each account by its holder's team's days
then). The database decides and counts; the reports get text ids and the instants of the overdue accounts
only, no UUID object or datetime per account of the territory.

`since <= instant - days` is `is_overdue`'s `(instant - since).days >= days`, exactly: whole days are compared
as instants, to the microsecond, never as rounded seconds."""

from collections import defaultdict
from datetime import timedelta
from functools import cached_property

from sqlalchemy import and_, case, func, literal, select

from .. import last_contact, team_settings
from ..models import Account
from ..models.base import UTCDateTime
from .asof import as_of as accounts_as_of
from .asof import rules_as_of
from .rows import core_rows, raw_text


class Standing:
    """The accounts the scope's reps held at `instant` and that existed then."""

    def __init__(self, scope, instant):
        self.instant = instant
        self.then = accounts_as_of(scope, instant)  # each account's holder and class then
        self.rules = {rep.id: rules_as_of(scope, instant) for rep in scope.reps}  # their team's days then

    @cached_property
    def _held(self):
        """The accounts with their holder, class and last contact then (a CTE: the last contact is looked up
        once per account however often a statement names it), and whether each was overdue then (SQL)."""
        held = (
            select(
                Account.id,
                Account.name,
                self.then.owner.label("holder"),
                self.then.account_class.label("cls"),
                last_contact.then(self.instant).label("contact"),  # None: never visited by then
                Account.created_at,
            )
            .where(self.then.held, Account.created_at <= self.instant)
            .cte("held")
            .prefix_with("MATERIALIZED")
        )
        # Never visited: its days count from its creation.
        return held, func.coalesce(held.c.contact, held.c.created_at) <= self._cutoff(held.c.holder, held.c.cls)

    @cached_property
    def accounts(self):
        """One row per account: (holder's raw id, class, overdue then, raw id, name, last contact then,
        created), the last four for the overdue accounts only."""
        held, overdue = self._held
        return core_rows(
            select(
                raw_text(held.c.holder),
                held.c.cls,
                overdue,
                *(case((overdue, column)) for column in (raw_text(held.c.id), held.c.name, held.c.contact)),
                case((overdue, held.c.created_at)),
            )
        )

    def counts(self, created_since):
        """[(holder's raw id, class, overdue then, created, accounts)] grouped by the database; `created` is
        the creation of the accounts created at or after `created_since`, None for the others."""
        held, overdue = self._held
        inner = select(
            raw_text(held.c.holder).label("holder"),
            held.c.cls,
            overdue.label("overdue"),
            case((held.c.created_at >= created_since, held.c.created_at)).label("created"),
        ).subquery()
        return core_rows(select(*inner.c, func.count()).group_by(*inner.c))

    def _cutoff(self, owner, cls):
        """The instant less the account's class's days, by its holder's team's days then (an unknown class:
        the longest), as SQL: an account last seen by this moment was overdue at the instant."""
        teams = defaultdict(list)  # the days of a class -> the reps whose team had them
        for rep_id, rules in self.rules.items():
            teams[tuple(sorted(rules.cadence_days.items()))].append(rep_id)
        if len(teams) <= 1:
            days = next(iter(teams), tuple(sorted(team_settings.METHOD.cadence_days.items())))
            return case(*[(cls == c, self._less(d)) for c, d in days], else_=self._less(max(d for _, d in days)))
        whens = []
        for days, reps in teams.items():
            holder = owner.in_(reps)
            whens += [(and_(holder, cls == c), self._less(d)) for c, d in days]
            whens.append((holder, self._less(max(d for _, d in days))))
        return case(*whens, else_=self._less(team_settings.METHOD.longest_cadence))

    def _less(self, days):
        return literal(self.instant - timedelta(days=days), UTCDateTime())


def standing(scope, instant):
    """The scope's accounts' standing at `instant`, read once per scope and instant."""
    return scope.once(("standing", instant), lambda: Standing(scope, instant))
