"""Order reports as CSV, XLSX or PDF, with headers in the request's language.

CSV streams row by row from a server-side cursor, so memory stays flat whatever the size.
XLSX uses XlsxWriter's constant-memory mode into a temporary file that is then streamed.
PDF is a readable table, capped at PDF_MAX_ROWS rows (a note says when it was cut).
"""

import csv
import tempfile
from collections.abc import Iterator
from datetime import datetime

from django.db.models import QuerySet
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from orders.models import Order

ITERATOR_CHUNK = 2000
PDF_MAX_ROWS = 5000

COLUMNS = (
    "id",
    "company__trading_name",
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
)


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
    for values in orders.values_list(*COLUMNS).iterator(chunk_size=ITERATOR_CHUNK):
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


def csv_response(orders: QuerySet[Order]) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())

    def lines() -> Iterator[str]:
        yield "\ufeff"  # so spreadsheet programs read UTF-8 accents correctly
        yield writer.writerow(_headers())
        for row in report_rows(orders):
            yield writer.writerow(row)

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
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
    shown = (0, 1, 2, 3, 4, 5, 6, 8, 9, 11)  # the columns that fit on a landscape page
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
        colWidths=[
            14 * mm,
            30 * mm,
            62 * mm,
            20 * mm,
            18 * mm,
            20 * mm,
            26 * mm,
            28 * mm,
            26 * mm,
            26 * mm,
        ],
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
    return row[index][:80]


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


RESPONSES = {"csv": csv_response, "xlsx": xlsx_response, "pdf": pdf_response}
