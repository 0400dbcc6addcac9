from flask import jsonify
from flask.views import MethodView

from ..errors import ValidationFailed
from ..extensions import ErrorSchema
from ..models import utcnow
from ..security import login_required, principal
from . import blp, services
from .schemas import PullArgs, PullSchema, PushResultSchema, PushSchema, ResolvedAnswerSchema, ResolvedSchema

# Every phone calls these two many times a minute: given a schema class, webargs builds an instance (and, for
# a push, the nested mutation schema) on every request; one instance each, built here, serves them all.
_PULL_ARGS = PullArgs()
_PUSH = PushSchema()


@blp.route("/pull")
class Pull(MethodView):
    decorators = [login_required()]

    @blp.arguments(_PULL_ARGS, location="query")
    @blp.response(200, PullSchema)
    def get(self, args):
        """Get the caller's changes after a cursor (no cursor: a paginated full snapshot)"""
        now = utcnow().isoformat()
        try:
            page = services.pull(principal(), args.get("cursor"), args["limit"])
        except services.ResetRequired as exc:
            return jsonify(
                {
                    "changes": [],
                    "cursor": "",
                    "has_more": True,
                    "reset_required": True,
                    "server_time": now,
                    "reason": str(exc),
                }
            )
        # Records are already serialised by their own schemas; skip a second pass over a 1,000-record page.
        return jsonify({**page, "reset_required": False, "server_time": now})


@blp.route("/push")
class Push(MethodView):
    decorators = [login_required()]

    @blp.arguments(_PUSH)
    @blp.response(200, PushResultSchema)
    def post(self, body):
        """Apply queued mutations in seq order; a retried push returns the same results"""
        seqs = [m["seq"] for m in body["mutations"]]
        if seqs != sorted(seqs) or len(set(seqs)) != len(seqs):
            raise ValidationFailed("Mutations must be sent in increasing seq order.", {"mutations": ["Out of order."]})
        result = services.push(principal(), body["client_id"], body["mutations"])
        return {**result, "server_time": utcnow()}


@blp.route("/conflicts/resolved")
class ConflictsResolved(MethodView):
    decorators = [login_required()]

    @blp.arguments(ResolvedSchema)
    @blp.response(200, ResolvedAnswerSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No phone with this client id pushed as the caller")
    def post(self, body):
        """Say that the rep decided the clashing fields of these conflicts (kept theirs or the office's)"""
        return {"resolved": services.resolve_conflicts(principal(), body["client_id"], body["ids"])}
