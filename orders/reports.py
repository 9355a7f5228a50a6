"""Order reports as CSV, XLSX or PDF, with headers in the request's language.

CSV streams, so memory stays flat whatever the size: on PostgreSQL the database writes the
rows itself (`COPY (SELECT …) TO STDOUT WITH CSV`, labels and times formatted in the
SELECT) into a bounded queue; elsewhere row by row from a server-side cursor. Both give
the same bytes (a test compares them).
XLSX uses XlsxWriter's constant-memory mode into a temporary file that is then streamed.
PDF is a readable table, capped at PDF_MAX_ROWS rows (a note says when it was cut).
"""

import csv
import queue
import tempfile
import threading
from collections.abc import Iterator
from datetime import datetime

from django.db import connection
from django.db.models import Case, CharField, F, Func, QuerySet, TextField, Value, When
from django.db.models.functions import Cast, Coalesce, NullIf
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from orders.models import Order

ITERATOR_CHUNK = 2000
COPY_CHUNK_BYTES = 64 * 1024  # COPY rows are handed over in pieces of about this size
COPY_QUEUE_CHUNKS = 16  # at most this many pieces wait in memory (~1 MB)
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
)

# Columns that are not a field: the company's name as the API shows it (its trading
# name, else its legal name).
EXPRESSIONS = {
    "company_name": Coalesce(
        NullIf(F("company__trading_name"), Value("")),
        F("company__legal_name"),
        output_field=CharField(),
    ),
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
    ("solution", 32),
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
    ]


def _labels() -> dict[str, dict[str, str]]:
    return {
        "status": {value: str(label) for value, label in Order.Status.choices},
        "priority": {value: str(label) for value, label in Order.Priority.choices},
        "equipment": {value: str(label) for value, label in Order.Equipment.choices},
    }


def report_rows(orders: QuerySet[Order]) -> Iterator[list[str]]:
    """Plain rows (labels translated, times in ISO 8601 UTC) straight from a cursor."""
    labels = _labels()
    positions = {name: COLUMNS.index(name) for name in labels}
    selected = [EXPRESSIONS.get(name, name) for name in COLUMNS]
    for values in orders.values_list(*selected).iterator(chunk_size=ITERATOR_CHUNK):
        row = ["" if value is None else value for value in values]
        for name, position in positions.items():
            row[position] = labels[name].get(row[position], row[position])
        yield [
            value.replace(microsecond=0).isoformat() if isinstance(value, datetime) else str(value)
            for value in row
        ]


def _filename(extension: str) -> str:
    return f"orders-{timezone.now():%Y%m%d-%H%M%S}.{extension}"


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_lines(orders: QuerySet[Order]) -> Iterator[str]:
    """The CSV row by row through Python's csv module (any database)."""
    writer = csv.writer(_Echo())
    yield "\ufeff"  # so spreadsheet programs read UTF-8 accents correctly
    yield writer.writerow(_headers())
    for row in report_rows(orders):
        yield writer.writerow(row)


def _text(expression) -> Func:
    """As text, with '' for NULL; NULLIF so COPY writes an empty field unquoted, as Python's
    csv module does (COPY quotes an empty string to tell it from NULL)."""
    return Func(
        Cast(expression, TextField()), Value(""), function="NULLIF", output_field=TextField()
    )


def _copy_select(orders: QuerySet[Order]) -> tuple[str, tuple]:
    """The report's SELECT with every cell already formatted as `report_rows` does."""
    labels = _labels()
    cells = {}
    for position, name in enumerate(COLUMNS):
        if name in labels:
            whens = [
                When(**{name: value}, then=Value(label)) for value, label in labels[name].items()
            ]
            cell = Case(
                *whens,
                default=F(name),
                output_field=CharField(),
            )
        elif name.endswith("_at"):
            # `value.replace(microsecond=0).isoformat()` of the UTC datetime.
            cell = Func(
                F(name),
                template="to_char(%(expressions)s AT TIME ZONE 'UTC', "
                '\'YYYY-MM-DD"T"HH24:MI:SS"+00:00"\')',
                output_field=TextField(),
            )
        else:
            cell = EXPRESSIONS.get(name, F(name))
        cells[f"c{position}"] = _text(cell)
    return orders.values(**cells).query.sql_with_params()


class _CopySink:
    """The file COPY writes to: psycopg2 calls write() once per row. Rows get Python's
    csv line ending and go to the queue in pieces of COPY_CHUNK_BYTES."""

    def __init__(self, pieces: queue.Queue, stop: threading.Event):
        self.pieces, self.stop, self.buffer, self.size = pieces, stop, [], 0

    def write(self, row: bytes) -> None:
        self.buffer.append(row[:-1] + b"\r\n")
        self.size += len(row) + 1
        if self.size >= COPY_CHUNK_BYTES:
            self.flush()

    def flush(self) -> None:
        if self.buffer:
            self.put(b"".join(self.buffer))
            self.buffer, self.size = [], 0

    def put(self, item) -> None:
        while True:
            if self.stop.is_set():
                raise InterruptedError("the download was abandoned")
            try:
                self.pieces.put(item, timeout=0.5)
                return
            except queue.Full:
                continue


def csv_copy_chunks(orders: QuerySet[Order]) -> Iterator[bytes]:
    """The CSV as PostgreSQL's COPY writes it, in bounded pieces: a thread runs the COPY
    into a queue of at most COPY_QUEUE_CHUNKS pieces while the response sends them."""
    writer = csv.writer(_Echo())
    head = ("\ufeff" + writer.writerow(_headers())).encode()
    sql, params = _copy_select(orders)
    connection.ensure_connection()
    raw = connection.connection
    with raw.cursor() as cursor:
        statement = cursor.mogrify(sql, params).decode()
    return _copy_pieces(raw, statement, head)


def _copy_pieces(raw, statement: str, head: bytes) -> Iterator[bytes]:
    pieces: queue.Queue = queue.Queue(maxsize=COPY_QUEUE_CHUNKS)
    stop = threading.Event()
    done = object()

    def run() -> None:
        sink = _CopySink(pieces, stop)
        try:
            with raw.cursor() as cursor:
                cursor.copy_expert(f"COPY ({statement}) TO STDOUT WITH CSV", sink)
            sink.flush()
            sink.put(done)
        except BaseException as exc:  # handed to the response, which raises it
            if not stop.is_set():
                sink.put(exc)

    worker = threading.Thread(target=run, name="csv-copy", daemon=True)
    yield head
    worker.start()
    finished = False
    try:
        while True:
            piece = pieces.get()
            if piece is done:
                finished = True
                return
            if isinstance(piece, BaseException):
                raise piece
            yield piece
    finally:
        if not finished:
            # Abandoned (client gone) or failed: stop the COPY and drop the connection,
            # which may still be mid-COPY; Django opens a new one for the next request.
            stop.set()
            raw.cancel()
            worker.join()
            connection.close()
        else:
            worker.join()


def csv_response(orders: QuerySet[Order]) -> StreamingHttpResponse:
    lines = csv_copy_chunks(orders) if connection.vendor == "postgresql" else csv_lines(orders)
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
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


def _pdf_cell(row: list[str], index: int) -> str:
    if COLUMNS[index].endswith("_at"):
        return row[index][:16].replace("T", " ")  # minutes are enough on paper
    if COLUMNS[index] in PDF_LONG_TEXTS:
        return row[index][:300]
    return row[index][:80]


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


RESPONSES = {"csv": csv_response, "xlsx": xlsx_response, "pdf": pdf_response}
