"""`POST /api/imports/<kind>` (multipart CSV, managers and admins), its background jobs, and `GET /api/exports/<kind>`."""
import io

from flask import current_app, jsonify, request, url_for
from flask.views import MethodView
from marshmallow import fields, validate

from ..csvio import csv_response
from ..errors import NotFound, ValidationFailed
from ..reports.scope import resolve_scope
from ..schemas import StrictSchema
from .. import limits
from ..limits import limiter
from ..policy import require_manager
from ..security import login_required, principal
from . import blp, jobs
from .exporting import KINDS, export_rows
from .geocoding import from_config
from .importing import HANDLERS, import_file


class ImportArgs(StrictSchema):
    dry_run = fields.Boolean(load_default=False)
    skip_invalid = fields.Boolean(load_default=False)
    owner = fields.String(validate=validate.Length(max=64), metadata={"description": "Username owning imported accounts"})
    background = fields.Boolean(load_default=False, metadata={
        "description": "import as a background job (202) even when the file is small; larger files always are"})


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


class ImportProgressSchema(StrictSchema):
    rows_read = fields.Integer()
    bytes_read = fields.Integer()
    percent = fields.Float(metadata={"description": "share of the file read, by bytes"})


class ImportJobSchema(StrictSchema):
    id = fields.UUID()
    kind = fields.String()
    status = fields.String(metadata={"description": "queued, running, done or failed"})
    options = fields.Dict()
    size_bytes = fields.Integer()
    progress = fields.Nested(ImportProgressSchema, allow_none=True,
                             metadata={"description": "while running, when the worker has said (else null)"})
    report = fields.Nested(ImportReportSchema, allow_none=True, metadata={"description": "once done"})
    failure = fields.String(allow_none=True, metadata={"description": "why a failed job stopped"})
    failure_code = fields.String(allow_none=True, metadata={"description": "the same as a code: abandoned "
                                                            "(the server stopped meanwhile) or unexpected"})
    created_at = fields.DateTime()
    started_at = fields.DateTime(allow_none=True)
    finished_at = fields.DateTime(allow_none=True)


class ImportJobListSchema(StrictSchema):
    jobs = fields.List(fields.Nested(ImportJobSchema))


def _job_view(job):
    live = jobs.progress(current_app, job)
    if live is not None:
        live = {**live, "percent": round(100 * live["bytes_read"] / job.size_bytes, 1) if job.size_bytes else 0.0}
    elif job.status == "done":
        live = {"rows_read": job.rows_read, "bytes_read": job.size_bytes, "percent": 100.0}
    return {"id": job.id, "kind": job.kind, "status": job.status, "options": job.options, "size_bytes": job.size_bytes,
            "progress": live, "report": job.report, "failure": job.failure,
            "failure_code": jobs.FAILURE_CODES.get(job.failure), "created_at": job.created_at,
            "started_at": job.started_at, "finished_at": job.finished_at}


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
    @blp.alt_response(202, schema=ImportJobSchema, description="Imported in the background: poll the job")
    def post(self, args, _files, kind):
        """Import accounts, devices (MIF) or contacts from a CSV file (UTF-8 or GB18030)

        A file over IMPORT_BACKGROUND_BYTES (or any, with `background=true`) becomes a job: the
        answer is 202 with the job and its address, which tells the progress and then the report."""
        if kind not in HANDLERS:
            raise NotFound("Import accounts, devices or contacts.", {"kind": ["Unknown."]})
        caller = principal()
        require_manager(caller, "Managers and admins import data.")
        upload = request.files.get("file")
        if upload is None:
            raise ValidationFailed("Send the CSV as a multipart field named `file`.", {"file": ["Missing."]})
        data = upload.stream.read()
        if args["background"] or len(data) > current_app.config["IMPORT_BACKGROUND_BYTES"]:
            options = {"owner": args.get("owner"), "dry_run": args["dry_run"], "skip_invalid": args["skip_invalid"]}
            job = jobs.create(caller, kind, data, options)
            jobs.dispatch(current_app._get_current_object(), job.id)
            answer = jsonify(ImportJobSchema().dump(_job_view(job)))
            answer.status_code = 202
            answer.headers["Location"] = url_for("transfer.ImportJobOne", job_id=job.id)
            return answer
        report = import_file(caller, kind, io.BytesIO(data), owner=args.get("owner"),
                             dry_run=args["dry_run"], skip_invalid=args["skip_invalid"],
                             geocoder=from_config(current_app.config))
        if report.errors and not report.written and not report.dry_run:
            raise ValidationFailed("Nothing was imported: fix the rows listed (or import with skip_invalid).",
                           {"rows": [f"row {e['row']}, {e['field']}: {e['message']}" for e in report.errors[:200]]},
                           extra={"report": report.as_dict()})
        return report.as_dict()


@blp.route("/imports/jobs")
class ImportJobList(MethodView):
    decorators = [login_required("manager", "admin")]

    @blp.response(200, ImportJobListSchema)
    def get(self):
        """The caller's latest import jobs, newest first"""
        return {"jobs": [_job_view(job) for job in jobs.recent(principal())]}


@blp.route("/imports/jobs/<uuid:job_id>")
class ImportJobOne(MethodView):
    decorators = [login_required("manager", "admin")]

    @blp.response(200, ImportJobSchema)
    def get(self, job_id):
        """One import job: queued, running (with progress) or ended (with its report)"""
        job = jobs.for_caller(principal(), job_id)
        if job is None:
            raise NotFound("No such import job.")
        return _job_view(job)


@blp.route("/exports/<string:kind>")
class Export(MethodView):
    decorators = [login_required()]

    @blp.arguments(ExportArgs, location="query")
    @blp.response(200, ExportSchema)
    def get(self, args, kind):
        """Export a team's (or a rep's) records as CSV or JSON, in the importer's columns"""
        if kind not in KINDS:
            raise NotFound(f"Export one of: {', '.join(KINDS)}.", {"kind": ["Unknown."]})
        scope = resolve_scope(principal(), args.get("team_id"), args.get("rep_id"), args.get("from_"), args.get("to"))
        columns, rows = export_rows(kind, scope)
        if args["format"] == "csv":
            return csv_response(columns, rows, f"{kind}-{scope.start}-{scope.end}.csv")
        return {"columns": columns, "rows": rows}
