"""The scope's accounts as the A/B/C cadence found them at an instant, in SQL: each account's holder and class
then (asof.py), its last contact then (server/last_contact.py: one grouped query over their visits, joined)
and whether it was overdue then (server/cadence.py's rule, each account by its holder's team's days then).
The reports have the database count them and read only the accounts they list: no Python loop walks the
territory, no id becomes a UUID object.

`since <= instant - days` is `is_overdue`'s `(instant - since).days >= days`, exactly: whole days are compared
as instants, to the microsecond, never as rounded seconds."""

from collections import defaultdict
from datetime import timedelta

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
        self.rules = {rep.id: rules_as_of(scope, rep, instant) for rep in scope.reps}  # their team's days then
        self.contact = last_contact.then(instant)  # None: never visited by then
        # Never visited: its days count from its creation.
        self.overdue = func.coalesce(self.contact, Account.created_at) <= self._cutoff()

    def _cutoff(self):
        """The instant less the account's class's days, by its holder's team's days then (an unknown class:
        the longest), as SQL: an account last seen by this moment was overdue at the instant."""
        teams = defaultdict(list)  # the days of a class -> the reps whose team had them
        for rep_id, rules in self.rules.items():
            teams[tuple(sorted(rules.cadence_days.items()))].append(rep_id)
        owner, cls = self.then.owner, self.then.account_class
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

    def select(self, *columns):
        """A select of `columns` over the accounts (with `latest` joined for the last contact)."""
        return select(*columns).select_from(Account).where(self.then.held, Account.created_at <= self.instant)

    def counts(self, *by):
        """[(holder's raw id, class, overdue, *by, accounts)] grouped by the database."""
        inner = self.select(
            raw_text(self.then.owner).label("holder"),
            self.then.account_class.label("cls"),
            self.overdue.label("overdue"),
            *(column.label(f"by_{n}") for n, column in enumerate(by)),
        ).subquery()
        return core_rows(select(*inner.c, func.count()).group_by(*inner.c))

    def overdue_accounts(self):
        """[(raw id, name, holder's raw id, class, last contact, created)] of the accounts overdue then."""
        return core_rows(
            self.select(
                raw_text(Account.id),
                Account.name,
                raw_text(self.then.owner),
                self.then.account_class,
                self.contact,
                Account.created_at,
            ).where(self.overdue)
        )


def standing(scope, instant):
    """The scope's accounts' standing at `instant`, built once per scope and instant."""
    return scope.once(("standing", instant), lambda: Standing(scope, instant))
