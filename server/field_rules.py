"""Rules shared by the rep-authored records: visits, activities and appointments."""
from .errors import Forbidden, ValidationFailed
from .extensions import db
from .models import User
from .scoping import may_manage_user


def require_order(start, end, start_field, end_field, strict=False):
    """Refuse an end before (or, if strict, equal to) its start, naming the end field."""
    if start is None or end is None:
        return
    if end < start or (strict and end == start):
        raise ValidationFailed(
            f"{end_field} must be after {start_field}.", {end_field: [f"Must be after {start_field}."]}
        )


def check_rep_write(principal, rep_id, kind):
    """Reps change only their own records; managers and admins those of reps they manage."""
    if principal.is_rep and rep_id != principal.id:
        raise Forbidden(f"A rep changes only their own {kind}s.")
    if not principal.is_rep and not may_manage_user(principal, db.session.get(User, rep_id)):
        raise Forbidden(f"This {kind} belongs to a rep outside your team.")


def refuse_rep_change(principal, obj, changes):
    """The author of a record never changes."""
    if "rep_id" in changes and changes["rep_id"] != obj.rep_id:
        raise Forbidden("The rep of a record cannot change.", {"rep_id": ["Cannot change."]})

