from ..account_children import AccountChildService
from ..models import Contact


class ContactService(AccountChildService):
    model = Contact
    label = "contact"
    default_order = (Contact.name,)
    equal_filters = ("account_id", "purchase_role")


contacts = ContactService()
