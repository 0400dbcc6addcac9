"""Funnel rules: O is won (a deal at stage O is won, and a won deal is at O), a lost one says why; every
move is logged. The phone's rule, kept here for every write path (REST, sync push): reaching O closes the
deal as won."""

from datetime import timedelta

from sync.protocol import MAX_CLOCK_AHEAD_S

from .. import clock
from ..account_children import AccountChildService
from ..errors import ValidationFailed
from ..extensions import db
from ..models import Account, Device, Opportunity, StageChange, utcnow
from ..policy import writable_account


class OpportunityService(AccountChildService):
    model = Opportunity
    label = "opportunity"
    default_order = (Opportunity.stage_changed_at.desc(),)
    equal_filters = ("account_id", "stage", "status")

    def prepare_create(self, principal, data):
        account = writable_account(principal, data.get("account_id"))
        data["owner_id"] = account.owner_id
        if data.get("stage") == "O" and data.get("status", "open") == "open":
            data["status"] = "won"  # O is the order: reaching it closes the deal as won

    def check_changes(self, principal, obj, changes):
        super().check_changes(principal, obj, changes)  # a move to an account the caller may not write: 404
        if changes.get("account_id") is not None and changes["account_id"] != obj.account_id:
            # The deal moves to another account: whoever holds that account works it from now on, and
            # the funnel, the reports and the exports credit them (as a reassigned account's deals do).
            changes["owner_id"] = db.session.get(Account, changes["account_id"]).owner_id
        if changes.get("stage") == "O" and obj.stage != "O" and changes.get("status", obj.status) == "open":
            changes["status"] = "won"  # O is the order: reaching it closes the deal as won

    def validate(self, obj):
        if obj.opened_at is not None and obj.opened_at > clock.now() + timedelta(seconds=MAX_CLOCK_AHEAD_S):
            raise ValidationFailed(
                "An opportunity cannot be opened in the future; check the phone's clock.",
                {"opened_at": ["More than 24 h in the future."]},
            )
        if obj.device_id is not None:
            device = db.session.get(Device, obj.device_id)
            if device is None or device.account_id != obj.account_id:
                raise ValidationFailed(
                    "The machine is not at this account.", {"device_id": ["Not a machine of this account."]}
                )
        status = obj.status or "open"
        stage = obj.stage or "S"
        if status == "won" and stage != "O":
            raise ValidationFailed("A won opportunity is an order: set stage O.", {"stage": ["Must be O when won."]})
        if stage == "O" and status != "won":
            # Stays O while reopened or lost: the funnel's O and the won count would disagree.
            raise ValidationFailed(
                "O is won: an order cannot be open or lost; move the stage back first.",
                {"status": ["Must be won at stage O."]},
            )
        if status == "lost" and not obj.loss_reason:
            raise ValidationFailed("Say why the opportunity was lost.", {"loss_reason": ["Required when lost."]})
        if status != "lost" and obj.loss_reason:
            raise ValidationFailed(
                "Only a lost opportunity has a loss reason.", {"loss_reason": ["Only when status is lost."]}
            )

    def before_save(self, principal, obj, before):
        old_stage = None if before is None else before.get("stage", obj.stage)
        old_status = None if before is None else before.get("status", obj.status)
        if before is None or old_stage != obj.stage or old_status != obj.status:
            now = utcnow()
            if before is None:
                # The first stage is entered when the opportunity was opened, which may be earlier (offline).
                obj.opened_at = obj.opened_at or now
                now = min(obj.opened_at, now)
            obj.stage_changed_at = now
            obj.closed_at = now if obj.status in ("won", "lost") else None
            obj.stage_changes.append(
                StageChange(
                    from_stage=old_stage,
                    to_stage=obj.stage or "S",
                    status=obj.status or "open",
                    changed_at=now,
                    changed_by=principal.id,
                )
            )


opportunities = OpportunityService()
