"""CSV out: one writer for every export, with spreadsheet formula injection neutralised."""

import csv
import io

from flask import Response, request

from .errors import ValidationFailed

# A cell starting with one of these is run as a formula by spreadsheet programs.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """Render a value for CSV; text that a spreadsheet would run as a formula gets a leading quote."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return value
    text = str(value)
    if text.startswith(FORMULA_START):
        return "'" + text
    return text


def to_csv(columns, rows):
    """CSV text (UTF-8 with BOM, so Excel opens zh-CN text correctly) of `rows` (dicts) in `columns` order."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([safe_cell(row.get(c)) for c in columns])
    return out.getvalue()


def csv_too(schema, zip_too=False):
    """The OpenAPI doc of a 200 answered as JSON (`schema`) or, with `format=csv`, as CSV (and, with
    `format=zip`, as a ZIP): `@blp.doc(**csv_too(Schema))` beside `@blp.response(200, Schema)`."""
    content = {"application/json": {"schema": schema}, "text/csv": {"schema": {"type": "string"}}}
    if zip_too:
        content["application/zip"] = {"schema": {"type": "string", "format": "binary"}}
    return {"responses": {"200": {"description": "OK", "content": content}}}


def csv_response(columns, rows, filename):
    response = Response(to_csv(columns, rows), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def uploaded_csv():
    """The CSV of an import: the multipart field `file`, and nothing else (an unknown field is an error,
    as in every JSON body, not silently dropped)."""
    unknown = sorted({*request.form, *request.files} - {"file"})
    if unknown:
        raise ValidationFailed(
            f"The request has invalid fields: {', '.join(unknown)}", {name: ["Unknown field."] for name in unknown}
        )
    upload = request.files.get("file")
    if upload is None:
        raise ValidationFailed("Send the CSV as a multipart field named `file`.", {"file": ["Missing."]})
    return upload.stream.read()
