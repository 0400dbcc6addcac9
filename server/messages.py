"""Codes for the per-field messages, so a client shows each in its own language.

Every error envelope with `fields` also carries `field_codes`: the same shape, each English message
replaced by {"code", "params"} (code None when the message has no code; the client then shows the
English text). The import report carries `codes` beside each row's message the same way.
"""
import re

# Order matters where one template is a prefix of another: the longer one first.
TEMPLATES = (
    ("required", "Missing data for required field."),
    ("required", "Required."),
    ("null", "Field may not be null."),
    ("invalid", "Invalid value."),
    ("invalid", "Invalid input."),
    ("unknown_field", "Unknown field."),
    ("invalid_type", "Invalid type."),
    ("invalid_type", "Invalid input type."),
    ("not_string", "Not a valid string."),
    ("not_string", "Not a valid utf-8 string."),
    ("not_integer", "Not a valid integer."),
    ("not_number", "Not a valid number."),
    ("not_number", "Must be a number."),
    ("number_too_large", "Number too large."),
    ("not_finite", "Special numeric values (nan or infinity) are not permitted."),
    ("not_finite", "Must be a finite number."),
    ("whole_number", "Must be a whole number."),
    ("not_boolean", "Not a valid boolean."),
    ("not_date", "Not a valid date."),
    ("not_datetime", "Not a valid datetime."),
    ("naive_datetime", "Not a valid aware datetime."),
    ("not_time", "Not a valid time."),
    ("not_email", "Not a valid email address."),
    ("not_uuid", "Not a valid UUID."),
    ("not_list", "Not a valid list."),
    ("not_mapping", "Not a valid mapping type."),
    ("length_between", "Length must be between {min} and {max}."),
    ("length_equal", "Length must be {equal}."),
    ("too_long", "Longer than maximum length {max}."),
    ("too_short", "Shorter than minimum length {min}."),
    ("range_between", "Must be greater than or equal to {min} and less than or equal to {max}."),
    ("at_least", "Must be greater than or equal to {min}."),
    ("at_most", "Must be less than or equal to {max}."),
    ("more_than", "Must be greater than {min}."),
    ("less_than", "Must be less than {max}."),
    ("one_of", "Must be one of: {choices}."),
    ("pattern", "String does not match expected pattern."),
    ("bad_character", "Contains a character that cannot be stored (NUL or a lone surrogate)."),
    ("year_range", "Must lie between the years {min} and {max}."),
    ("out_of_range", "Out of range."),
    ("month_format", "Use YYYY-MM, 1900-2199."),
    ("cannot_change", "Cannot change."),
    ("already_exists", "Already exists."),
    ("must_be_after", "Must be after {start}."),
    ("before_from", "Before `from`."),
    ("not_in_future", "Must not be in the future."),
    ("too_far_ahead", "More than 24 h in the future."),
    ("unknown", "Unknown."),
    ("not_yours", "Not yours."),
    ("must_be_yourself", "Must be yourself."),
    ("no_change", "No field to change."),
    ("focus_text", "Write what to focus on."),
    ("not_reps_account", "Not one of the rep's accounts."),
    # The CSV import's own messages.
    ("import_name_account", "Name the account: account_key (客户编号) or account_name (客户名称)."),
    ("import_no_account", "No account matches {key}."),
    ("import_many_accounts", "More than one account matches {key}."),
    ("import_same_row", "Same record as row {row}."),
    ("import_no_user", "No user {user}."),
    ("import_not_geocoded", "Not geocoded ({reason}): imported without a position, not plannable."),
    ("import_missing_columns", "Missing column(s): {columns}."),
    ("import_ignored_columns", "Ignored column(s): {columns}."),
    ("import_conflict", "Conflicts with a stored record (written meanwhile?); nothing was imported."),
    ("import_not_text", "The file is neither UTF-8 nor GB18030 text; save it as CSV UTF-8."),
    ("import_bad_encoding", "The file is not valid {encoding} text."),
    ("import_empty", "The file is empty: the first row must name the columns."),
    ("import_bad_row_encoding", "Row {row} is not valid {encoding} text."),
    ("import_bad_csv", "Row {row} cannot be read as CSV: {reason}"),
)

CODES = tuple(dict.fromkeys(code for code, _ in TEMPLATES))


def _pattern(template):
    parts = re.split(r"\{(\w+)\}", template)
    regex = "".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>.+?)" for i, p in enumerate(parts))
    return re.compile(f"^{regex}$", re.DOTALL)


_COMPILED = tuple((code, _pattern(template)) for code, template in TEMPLATES)


def message_code(message):
    """{"code", "params"} for one English message; code None when it has none."""
    text = str(message)
    for code, pattern in _COMPILED:
        found = pattern.match(text)
        if found:
            return {"code": code, "params": found.groupdict()}
    return {"code": None, "params": {}}


def field_codes(fields):
    """The codes of a `fields` mapping, in its shape: lists of messages become lists of codes."""
    if isinstance(fields, dict):
        return {key: field_codes(value) for key, value in fields.items()}
    if isinstance(fields, (list, tuple)):
        if all(isinstance(m, str) for m in fields):
            return [message_code(m) for m in fields]
        return [field_codes(m) for m in fields]
    return [message_code(fields)]
