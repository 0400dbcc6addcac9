"""Rules shared by the rep-authored records: visits, activities and appointments."""

from .errors import Forbidden, ValidationFailed


def require_order(start, end, start_field, end_field, strict=False):
    """Refuse an end before (or, if strict, equal to) its start, naming the end field."""
    if start is None or end is None:
        return
    if end < start or (strict and end == start):
        raise ValidationFailed(
            f"{end_field} must be after {start_field}.", {end_field: [f"Must be after {start_field}."]}
        )


def refuse_rep_change(principal, obj, changes):
    """The author of a record never changes."""
    if "rep_id" in changes and changes["rep_id"] != obj.rep_id:
        raise Forbidden("The rep of a record cannot change.", {"rep_id": ["Cannot change."]})
