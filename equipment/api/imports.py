"""Reading an equipment import file: a CSV as spreadsheets save it, into `ImportRow`s.

Excel saves "CSV UTF-8" with a byte-order mark and, in Brazilian settings, `;` between
cells; plain "CSV" in Windows-1252. Both are read, with CRLF or LF line ends and quoted
cells (which may hold the delimiter or line breaks). Each data row is checked with the
serializer of an item's body, so a row and a POST accept exactly the same values."""

import csv
import io

from django.utils.translation import gettext_lazy as _

from core.exceptions import FieldError
from equipment.api.serializers import EquipmentWriteSerializer
from equipment.services import ImportRow

COLUMNS = tuple(EquipmentWriteSerializer().fields)
REQUIRED_COLUMNS = ("kind",)
DELIMITERS = (";", ",")


def read_rows(upload, *, max_bytes: int, max_rows: int) -> list[ImportRow]:
    """The file's data rows, each validated; a file that cannot be read as a whole (too
    large, not text, no header, unknown columns, too many rows) is a 400 on `file`."""
    if upload.size > max_bytes:
        raise FieldError("file", _("The file is larger than %(size)d bytes.") % {"size": max_bytes})
    text = _decode(upload.read())
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    try:
        records = list(reader)
    except csv.Error as exc:
        raise FieldError(
            "file", _("The file is not valid CSV: %(error)s") % {"error": exc}
        ) from exc
    if not records:
        raise FieldError("file", _("The file is empty."))
    columns = _columns(records[0])
    # Spreadsheets often leave empty lines (or lines of bare delimiters) at the end.
    numbered = [
        (number, cells)
        for number, cells in enumerate(records[1:], start=2)
        if any(cell.strip() for cell in cells)
    ]
    if not numbered:
        raise FieldError("file", _("The file has a header but no rows."))
    if len(numbered) > max_rows:
        raise FieldError(
            "file", _("Send at most %(count)d rows in one file.") % {"count": max_rows}
        )
    return [_row(number, columns, cells) for number, cells in numbered]


def _decode(raw: bytes) -> str:
    if b"\x00" in raw:  # a spreadsheet (.xlsx, .xls) or another binary file
        raise FieldError("file", _("Send a CSV file (in a spreadsheet: Save as CSV)."))
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise FieldError("file", _("Save the file as UTF-8 text.")) from exc


def _delimiter(text: str) -> str:
    header = text.split("\n", 1)[0]
    return max(DELIMITERS, key=header.count)


def _columns(header: list[str]) -> list[str]:
    columns = [name.strip().lower().replace(" ", "_") for name in header]
    unknown = [name for name in columns if name not in COLUMNS]
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if unknown or missing or len(set(columns)) != len(columns):
        raise FieldError(
            "file",
            _("The header row must name each column once, from: %(columns)s (kind is required).")
            % {"columns": ", ".join(COLUMNS)},
        )
    return columns


def _row(number: int, columns: list[str], cells: list[str]) -> ImportRow:
    if len(cells) > len(columns):
        message = _("This row has more cells than the header has columns.")
        return ImportRow(number=number, data={}, errors={"non_field_errors": [str(message)]})
    # A row cut short (spreadsheets drop trailing empty cells) has blanks there.
    data = dict(zip(columns, cells, strict=False))
    if "kind" in data:
        data["kind"] = data["kind"].strip().lower()
    body = EquipmentWriteSerializer(data=data)
    if body.is_valid():
        return ImportRow(number=number, data=dict(body.validated_data))
    errors = {
        name: [str(message) for message in messages] for name, messages in body.errors.items()
    }
    return ImportRow(number=number, data={}, errors=errors)
