"""What an uploaded file must be to become an attachment: of a type the settings allow,
with an extension that fits that type, and content that really is of that type (a PNG
that Pillow reads as a PNG, a PDF that starts as one, an office document that is the zip
or OLE file it claims). Names are made safe to show and to store."""

import unicodedata
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import IO

from django.core.exceptions import SuspiciousFileOperation
from django.http import FileResponse
from django.utils.text import get_valid_filename
from django.utils.translation import gettext_lazy as _
from PIL import Image

from core.exceptions import DomainError, NotFound

NAME_MAX_LENGTH = 150  # the stored path adds the order and a random folder to it
STORAGE_NAME_MAX_BYTES = 180  # a file system's limit is 255; the storage may add a suffix
SNIFF_BYTES = 64 * 1024
OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Types clients send for the same thing; stored under the usual name.
TYPE_ALIASES = {
    "image/jpg": "image/jpeg",
    "image/pjpeg": "image/jpeg",
    "image/x-png": "image/png",
    "application/x-pdf": "application/pdf",
    "application/x-zip-compressed": "application/zip",
    "application/x-zip": "application/zip",
    "text/x-csv": "text/csv",
    "application/csv": "text/csv",
}
# Said by clients that do not know the type: the extension tells it instead.
UNKNOWN_TYPES = {"", "application/octet-stream", "binary/octet-stream"}


class AttachmentRefused(DomainError):
    """The file cannot be attached; `code` says why (type, extension, content, empty)."""

    default_code = "attachment_refused"


def _head(file: IO[bytes], size: int = SNIFF_BYTES) -> bytes:
    file.seek(0)
    head = file.read(size)
    file.seek(0)
    return head


def _image(*formats: str) -> Callable[[IO[bytes]], bool]:
    def check(file: IO[bytes]) -> bool:
        file.seek(0)
        try:
            with Image.open(file) as image:
                if image.format not in formats:
                    return False
                image.verify()
        except Exception:  # Pillow raises many kinds for a file it cannot read
            return False
        finally:
            file.seek(0)
        return True

    return check


def _starts_with(signature: bytes) -> Callable[[IO[bytes]], bool]:
    return lambda file: _head(file, len(signature)) == signature


def _text(file: IO[bytes]) -> bool:
    return b"\x00" not in _head(file)


def _zip_with(member: str | None = None) -> Callable[[IO[bytes]], bool]:
    """A zip file; for office documents, one holding the member their format requires."""

    def check(file: IO[bytes]) -> bool:
        file.seek(0)
        try:
            with zipfile.ZipFile(file) as archive:
                return member is None or member in archive.namelist()
        except (zipfile.BadZipFile, OSError, ValueError):
            return False
        finally:
            file.seek(0)

    return check


@dataclass(frozen=True)
class FileKind:
    extensions: frozenset[str]
    looks_right: Callable[[IO[bytes]], bool]


def _kind(extensions: str, check: Callable[[IO[bytes]], bool]) -> FileKind:
    return FileKind(frozenset(extensions.split()), check)


OFFICE = "application/vnd.openxmlformats-officedocument"
# Every type an attachment may have; ATTACHMENT_ALLOWED_TYPES picks among them.
KINDS: dict[str, FileKind] = {
    "image/jpeg": _kind(".jpg .jpeg", _image("JPEG", "MPO")),
    "image/png": _kind(".png", _image("PNG")),
    "image/gif": _kind(".gif", _image("GIF")),
    "image/webp": _kind(".webp", _image("WEBP")),
    "application/pdf": _kind(".pdf", _starts_with(b"%PDF-")),
    "text/plain": _kind(".txt .log", _text),
    "text/csv": _kind(".csv", _text),
    "application/zip": _kind(".zip", _zip_with()),
    "application/msword": _kind(".doc", _starts_with(OLE_SIGNATURE)),
    "application/vnd.ms-excel": _kind(".xls", _starts_with(OLE_SIGNATURE)),
    f"{OFFICE}.wordprocessingml.document": _kind(".docx", _zip_with("[Content_Types].xml")),
    f"{OFFICE}.spreadsheetml.sheet": _kind(".xlsx", _zip_with("[Content_Types].xml")),
    f"{OFFICE}.presentationml.presentation": _kind(".pptx", _zip_with("[Content_Types].xml")),
    "application/vnd.oasis.opendocument.text": _kind(".odt", _zip_with("mimetype")),
    "application/vnd.oasis.opendocument.spreadsheet": _kind(".ods", _zip_with("mimetype")),
}


def _visible(char: str) -> str:
    kind = unicodedata.category(char)[0]
    return " " if kind == "Z" else "" if kind == "C" else char


def clean_filename(name: str) -> str:
    """The file's own name, safe to show and to put in a header: no folders (`../`, `C:\\`),
    no control or invisible characters, no leading dots, at most NAME_MAX_LENGTH characters
    (the extension kept); letters of any language stay."""
    name = unicodedata.normalize("NFC", str(name or ""))
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(_visible(char) for char in name)
    name = " ".join(name.split()).lstrip(". ")
    path = PurePosixPath(name or "attachment")
    suffix = path.suffix[:20] if path.stem else ""
    stem = (path.stem if suffix else path.name)[: NAME_MAX_LENGTH - len(suffix)]
    return f"{stem}{suffix}" or "attachment"


def storage_name(filename: str) -> str:
    """The name the storage gets: `clean_filename` with only letters, digits, `-_.`, short
    enough in bytes for any file system (255 bytes a name) and object store."""
    try:
        name = get_valid_filename(filename)
    except SuspiciousFileOperation:  # nothing left of the name (all punctuation)
        return "attachment"
    path = PurePosixPath(name)
    stem, suffix = (path.stem, path.suffix) if path.stem else (name, "")
    while len(f"{stem}{suffix}".encode()) > STORAGE_NAME_MAX_BYTES:
        stem = stem[:-1]
    return f"{stem}{suffix}" if stem else f"attachment{suffix}"


def attachment_type(*, filename: str, declared_type: str, allowed: list[str]) -> str:
    """The type the file is stored as: the declared one (its usual name), or, when the
    client did not know it, the one its extension names. Refused when the settings do
    not allow it or the extension does not fit it."""
    declared = (declared_type or "").split(";")[0].strip().lower()
    declared = TYPE_ALIASES.get(declared, declared)
    extension = PurePosixPath(filename.lower()).suffix
    if declared in UNKNOWN_TYPES:
        by_extension = [name for name, kind in KINDS.items() if extension in kind.extensions]
        declared = by_extension[0] if by_extension else declared or "application/octet-stream"
    if declared not in allowed or declared not in KINDS:
        raise AttachmentRefused(
            _("Files of type %(type)s cannot be attached.") % {"type": declared},
            code="attachment_type_not_allowed",
        )
    if extension not in KINDS[declared].extensions:
        raise AttachmentRefused(
            _("A file of type %(type)s must be named %(extensions)s.")
            % {"type": declared, "extensions": ", ".join(sorted(KINDS[declared].extensions))},
            code="attachment_extension_mismatch",
        )
    return declared


def check_content(file: IO[bytes], content_type: str) -> None:
    """Refuse a file whose content is not of its type (a renamed executable, say)."""
    if not KINDS[content_type].looks_right(file):
        raise AttachmentRefused(
            _("The file's content is not %(type)s.") % {"type": content_type},
            code="attachment_content_mismatch",
        )


def attachment_file_response(attachment) -> FileResponse:
    """Stream a stored file through the storage API (local disk or S3 alike) as a download
    the browser never renders: a generic type, `attachment` disposition, no type sniffing,
    and a sandbox for a browser that would show it anyway (an e-mailed HTML page, say)."""
    if attachment.is_skipped or not attachment.file:
        raise NotFound(_("This file was too large to be kept."), code="attachment_not_kept")
    try:
        stored = attachment.file.open("rb")
    except FileNotFoundError as exc:  # removed from the storage behind our back
        raise NotFound(_("The file is no longer stored."), code="attachment_missing") from exc
    # Bytes to save, never a page to show, whatever type the sender claimed; the row's
    # `content_type` tells a client what they are.
    response = FileResponse(
        stored,
        as_attachment=True,
        filename=attachment.filename,
        content_type="application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
