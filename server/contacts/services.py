from ..account_children import AccountChildService
from ..models import Contact


class ContactService(AccountChildService):
    model = Contact
    label = "contact"
    default_order = (Contact.name,)

    def filter(self, stmt, args):
        stmt = super().filter(stmt, args)
        if args.get("purchase_role"):
            stmt = stmt.where(Contact.purchase_role == args["purchase_role"])
        return stmt


contacts = ContactService()
