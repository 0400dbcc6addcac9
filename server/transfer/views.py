"""`POST /api/imports/<kind>` (multipart CSV, managers and admins), its background jobs, and
`GET /api/exports/<kind>`."""

import io
import tempfile
import zipfile

from flask import current_app, jsonify, request, send_file, url_for
from flask.views import MethodView
from marshmallow import fields, validate

from .. import limits
from ..csvio import csv_response, csv_too, to_csv, uploaded_csv
from ..errors import NotFound, ValidationFailed
from ..extensions import ErrorSchema
from ..photos.storage import store as photo_store
from ..policy import require_manager
from ..reports.scope import resolve_scope
from ..schemas import StrictSchema, lang_field
from ..security import login_required, principal
from ..words import language
from . import blp, jobs
from .exporting import KINDS, WITH_FILES, export_photos, export_rows, headed, in_words, photo_file
from .geocoding import from_config
from .importing import HANDLERS, import_file
from .template import template


class ImportArgs(StrictSchema):
    dry_run = fields.Boolean(load_default=False)
    skip_invalid = fields.Boolean(load_default=False)
    owner = fields.String(
        validate=validate.Length(max=64), metadata={"description": "Username owning imported accounts"}
    )
    datum = fields.String(
        load_default="wgs84",
        validate=validate.OneOf(["wgs84", "gcj02", "bd09"]),
        metadata={
            "description": "the datum of the file's latitude/longitude (a `datum` column overrides it per row); "
            "positions are stored as WGS-84. 高德 and 腾讯 give GCJ-02, 百度 BD-09."
        },
    )
    background = fields.Boolean(
        load_default=False,
        metadata={
            "description": "import as a background job (202) even when the file is small; larger files always are"
        },
    )


class TemplateArgs(StrictSchema):
    lang = fields.String(
        load_default="zh-CN",
        validate=validate.OneOf(["zh-CN", "en"]),
        metadata={"description": "the language of the column names"},
    )


class ImportFile(StrictSchema):
    file = fields.Raw(required=True, metadata={"type": "string", "format": "binary"})


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
    errors = fields.List(
        fields.Dict(),
        metadata={"description": "the first 500 problems: row, field, message and codes ({code, params} per message)"},
    )
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
    progress = fields.Nested(
        ImportProgressSchema,
        allow_none=True,
        metadata={"description": "while running, when the worker has said (else null)"},
    )
    report = fields.Nested(ImportReportSchema, allow_none=True, metadata={"description": "once done"})
    failure = fields.String(allow_none=True, metadata={"description": "why a failed job stopped"})
    failure_code = fields.String(
        allow_none=True,
        metadata={"description": "the same as a code: abandoned (the server stopped meanwhile) or unexpected"},
    )
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
    return {
        "id": job.id,
        "kind": job.kind,
        "status": job.status,
        "options": job.options,
        "size_bytes": job.size_bytes,
        "progress": live,
        "report": job.report,
        "failure": job.failure,
        "failure_code": jobs.FAILURE_CODES.get(job.failure),
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
    }


class ExportArgs(StrictSchema):
    lang = lang_field()
    team_id = fields.UUID()
    rep_id = fields.UUID()
    from_ = fields.Date(data_key="from")
    to = fields.Date()
    format = fields.String(
        load_default="csv",
        validate=validate.OneOf(("csv", "json", "zip")),
        metadata={
            "description": "csv: text/csv; json: the columns and rows; zip: application/zip holding the CSV and, "
            "for visits and photos, the photos it names under photos/"
        },
    )


class ExportSchema(StrictSchema):
    columns = fields.List(fields.String())
    rows = fields.List(fields.Dict())


@blp.before_app_request  # before the app's own body checks (errors.read_chunked_body), which it sets the limit for
def _larger_uploads():
    # Imports take files larger than other bodies; past this they get 413 before any parsing.
    if request.endpoint == "transfer.Import":
        request.max_content_length = current_app.config["IMPORT_MAX_BYTES"]


@blp.route(f"/imports/<any({', '.join(HANDLERS)}):kind>")
class Import(MethodView):
    decorators = [*limits.import_limits(), login_required()]

    @blp.arguments(ImportArgs, location="query")
    @blp.arguments(ImportFile, location="files")
    @blp.response(200, ImportReportSchema)
    @blp.alt_response(202, schema=ImportJobSchema, description="Imported in the background: poll the job")
    @blp.alt_response(
        429,
        schema=ErrorSchema,
        description="Too many imports by this user: imports that write count against IMPORT_RATE_LIMIT "
        "(10 per minute by default), dry runs against their own IMPORT_DRY_RUN_RATE_LIMIT (60 per minute by "
        "default). Error code `too_many_requests`; wait the Retry-After seconds.",
        headers={
            "Retry-After": {
                "description": "seconds until the limit lets the next import through",
                "schema": {"type": "integer", "minimum": 0},
            }
        },
    )
    def post(self, args, _files, kind):
        """Import accounts, devices (MIF) or contacts from a CSV file (UTF-8 or GB18030)

        A file over IMPORT_BACKGROUND_BYTES (or any, with `background=true`) becomes a job: the
        answer is 202 with the job and its address, which tells the progress and then the report."""
        caller = principal()
        require_manager(caller, "Managers and admins import data.")
        data = uploaded_csv()
        if args["background"] or len(data) > current_app.config["IMPORT_BACKGROUND_BYTES"]:
            options = {
                "owner": args.get("owner"),
                "dry_run": args["dry_run"],
                "skip_invalid": args["skip_invalid"],
                "datum": args["datum"],
            }
            job = jobs.create(caller, kind, data, options)
            jobs.dispatch(current_app._get_current_object(), job.id)
            answer = jsonify(ImportJobSchema().dump(_job_view(job)))
            answer.status_code = 202
            answer.headers["Location"] = url_for("transfer.ImportJobOne", job_id=job.id)
            return answer
        report = import_file(
            caller,
            kind,
            io.BytesIO(data),
            owner=args.get("owner"),
            dry_run=args["dry_run"],
            skip_invalid=args["skip_invalid"],
            geocoder=from_config(current_app.config),
            datum=args["datum"],
        )
        if report.errors and not report.written and not report.dry_run:
            raise ValidationFailed(
                "Nothing was imported: fix the rows listed (or import with skip_invalid).",
                {"rows": [f"row {e['row']}, {e['field']}: {e['message']}" for e in report.errors[:200]]},
                extra={"report": report.as_dict()},
            )
        return report.as_dict()


@blp.route(f"/imports/<any({', '.join(HANDLERS)}):kind>/template")
class ImportTemplate(MethodView):
    decorators = [login_required("manager", "admin")]

    @blp.arguments(TemplateArgs, location="query")
    @blp.doc(
        responses={
            "200": {
                "description": "A CSV (UTF-8 with BOM): the header row; for accounts, then an example row and a "
                "note line of each column's allowed values (the import skips both as they are)",
                "content": {"text/csv": {"schema": {"type": "string"}}},
            }
        }
    )
    def get(self, args, kind):
        """An import file to fill in: the columns the import reads, named in Chinese or English, required first"""
        return csv_response(*template(kind, args["lang"], principal()), f"{kind}-template-{args['lang']}.csv")


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


def named_files(rows):
    """The photo files the export's rows name (a photo's `file`, a visit's `photos`), read before the columns
    are named in words."""
    return {row.get("file") for row in rows} | {f for row in rows for f in (row.get("photos") or "").split(" | ")}


def zip_response(columns, rows, name, scope, named):
    """A ZIP of the CSV and every uploaded photo of the scope it names, written to a temporary file
    (photos of a team's month do not fit in memory), stored uncompressed: JPEGs do not shrink. Without a
    scope (a kind that names no photos) the ZIP holds the CSV alone."""
    out = tempfile.TemporaryFile()  # noqa: SIM115 (send_file closes it once the answer is sent)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr(f"{name}.csv", to_csv(columns, rows))
        for photo, _account, _rep in export_photos(scope) if scope is not None else ():
            file = photo_file(photo)
            data = photo_store().get(str(photo.id)) if file in named and file else None
            if data is not None:
                archive.writestr(file, data)
    out.seek(0)
    return send_file(out, mimetype="application/zip", as_attachment=True, download_name=f"{name}.zip")


@blp.route(f"/exports/<any({', '.join(KINDS)}):kind>")
class Export(MethodView):
    decorators = [login_required()]

    @blp.arguments(ExportArgs, location="query")
    @blp.response(200, ExportSchema)
    @blp.doc(**csv_too(ExportSchema, zip_too=True))
    def get(self, args, kind):
        """Export a team's (or a rep's) records as CSV or JSON, in the importer's columns, in words of the
        language asked for (codes beside them); a CSV of accounts, devices or contacts imports back as it is"""
        caller = principal()
        scope = resolve_scope(caller, args.get("team_id"), args.get("rep_id"), args.get("from_"), args.get("to"))
        lang = language(args.get("lang"))
        columns, rows = in_words(kind, *export_rows(kind, scope), lang, scope)
        name = f"{kind}-{scope.start}-{scope.end}"
        if args["format"] == "json":
            return {"columns": columns, "rows": rows}
        named = named_files(rows)
        columns, rows = headed(kind, columns, rows, lang)
        if args["format"] == "csv":
            return csv_response(columns, rows, f"{name}.csv")
        return zip_response(columns, rows, name, scope if kind in WITH_FILES else None, named)
