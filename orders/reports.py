"""Order reports as CSV, XLSX or PDF, with headers in the request's language.

Every cell comes out of the database as the text the report shows (labels in the request's
language, times in ISO 8601 UTC to the second), read from a server-side cursor, so memory
stays flat whatever the size. CSV is written by Python's csv module in pieces of
ITERATOR_CHUNK rows.
XLSX uses XlsxWriter's constant-memory mode into a temporary file that is then streamed.
PDF is a readable table, capped at PDF_MAX_ROWS rows (a note says when it was cut).
"""

import csv
import io
import tempfile
from collections.abc import Iterator
from contextlib import closing
from itertools import islice

from django.db.models import Case, CharField, F, Func, QuerySet, TextField, Value, When
from django.db.models.functions import Cast, Coalesce, NullIf
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from fieldservice.expressions import TIME_SPENT_LABEL, time_spent_minutes
from orders.models import Order

ITERATOR_CHUNK = 2000  # rows per cursor fetch and per streamed CSV piece
PDF_MAX_ROWS = 5000

COLUMNS = (
    "id",
    "company_name",
    "title",
    "status",
    "priority",
    "equipment",
    "team__name",
    "requester__name",
    "assignee__name",
    "created_at",
    "taken_at",
    "closed_at",
    "site_address",
    "description",
    "solution",
    "time_spent_minutes",
)

# Columns that are not a field: the company's name as the API shows it (its trading
# name, else its legal name).
EXPRESSIONS = {
    "company_name": Coalesce(
        NullIf(F("company__trading_name"), Value("")),
        F("company__legal_name"),
        output_field=CharField(),
    ),
    "time_spent_minutes": time_spent_minutes(),
}


# The columns that fit on a landscape A4 page (277 mm between the margins), with their
# widths in millimetres; the requester and the time taken are left to CSV and XLSX.
PDF_COLUMNS = (
    ("id", 12),
    ("company_name", 22),
    ("title", 34),
    ("description", 34),
    ("equipment", 17),
    ("site_address", 24),
    ("status", 16),
    ("priority", 15),
    ("team__name", 17),
    ("assignee__name", 22),
    ("created_at", 16),
    ("closed_at", 16),
    ("solution", 22),
    ("time_spent_minutes", 10),
)
PDF_LONG_TEXTS = ("description", "solution")


def _headers() -> list[str]:
    return [
        _("Order"),
        _("Company"),
        _("Title"),
        _("Status"),
        _("Priority"),
        _("Equipment"),
        _("Team"),
        _("Requester"),
        _("Technician"),
        _("Created at"),
        _("Taken at"),
        _("Closed at"),
        _("Site address"),
        _("Description"),
        _("Solution"),
        str(TIME_SPENT_LABEL),
    ]


def _labels() -> dict[str, dict[str, str]]:
    return {
        "status": {value: str(label) for value, label in Order.Status.choices},
        "priority": {value: str(label) for value, label in Order.Priority.choices},
        "equipment": {value: str(label) for value, label in Order.Equipment.choices},
    }


class _UTCSeconds(Func):
    """A datetime as ISO 8601 text in UTC, to the second: `2026-01-02T03:04:05+00:00`."""

    template = "to_char(%(expressions)s AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"+00:00\"')"
    output_field = TextField()

    def as_sqlite(self, compiler, connection, **extra_context):
        # SQLite keeps datetimes as UTC text.
        iso = Func(
            Value("%Y-%m-%dT%H:%M:%S+00:00"),
            *self.get_source_expressions(),
            function="strftime",
            output_field=TextField(),
        )
        return compiler.compile(iso)


def _text(expression) -> NullIf:
    """As text, NULL for an empty value (the csv module writes both as an empty field)."""
    return NullIf(Cast(expression, TextField()), Value(""), output_field=TextField())


def _cells() -> list[NullIf]:
    """The report's columns as the text it shows, one expression per column."""
    labels = _labels()
    cells = []
    for name in COLUMNS:
        if name in labels:
            whens = [
                When(**{name: value}, then=Value(text)) for value, text in labels[name].items()
            ]
            cell = Case(*whens, default=F(name), output_field=CharField())
        elif name.endswith("_at"):
            cell = _UTCSeconds(F(name))
        else:
            cell = EXPRESSIONS.get(name, F(name))
        cells.append(_text(cell))
    return cells


def report_rows(orders: QuerySet[Order]) -> Iterator[tuple[str | None, ...]]:
    """The report's rows as tuples of text cells (None for an empty one), from a
    server-side cursor."""
    return orders.values_list(*_cells()).iterator(chunk_size=ITERATOR_CHUNK)


def _filename(extension: str) -> str:
    return f"orders-{timezone.now():%Y%m%d-%H%M%S}.{extension}"


def csv_pieces(orders: QuerySet[Order]) -> Iterator[str]:
    """The CSV in pieces of ITERATOR_CHUNK rows; the first also holds a BOM (so that
    spreadsheet programs read UTF-8 accents correctly) and the headers."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(_headers())
    with closing(report_rows(orders)) as rows:
        while True:
            writer.writerows(islice(rows, ITERATOR_CHUNK))
            if not buffer.tell():
                return
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()


def csv_response(orders: QuerySet[Order]) -> StreamingHttpResponse:
    response = StreamingHttpResponse(csv_pieces(orders), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_filename("csv")}"'
    return response


def xlsx_response(orders: QuerySet[Order]) -> FileResponse:
    import xlsxwriter

    spool = tempfile.TemporaryFile()  # noqa: SIM115  (FileResponse closes it once sent)
    workbook = xlsxwriter.Workbook(spool, {"constant_memory": True, "in_memory": False})
    sheet = workbook.add_worksheet(_("Orders"))
    bold = workbook.add_format({"bold": True})
    sheet.write_row(0, 0, _headers(), bold)
    for number, row in enumerate(report_rows(orders), start=1):
        sheet.write_row(number, 0, row)
    workbook.close()
    spool.seek(0)
    return FileResponse(
        spool,
        as_attachment=True,
        filename=_filename("xlsx"),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


def pdf_response(orders: QuerySet[Order]) -> FileResponse:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import LongTable, Paragraph, SimpleDocTemplate, Spacer, TableStyle

    styles = getSampleStyleSheet()
    cell = styles["BodyText"].clone("cell", fontSize=7, leading=8)
    shown = [COLUMNS.index(name) for name, _width in PDF_COLUMNS]
    headers = _headers()
    data = [[Paragraph(f"<b>{headers[i]}</b>", cell) for i in shown]]
    total = 0
    for total, row in enumerate(report_rows(orders), start=1):
        if total > PDF_MAX_ROWS:
            break
        data.append([Paragraph(_escape(_pdf_cell(row, i)), cell) for i in shown])

    spool = tempfile.TemporaryFile()  # noqa: SIM115  (FileResponse closes it once sent)
    document = SimpleDocTemplate(
        spool,
        pagesize=landscape(A4),
        leftMargin=10 * mm,
        rightMargin=10 * mm,
        topMargin=12 * mm,
        bottomMargin=12 * mm,
        title=_("Service orders"),
    )
    table = LongTable(
        data,
        repeatRows=1,
        colWidths=[width * mm for _name, width in PDF_COLUMNS],
    )
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#dde4ee")),
                ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f5f7fa")]),
            ]
        )
    )
    story = [
        Paragraph(_("Service orders"), styles["Title"]),
        Paragraph(timezone.now().strftime("%Y-%m-%d %H:%M UTC"), styles["Normal"]),
        Spacer(1, 4 * mm),
        table,
    ]
    if total > PDF_MAX_ROWS:
        story.append(
            Paragraph(
                _("Only the first %(count)s orders are shown; use CSV or XLSX for all of them.")
                % {"count": PDF_MAX_ROWS},
                styles["Italic"],
            )
        )
    document.build(story)
    spool.seek(0)
    return FileResponse(
        spool, as_attachment=True, filename=_filename("pdf"), content_type="application/pdf"
    )


def _pdf_cell(row: tuple[str | None, ...], index: int) -> str:
    text = row[index] or ""
    if COLUMNS[index].endswith("_at"):
        return text[:16].replace("T", " ")  # minutes are enough on paper
    if COLUMNS[index] in PDF_LONG_TEXTS:
        return text[:300]
    return text[:80]


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


RESPONSES = {"csv": csv_response, "xlsx": xlsx_response, "pdf": pdf_response}
