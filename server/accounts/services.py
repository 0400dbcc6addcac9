"""Account rules: territory, reassignment and the A/B/C cadence."""

from sqlalchemy import or_, select

from .. import clock
from ..cadence import overdue_clause
from ..errors import Forbidden, NotFound
from ..extensions import db
from ..models import Account, AccountClassChange, AccountReassignment, Opportunity, User, utcnow
from ..policy import may_manage_user, may_own_new_account, may_write_account
from ..resource import ScopedResource
from ..scoping import account_scope


class AccountService(ScopedResource):
    model = Account
    label = "account"
    default_order = (Account.name,)

    def read_scope(self, principal):
        return account_scope(principal)

    def filter(self, stmt, args):
        if args.get("q"):
            # % and _ typed by the rep are letters to find, not wildcards.
            needle = args["q"].replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            like = f"%{needle}%"
            stmt = stmt.where(or_(Account.name.ilike(like, escape="\\"), Account.address.ilike(like, escape="\\")))
        if args.get("account_class"):
            stmt = stmt.where(Account.account_class == args["account_class"])
        if args.get("region"):
            stmt = stmt.where(Account.region == args["region"])
        if args.get("owner_id"):
            stmt = stmt.where(Account.owner_id == args["owner_id"])
        if args.get("overdue") is True:
            stmt = stmt.where(overdue_clause(clock.now()))
        elif args.get("overdue") is False:
            stmt = stmt.where(~overdue_clause(clock.now()))
        return stmt

    def _check_owner(self, principal, owner_id):
        owner = db.session.get(User, owner_id) if owner_id else None
        if owner_id is not None and (owner is None or owner.role != "rep"):
            raise NotFound(f"No rep {owner_id}.", {"owner_id": ["Unknown rep."]})
        if not principal.is_admin and not may_manage_user(principal, owner):
            raise Forbidden("You may not give this account to that owner.", {"owner_id": ["Not in your team."]})

    def prepare_create(self, principal, data):
        if principal.is_rep:
            data.setdefault("owner_id", principal.id)
        elif not may_own_new_account(principal, data.get("owner_id")):
            raise Forbidden("Say which rep of your team holds the new account.", {"owner_id": ["Name a rep."]})
        self._check_owner(principal, data.get("owner_id"))  # another's rep, or no rep at all: refused

    def check_changes(self, principal, obj, changes):
        if "owner_id" in changes and changes["owner_id"] != obj.owner_id:
            if principal.is_rep:
                raise Forbidden("Only a manager reassigns accounts.", {"owner_id": ["Managers only."]})
            self._check_owner(principal, changes["owner_id"])

    def before_save(self, principal, obj, before):
        if before is not None and "account_class" in before and before["account_class"] != obj.account_class:
            # The classes' history, in the same transaction on every path that writes through here (the API,
            # a phone's sync, an import): a past period's reports read the class it had then.
            db.session.add(
                AccountClassChange(
                    account_id=obj.id,
                    from_class=before["account_class"],
                    to_class=obj.account_class,
                    at=utcnow(),
                    by=principal.id,
                )
            )
        if before is not None and "owner_id" in before and before["owner_id"] != obj.owner_id:
            # The territory's history: who held the account until when (the visit rule and coverage read it).
            db.session.add(
                AccountReassignment(
                    account_id=obj.id,
                    from_owner_id=before["owner_id"],
                    to_owner_id=obj.owner_id,
                    at=utcnow(),
                    by=principal.id,
                )
            )
            # The account's deals move with it: the new owner works them and the funnel credits them.
            for opportunity in db.session.scalars(select(Opportunity).where(Opportunity.account_id == obj.id)):
                opportunity.owner_id = obj.owner_id

    def check_write(self, principal, obj):
        if not may_write_account(principal, obj):
            raise Forbidden("You may read this account but not change it.")

    def apply_delete(self, principal, record_id):
        if principal.is_rep:
            self.get(principal, record_id)
            raise Forbidden("Only a manager deletes accounts.")
        super().apply_delete(principal, record_id)


accounts = AccountService()
