"""`POST /api/imports/<kind>` (multipart CSV, managers and admins) and `GET /api/exports/<kind>`."""
from flask import current_app, request
from flask.views import MethodView
from marshmallow import fields, validate

from ..csvio import csv_response
from ..errors import Forbidden, NotFound, ValidationFailed
from ..reports.scope import resolve
from ..schemas import StrictSchema
from .. import limits
from ..limits import limiter
from ..security import login_required, principal
from . import blp
from .exporting import KINDS, export_rows
from .geocoding import from_config
from .importing import HANDLERS, import_file


class ImportArgs(StrictSchema):
    dry_run = fields.Boolean(load_default=False)
    skip_invalid = fields.Boolean(load_default=False)
    owner = fields.String(validate=validate.Length(max=64), metadata={"description": "Username owning imported accounts"})


class ImportFile(StrictSchema):
    file = fields.Raw(metadata={"type": "string", "format": "binary"})


class ImportReportSchema(StrictSchema):
    kind = fields.String()
    dry_run = fields.Boolean()
    rows = fields.Integer()
    created = fields.Integer()
    updated = fields.Integer()
    unchanged = fields.Integer()
    skipped = fields.Integer()
    geocoded = fields.Integer()
    written = fields.Boolean()
    errors = fields.List(fields.Dict(), metadata={
        "description": "the first 500 problems: row, field, message and codes ({code, params} per message)"})
    warnings = fields.List(fields.Dict(), metadata={"description": "the first 500 warnings"})
    error_count = fields.Integer(metadata={"description": "how many problems there were in all"})
    warning_count = fields.Integer()


class ExportArgs(StrictSchema):
    team_id = fields.UUID()
    rep_id = fields.UUID()
    from_ = fields.Date(data_key="from")
    to = fields.Date()
    format = fields.String(load_default="csv", validate=validate.OneOf(("csv", "json")))


class ExportSchema(StrictSchema):
    columns = fields.List(fields.String())
    rows = fields.List(fields.Dict())


@blp.before_app_request  # before the app's own body checks (errors.read_chunked_body), which it sets the limit for
def _larger_uploads():
    # Imports take files larger than other bodies; past this they get 413 before any parsing.
    if request.endpoint == "transfer.Import":
        request.max_content_length = current_app.config["IMPORT_MAX_BYTES"]


@blp.route("/imports/<string:kind>")
class Import(MethodView):
    decorators = [limiter.limit(limits.imports), login_required()]

    @blp.arguments(ImportArgs, location="query")
    @blp.arguments(ImportFile, location="files")
    @blp.response(200, ImportReportSchema)
    def post(self, args, _files, kind):
        """Import accounts, devices (MIF) or contacts from a CSV file (UTF-8 or GB18030)"""
        if kind not in HANDLERS:
            raise NotFound("Import accounts, devices or contacts.", {"kind": ["Unknown."]})
        caller = principal()
        if caller.role == "rep":
            raise Forbidden("Managers and admins import data.")
        upload = request.files.get("file")
        if upload is None:
            raise ValidationFailed("Send the CSV as a multipart field named `file`.", {"file": ["Missing."]})
        report = import_file(caller, kind, upload.stream, owner=args.get("owner"),
                             dry_run=args["dry_run"], skip_invalid=args["skip_invalid"],
                             geocoder=from_config(current_app.config))
        if report.errors and not report.written and not report.dry_run:
            raise ValidationFailed("Nothing was imported: fix the rows listed (or import with skip_invalid).",
                           {"rows": [f"row {e['row']}, {e['field']}: {e['message']}" for e in report.errors[:200]]},
                           extra={"report": report.as_dict()})
        return report.as_dict()


@blp.route("/exports/<string:kind>")
class Export(MethodView):
    decorators = [login_required()]

    @blp.arguments(ExportArgs, location="query")
    @blp.response(200, ExportSchema)
    def get(self, args, kind):
        """Export a team's (or a rep's) records as CSV or JSON, in the importer's columns"""
        if kind not in KINDS:
            raise NotFound(f"Export one of: {', '.join(KINDS)}.", {"kind": ["Unknown."]})
        scope = resolve(principal(), args.get("team_id"), args.get("rep_id"), args.get("from_"), args.get("to"))
        columns, rows = export_rows(kind, scope)
        if args["format"] == "csv":
            return csv_response(columns, rows, f"{kind}-{scope.start}-{scope.end}.csv")
        return {"columns": columns, "rows": rows}
