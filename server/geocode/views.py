"""`/api/geocode/reverse`: a thin view over geocode/services.py."""

from flask.views import MethodView

from .. import limits
from ..extensions import ErrorSchema
from ..limits import limiter
from ..security import login_required
from . import blp
from .schemas import ReverseArgs, ReverseSchema
from .services import reverse


@blp.route("/geocode/reverse")
class Reverse(MethodView):
    decorators = [limiter.limit(limits.reverse_geocoding), login_required()]

    @blp.arguments(ReverseArgs, location="query")
    @blp.response(200, ReverseSchema)
    @blp.alt_response(429, schema=ErrorSchema, description="Over GEOCODE_RATE_LIMIT")
    @blp.alt_response(503, schema=ErrorSchema, description="No geocoder configured, or it did not answer")
    def get(self, args):
        """The address at a WGS-84 position (the phone fills a new prospect's address with it)"""
        return reverse(args["latitude"], args["longitude"])
