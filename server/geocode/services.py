"""Reverse geocoding for prospects: one design for online and offline.

- Online, the phone's new-prospect form asks `GET /api/geocode/reverse` (pwa/js/api.js) for the
  address at the rep's position and puts it in the address field, where the rep can correct it
  before saving.
- Offline, the form cannot ask; the prospect is saved without an address. When its create reaches
  the server (sync push), `fill_addresses` looks the address up after the push has committed and
  writes it as an ordinary edit of the account by its creator (versioned, in the change log), so
  the phone gets it with its next pull. Only accounts created by that push, still without an address
  and with a position, are filled, at most FILL_PER_PUSH of them (each is one rate-limited request
  to the provider); a failure (no answer, quota, network) leaves the address empty for the rep.
  The geocoder's reason code (GeocodeError.code) decides what follows a failure: a refused key, a
  used-up quota or "too many requests" ends the filling for this push (the next request would be
  refused too); any other reason (a timeout, no answer) passes on to the next account.
"""

import logging

from flask import current_app

from ..accounts.services import accounts as account_service
from ..errors import AppError, Unavailable
from ..extensions import db
from ..models import Account
from ..transfer.geocoding import STOPPING, GeocodeError, from_config

log = logging.getLogger(__name__)

FILL_PER_PUSH = 10
# Reason codes (messages.GEO_REASONS) after which no more addresses are asked for in this push.
STOP_FILLING = (*STOPPING, "rate_limited")


def reverse(latitude, longitude):
    """{address, provider} at a WGS-84 position; Unavailable when no geocoder is set or it failed."""
    geocoder = from_config(current_app.config)
    if geocoder is None:
        raise Unavailable("No geocoder is configured on the server.", code="geocoder_off")
    try:
        address = geocoder.reverse(latitude, longitude)
    except LookupError as exc:
        raise Unavailable(f"The geocoder did not answer: {exc}.", code="geocoder_failed") from exc
    return {"address": address[:400] if address else None, "provider": geocoder.provider}


def fill_candidates(mutations):
    """Ids of the accounts a push created without an address but with a position."""
    return [
        m.entity_id
        for m in mutations
        if m.entity == "account"
        and m.op == "create"
        and not (m.data.get("address") or "").strip()
        and m.data.get("latitude") is not None
        and m.data.get("longitude") is not None
    ][:FILL_PER_PUSH]


def fill_addresses(principal, account_ids):
    """Give each of these accounts (if still without an address) the address at its position; return
    how many were filled. Runs after the push committed: a failure here never undoes the push."""
    if not account_ids:
        return 0
    geocoder = from_config(current_app.config)
    if geocoder is None:
        return 0
    filled = 0
    for account_id in account_ids:
        account = db.session.get(Account, account_id)
        if account is None or (account.address or "").strip() or None in (account.latitude, account.longitude):
            continue
        try:
            address = geocoder.reverse(account.latitude, account.longitude)
        except GeocodeError as exc:
            log.info("prospect %s: address not filled (%s: %s)", account_id, exc.code, exc)
            if exc.code in STOP_FILLING:
                break
            continue
        if not address:
            continue
        try:
            account_service.update(principal, account_id, {"address": address[:400]})
            filled += 1
        except AppError as exc:  # out of the rep's territory by now, or refused: leave it
            db.session.rollback()
            log.info("prospect %s: address not filled (%s)", account_id, exc.message)
    return filled
