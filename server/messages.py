"""Codes for the per-field messages, so a client shows each in its own language.

Every error envelope with `fields` also carries `field_codes`: the same shape, each English message
replaced by {"code", "params"} (code None when the message has no code; the client then shows the
English text). The import report carries `codes` beside each row's message the same way.

A geocoder's reason inside a "not geocoded" message is itself coded: its `reason` param is one of the
GEO_REASONS codes (the client words it in its own language), with `provider` (the geocoder's name) and
`detail` (the provider's own words or error class, "" when none) beside it.
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
    ("past_day", "A past day."),
    ("no_start", "No start location."),
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
    ("day_over", "The working day ended at {time}: plan tomorrow."),
    ("before_from", "Before `from`."),
    ("not_in_future", "Must not be in the future."),
    ("not_before_visit_day", "Not before the visit's day ({day})."),
    ("too_far_ahead", "More than 24 h in the future."),
    ("unknown", "Unknown."),
    ("not_yours", "Not yours."),
    ("must_be_yourself", "Must be yourself."),
    ("no_change", "No field to change."),
    ("focus_text", "Write what to focus on."),
    ("not_reps_account", "Not one of the rep's accounts."),
    # Administering users and teams.
    ("admins_only", "Admins only."),
    ("managers_only", "Managers only."),
    ("position_pair", "Give latitude and longitude together."),
    ("username_characters", "Letters, digits and . _ @ - only."),
    ("wrong_password", "Wrong password."),
    ("same_password", "Must differ from the old password."),
    ("not_yourself", "Must not be yourself."),
    ("last_admin", "The last active admin stays."),
    ("not_team_rep", "Not an active rep of the same team."),
    ("not_team_manager", "Not an active manager of the team."),
    ("not_your_team", "Unknown team or not yours."),
    ("listed_twice", "Listed twice."),
    ("morning_time", "Must be between 05:00 and 12:00."),
    ("lunch_order", "Not after lunch_latest."),
    ("unknown_time_zone", "Not a known time zone (an IANA name such as Asia/Shanghai)."),
    ("o_when_won", "Must be O when won."),
    ("won_at_o", "Must be won at stage O."),
    # Who and what lies outside the caller's reach, and the records' own rules.
    ("not_your_account", "Unknown account or not in your territory."),
    ("not_your_rep", "Unknown rep or not in your team."),
    ("not_your_user", "Unknown user or not yours."),
    ("unknown_rep", "Unknown rep."),
    ("unknown_visit", "Unknown visit."),
    ("unknown_appointment", "Unknown appointment."),
    ("not_in_your_team", "Not in your team."),
    ("not_in_the_team", "Not in the team."),
    ("name_a_rep", "Name a rep."),
    ("reps_see_themselves", "Reps see themselves only."),
    ("not_reps_manager", "Not a manager of the rep's team."),
    ("not_active_manager", "Not an active manager."),
    ("yourself_or_null", "Only yourself or null."),
    ("other_users", "Belongs to another user."),
    ("not_accounts_opportunity", "Not an opportunity of this account."),
    ("not_accounts_device", "Not a machine of this account."),
    ("needs_check_in", "Needs check_in_at."),
    ("required_to_cancel", "Required to cancel."),
    ("required_when_lost", "Required when lost."),
    ("only_when_lost", "Only when status is lost."),
    ("not_an_image", "Not a JPEG, PNG or WebP image."),
    ("unreadable_image", "Not a readable image."),
    ("body_mismatch", "Does not match the body."),
    ("twice_in_day", "An account appears twice."),
    ("appointment_stop_kept", "An appointment's stop cannot be left out."),
    ("preview_other_day", "Another day's preview."),
    ("preview_token", "Invalid preview token."),
    ("plan_time_limit", "No plan found within the time limit."),
    ("not_writable", "Not writable."),
    ("out_of_order", "Out of order."),
    ("missing", "Missing."),
    ("unsupported_schema", "Unsupported."),
    ("seq_reused", "Reused with a different payload."),
    ("required_for_entity", "Required for this entity."),
    # Limits and staleness, with their figures (the specific "At most" forms before the general one).
    ("at_most_days", "At most {max} days."),
    ("at_most_pixels", "At most {max} pixels."),
    ("at_most_bytes", "At most {max} bytes."),
    ("at_most", "At most {max}."),
    ("expected", "Expected {expected}."),
    ("not_for_report", "Not for this report: {tables}."),
    ("reassigned_at", "Reassigned at {at}."),
    ("stale_preview", "Stale preview: {why}."),
    ("stale_version", "Stale: the current version is {current}."),
    ("photo_digest_differs", "The photo is {stored}; the body is {sent}."),
    ("tiles_need_key", "{source} needs a key: send map_tile_key with it."),
    # The planner's: mandatory stops it cannot keep, named by their accounts.
    ("plan_do_not_fit", "{names}: the mandatory stops cannot all fit in the day."),
    ("plan_no_coordinates", "{names}: no map position."),
    ("plan_window_outside_day", "{names}: its time is outside the working day."),
    ("plan_cannot_be_reached", "{names}: cannot be reached in time."),
    # The CSV import's own messages.
    ("import_name_account", "Name the account: account_key (客户编号) or account_name (客户名称)."),
    ("import_no_account", "No account matches {key}."),
    ("import_many_accounts", "More than one account matches {key}."),
    ("import_same_row", "Same record as row {row}."),
    ("import_not_yours", "This row names a record outside your territory: not imported."),
    ("import_no_user", "No user {user}."),
    ("import_owner_ambiguous", "More than one person is named {user}: use the username."),
    # The geocoder's own refusals before the general "not geocoded" (whose {reason} matches anything).
    (
        "import_geocoder_quota",
        (
            "Not geocoded ({provider} daily quota used up ({detail}); import the file again once it resets): "
            "imported without a position, not plannable."
        ),
    ),
    (
        "import_geocoder_key",
        (
            "Not geocoded ({provider} refused the key ({detail}); check GEOCODER_KEY): "
            "imported without a position, not plannable."
        ),
    ),
    ("import_no_team", "No team {team}."),
    ("import_start_not_geocoded", "Not geocoded ({reason}): imported without a start position, not plannable."),
    ("not_geocoded", "Not geocoded ({reason})."),
    ("import_not_geocoded", "Not geocoded ({reason}): imported without a position, not plannable."),
    ("import_missing_columns", "Missing column(s): {columns}."),
    ("import_ignored_columns", "Ignored column(s): {columns}."),
    ("import_conflict", "Conflicts with a stored record (written meanwhile?); nothing was imported."),
    ("import_not_text", "The file is neither UTF-8 nor GB18030 text; save it as CSV UTF-8."),
    ("import_bad_encoding", "The file is not valid {encoding} text."),
    ("import_empty", "The file is empty: the first row must name the columns."),
    ("import_no_rows", "No rows under the header: nothing to import."),
    ("import_note_line", "A note line (its first cell starts with #): not imported."),
    ("import_example_row", "The template's example row, left as it is: not imported."),
    ("import_bad_row_encoding", "Row {row} is not valid {encoding} text."),
    ("import_bad_csv", "Row {row} cannot be read as CSV: {reason}"),
)

CODES = tuple(dict.fromkeys(code for code, _ in TEMPLATES))

# Why an address was not placed on the map, in the English the server writes (transfer/geocoding.py
# formats these). Specific entries before the general one whose {detail} matches anything.
GEO_REASONS = (
    ("not_found", "address not found"),
    ("no_address", "no address"),
    ("no_geocoder", "no geocoder is configured"),
    ("rate_limited", "{provider} refused requests as too frequent ({detail}); raise GEOCODER_MIN_DELAY_S"),
    ("quota", "{provider} daily quota used up ({detail}); import the file again once it resets"),
    ("key_refused", "{provider} refused the key ({detail}); check GEOCODER_KEY"),
    ("timed_out", "geocoder failed: GeocoderTimedOut"),
    ("unavailable", "geocoder failed: GeocoderUnavailable"),
    ("failed", "geocoder failed: {detail}"),
)
GEO_REASON_CODES = tuple(code for code, _ in GEO_REASONS)
# The messages whose {reason} is a geocoder's.
GEOCODED = {"import_start_not_geocoded", "not_geocoded", "import_not_geocoded"}


def geo_reason(code, **params):
    """The English reason for a code (transfer/geocoding.py's LookupError text)."""
    return dict(GEO_REASONS)[code].format(**params)


def _pattern(template):
    parts = re.split(r"\{(\w+)\}", template)
    regex = "".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>.+?)" for i, p in enumerate(parts))
    return re.compile(f"^{regex}$", re.DOTALL)


_COMPILED = tuple((code, _pattern(template)) for code, template in TEMPLATES)
_REASONS = tuple((code, _pattern(template)) for code, template in GEO_REASONS)


def reason_params(text):
    """{"reason": code, "provider", "detail"} for a geocoder's English reason; an unknown text is a
    "failed" with the text as its detail."""
    for code, pattern in _REASONS:
        found = pattern.match(text)
        if found:
            return {"reason": code, "provider": "", "detail": "", **found.groupdict()}
    return {"reason": "failed", "provider": "", "detail": text}


def message_code(message):
    """{"code", "params"} for one English message; code None when it has none."""
    text = str(message)
    for code, pattern in _COMPILED:
        found = pattern.match(text)
        if found:
            params = found.groupdict()
            if code in GEOCODED:
                params = reason_params(params["reason"])
            return {"code": code, "params": params}
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
