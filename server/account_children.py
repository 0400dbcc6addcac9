"""The shared rules for records that hang off an account (contacts, devices, opportunities)."""

from marshmallow import fields

from .policy import writable_account
from .resource import ScopedResource
from .schemas import PageArgs, RecordSchema
from .scoping import child_scope


class AccountChildSchema(RecordSchema):
    account_id = fields.UUID(required=True)


class AccountChildQuery(PageArgs):
    account_id = fields.UUID()


class AccountChildService(ScopedResource):
    """Readable and writable exactly where the parent account is."""

    equal_filters = ("account_id",)

    def read_scope(self, principal):
        return child_scope(principal, self.model.account_id)

    def prepare_create(self, principal, data):
        writable_account(principal, data.get("account_id"))

    def check_write(self, principal, obj):
        writable_account(principal, obj.account_id)

    def check_changes(self, principal, obj, changes):
        if "account_id" in changes:
            writable_account(principal, changes["account_id"])
