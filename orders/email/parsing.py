"""Turning what arrives (raw MIME or the JSON of a relay) into one normalised message.

Nothing here touches the database and nothing here may raise on bad input except
`UnreadableEmail`, which the caller turns into a parked row: mail comes in every charset
and every state of disrepair, and the sender must never be told "500".
"""

import base64
import binascii
import codecs
import email
import email.policy
import hashlib
import html as html_lib
import re
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from email.header import decode_header, make_header
from email.message import Message as MimeMessage
from email.utils import getaddresses, parsedate_to_datetime
from typing import Any

import nh3

# Headers kept on the stored row: what threading, loop detection and support staff need.
KEPT_HEADERS = (
    "auto-submitted",
    "precedence",
    "x-autoreply",
    "x-autorespond",
    "list-id",
    "return-path",
    "content-type",
    "content-language",
    "x-mailer",
    "reply-to",
)
# Written on top by the receiving MTA (Postfix, Exim, qmail): the envelope recipient, so a
# Bcc to the support address reaches it. Only the topmost of each is ours.
ENVELOPE_HEADERS = ("delivered-to", "x-original-to", "envelope-to")
AUTOMATIC_PRECEDENCE = {"bulk", "list", "junk"}
DAEMON_SENDERS = {"mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon"}
MESSAGE_ID_RE = re.compile(r"<[^<>\s]+>")
ORDER_TOKEN_RE = re.compile(r"\[#\d{1,18}\]")
SUBJECT_PREFIX_RE = re.compile(r"^\s*((re|res|fw|fwd|enc|aw|tr|sv)\s*(\[\d+\])?\s*:\s*)+", re.I)


# What PostgreSQL cannot store in text: NUL, and lone surrogates (a JSON "\\ud800" escape).
_UNSTORABLE_RE = re.compile("[\x00\ud800-\udfff]")


def clean_text(value: str) -> str:
    """`value` without NUL characters, lone surrogates made U+FFFD: one stray byte must not
    park a message that is otherwise perfectly readable."""
    if not _UNSTORABLE_RE.search(value):
        return value
    return _UNSTORABLE_RE.sub(lambda match: "" if match.group() == "\x00" else "\ufffd", value)


def clean_json(value: Any) -> Any:
    """A decoded JSON value with every string (keys included) passed through clean_text."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, list):
        return [clean_json(item) for item in value]
    if isinstance(value, dict):
        return {clean_json(key): clean_json(item) for key, item in value.items()}
    return value


class UnreadableEmail(Exception):
    """The content cannot be understood as an e-mail: it is parked for a person to see."""


@dataclass
class Attachment:
    filename: str
    content_type: str
    content: bytes


@dataclass
class ParsedEmail:
    from_address: str
    from_name: str = ""
    to: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    subject: str = ""
    message_id: str = ""
    in_reply_to: str = ""
    references: list[str] = field(default_factory=list)
    date: datetime | None = None
    headers: dict[str, str] = field(default_factory=dict)
    text: str = ""
    html: str = ""
    attachments: list[Attachment] = field(default_factory=list)
    is_report: bool = False  # a delivery-status report (multipart/report)

    def __post_init__(self) -> None:
        # Both doors (raw MIME and JSON) build this object: cleaning here covers both.
        for each in fields(self):
            value = getattr(self, each.name)
            if isinstance(value, str):
                setattr(self, each.name, clean_text(value))
            elif isinstance(value, list | dict) and each.name != "attachments":
                setattr(self, each.name, clean_json(value))
        for attachment in self.attachments:
            attachment.filename = clean_text(attachment.filename)
            attachment.content_type = clean_text(attachment.content_type)

    @property
    def thread_ids(self) -> list[str]:
        """Message-IDs this message answers, nearest first."""
        ids = [self.in_reply_to] if self.in_reply_to else []
        ids += [ref for ref in reversed(self.references) if ref not in ids]
        return ids

    @property
    def content_hash(self) -> str:
        """Identity of a message without a Message-ID: the same content is the same mail."""
        digest = hashlib.sha256()
        for part in (
            self.from_address,
            ",".join(sorted(self.to)),
            self.subject,
            self.date.isoformat() if self.date else "",
            self.text,
            self.html,
        ):
            digest.update(part.encode("utf-8", "replace") + b"\x00")
        return digest.hexdigest()

    @property
    def automatic_reason(self) -> str:
        """Why this message was written by a machine, or "" for a person's mail."""
        auto_submitted = self.headers.get("auto-submitted", "").strip().lower()
        if auto_submitted and auto_submitted.split(";")[0].strip() != "no":
            return f"Auto-Submitted: {auto_submitted}"
        precedence = self.headers.get("precedence", "").strip().lower()
        if precedence in AUTOMATIC_PRECEDENCE:
            return f"Precedence: {precedence}"
        if self.headers.get("x-autoreply") or self.headers.get("x-autorespond"):
            return "X-Autoreply"
        if self.is_report:
            return "delivery-status report"
        if self.from_address.split("@")[0] in DAEMON_SENDERS:
            return "mailer-daemon sender"
        return ""

    @property
    def display_text(self) -> str:
        """The new words of the message: quoted replies and signatures removed."""
        text = self.text or html_to_text(self.html)
        return strip_quotes(text) or text.strip()

    @property
    def title(self) -> str:
        """The subject without Re:/Fwd: prefixes and order tokens, for a new order."""
        title = SUBJECT_PREFIX_RE.sub("", ORDER_TOKEN_RE.sub("", self.subject))
        return " ".join(SUBJECT_PREFIX_RE.sub("", title).split())[:200]


# --- small helpers ------------------------------------------------------------------------


def normalise_address(address: str) -> str:
    return (address or "").strip().strip("<>").strip().lower()


def decode_header_value(value: Any) -> str:
    """An RFC 2047 header as text, whatever was wrong with its encoding."""
    if value is None:
        return ""
    text = str(value)
    if "=?" not in text:
        return " ".join(text.split())
    try:
        return " ".join(str(make_header(decode_header(text))).split())
    except (LookupError, UnicodeError, ValueError, binascii.Error):
        parts = []
        for chunk, charset in decode_header(text):
            if isinstance(chunk, bytes):
                parts.append(decode_bytes(chunk, charset))
            else:
                parts.append(chunk)
        return " ".join("".join(parts).split())


# Declared by clients that wrote UTF-8 anyway: valid UTF-8 beyond ASCII is read as UTF-8
# ("Ã©" is almost never what a Latin-1 writer meant).
_OFTEN_MISLABELLED = {"iso-8859-1", "latin-1", "latin1", "iso-8859-15", "windows-1252", "cp1252"}


def decode_bytes(payload: bytes, charset: str | None, fallback: str | None = None) -> str:
    """Decode with the declared charset; when it is missing, unknown or wrong, try UTF-8,
    then `fallback` (the charset the rest of the message declares), then Windows-1252 (a
    superset of Latin-1 that never fails), replacing what is left."""
    declared = _known_charset(charset)
    if declared in _OFTEN_MISLABELLED and not payload.isascii():
        try:
            return payload.decode("utf-8")
        except UnicodeDecodeError:
            pass
    if declared:
        try:
            return payload.decode(declared)
        except UnicodeDecodeError:
            if declared not in ("utf-8", "utf8"):
                return payload.decode(declared, errors="replace")
    try:
        return payload.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if fallback := _known_charset(fallback):
        try:
            return payload.decode(fallback)
        except UnicodeDecodeError:
            pass
    return payload.decode("windows-1252", errors="replace")


def _known_charset(charset: str | None) -> str:
    """The charset's name if Python knows it and it says more than ASCII, else ""."""
    name = (charset or "").strip().strip('"').lower()
    if name in ("", "us-ascii", "ascii", "unknown-8bit", "x-unknown"):
        return ""
    try:
        codecs.lookup(name)
    except LookupError:
        return ""
    return name


def parse_addresses(values: Any) -> list[tuple[str, str]]:
    """(name, address) pairs from header values or JSON strings/lists; bad ones dropped.
    The addresses are split first and each name decoded after (RFC 2047), so that an
    encoded name with a comma in it stays one name."""
    if not values:
        return []
    if isinstance(values, str):
        values = [values]
    pairs = []
    for name, address in getaddresses([" ".join(str(value).split()) for value in values]):
        address = normalise_address(decode_header_value(address))
        if "@" in address:
            pairs.append((decode_header_value(name).strip(), address))
    return pairs


def message_ids(value: Any) -> list[str]:
    """Every `<id>` in a header; a bare id (some relays drop the brackets) gets them back."""
    if not value:
        return []
    if isinstance(value, list | tuple):
        value = " ".join(str(item) for item in value)
    text = str(value)
    found = MESSAGE_ID_RE.findall(text)
    if not found and text.strip() and " " not in text.strip():
        found = [f"<{text.strip()}>"]
    return [item[:300] for item in found]


def parse_date(value: Any) -> datetime | None:
    """An RFC 5322 or ISO 8601 date as an aware datetime, or None when it cannot be read
    (the caller then uses the time of receipt). A date without a zone, and RFC 5322's
    "-0000" (zone unknown), are read as UTC."""
    if not value:
        return None
    if isinstance(value, datetime):
        date = value
    else:
        text = clean_text(str(value)).strip()
        try:
            date = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError, OverflowError):
            try:
                date = datetime.fromisoformat(text.replace("Z", "+00:00"))
            except ValueError:
                return None
    if date.tzinfo is None or date.utcoffset() is None:
        date = date.replace(tzinfo=UTC)
    try:
        return date.astimezone(UTC)
    except (OverflowError, ValueError):  # year 1 or 9999 pushed past the calendar's edge
        return None


def sanitize_html(value: str) -> str:
    """HTML safe to show: no scripts, styles, event handlers or javascript: links."""
    if not value:
        return ""
    return nh3.clean(value, link_rel="noopener noreferrer nofollow")


def html_to_text(value: str) -> str:
    if not value:
        return ""
    value = re.sub(r"(?is)<(script|style|head)\b.*?</\1\s*>", "", value)
    value = re.sub(r"(?i)<br\s*/?>|</(p|div|li|tr|h[1-6]|blockquote)\s*>", "\n", value)
    text = html_lib.unescape(nh3.clean(value, tags=set()))
    lines = [line.strip() for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


# A reply header written by the sender's client; mail clients wrap it over two lines.
_QUOTE_HEADERS = [
    re.compile(r"^\s*On\b.{0,300}\bwrote:\s*$", re.I | re.S),
    re.compile(r"^\s*Em\b.{0,300}\bescreveu:\s*$", re.I | re.S),
    re.compile(r"^\s*-{2,}\s*(Original Message|Mensagem original|Mensagem Original)\s*-{2,}", re.I),
    re.compile(r"^\s*_{10,}\s*$"),  # Outlook's rule above the quoted message
    re.compile(r"^\s*(From|De):\s.+$", re.I),
]


def _is_quote_header(lines: list[str], index: int) -> bool:
    line = lines[index]
    following = lines[index + 1] if index + 1 < len(lines) else ""
    for pattern in _QUOTE_HEADERS[:2]:
        if pattern.match(line) or (following and pattern.match(f"{line} {following}")):
            return True
    if _QUOTE_HEADERS[2].match(line) or _QUOTE_HEADERS[3].match(line):
        return True
    # "From: x" starts a quoted message only when a "Sent:"/"Enviada em:" line follows.
    if _QUOTE_HEADERS[4].match(line):
        window = " ".join(lines[index + 1 : index + 4]).lower()
        return any(marker in window for marker in ("sent:", "enviada em:", "enviado:", "date:"))
    return False


def strip_quotes(text: str) -> str:
    """The text before the first quoted reply or signature; quoted lines (">") dropped."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept = []
    for index, line in enumerate(lines):
        if line.rstrip() in ("--", "-- ") or line == "-- ":
            break
        if _is_quote_header(lines, index):
            break
        if line.lstrip().startswith(">"):
            continue
        kept.append(line.rstrip())
    return "\n".join(kept).strip()


# --- raw MIME -----------------------------------------------------------------------------


def _headers_as_sent(message: MimeMessage) -> dict[str, list[str]]:
    """Every top-level header's values by lower-case name, as text: read once. Raw 8-bit
    bytes (UTF-8 from modern clients, the body's charset or Latin-1 from old ones) are
    decoded as a body is."""
    headers: dict[str, list[str]] = {}
    body_charset = None
    for name, value in message.raw_items():
        value = str(value)
        if not value.isascii():  # the parser kept undecodable bytes as surrogates
            body_charset = body_charset or _first_charset(message)
            value = decode_bytes(value.encode("ascii", "surrogateescape"), None, body_charset)
        headers.setdefault(name.lower(), []).append(value)
    return headers


def _first_charset(message: MimeMessage) -> str:
    for part in message.walk():
        if charset := part.get_content_charset():
            return charset
    return ""


def _filename(part: MimeMessage) -> str:
    try:
        name = part.get_filename()
    except Exception:
        name = None
    return decode_header_value(name)[:255] if name else ""


def _part_bytes(part: MimeMessage) -> bytes:
    try:
        payload = part.get_payload(decode=True)
    except Exception:
        payload = None
    if payload is None:
        raw = part.get_payload()
        payload = raw.encode("utf-8", "replace") if isinstance(raw, str) else b""
    return payload


def _decoded(part: MimeMessage) -> str:
    return decode_bytes(_part_bytes(part), part.get_content_charset())


def _new_found() -> dict[str, Any]:
    return {
        "text": "",
        "html": "",
        "forwarded": "",
        "broken": "",
        "attachments": [],
        "is_report": False,
    }


def _walk(message: MimeMessage, found: dict[str, Any]) -> None:
    """Collect the readable body the way mail clients pick it: the inline text/plain parts
    (a file name does not make an inline text an attachment), the first text/html, the
    text of a forwarded message, and the raw body of a multipart the parser could not
    split; every other part is an attachment."""
    content_type = (message.get_content_type() or "text/plain").lower()
    if content_type == "multipart/report":
        found["is_report"] = True
    if content_type == "message/rfc822":
        # A forwarded or bounced message: kept whole as an attachment; its text is the
        # body only when the outer message has none of its own.
        inner = message.get_payload()
        inner = inner[0] if isinstance(inner, list) and inner else inner
        content = inner.as_bytes() if isinstance(inner, MimeMessage) else _part_bytes(message)
        name = _filename(message) or "forwarded-message.eml"
        found["attachments"].append(Attachment(name, content_type, content))
        if isinstance(inner, MimeMessage) and not found["forwarded"]:
            forwarded = _new_found()
            _walk(inner, forwarded)
            found["forwarded"] = _body_of(forwarded)
        return
    if message.is_multipart():
        for part in message.get_payload() or []:
            if isinstance(part, MimeMessage):
                _walk(part, found)
        return
    if content_type.startswith("multipart/"):
        # Declared multipart but not split into parts (no boundary, or the wrong one).
        found["broken"] = found["broken"] or _decoded(message)
        return
    try:
        disposition = (message.get_content_disposition() or "").lower()
    except Exception:
        disposition = ""
    filename = _filename(message)
    if content_type in ("text/plain", "text/html") and disposition != "attachment":
        key = "text" if content_type == "text/plain" else "html"
        if not found[key]:
            found[key] = _decoded(message)
            return
        if key == "text" and not filename:  # text around an inline image: shown in turn
            found[key] += "\n" + _decoded(message)
            return
    if disposition in ("attachment", "inline") or filename or not content_type.startswith("text/"):
        found["attachments"].append(
            Attachment(filename or "attachment", content_type[:200], _part_bytes(message))
        )


def _body_of(found: dict[str, Any]) -> str:
    """The text a reader sees: the text part, else the HTML part as text, else the text of
    a forwarded message, else the raw body of a broken multipart."""
    return found["text"] or html_to_text(found["html"]) or found["forwarded"] or found["broken"]


_HEADER_LINE_RE = re.compile(rb"^[!-9;-~]+[ \t]*:|^[ \t]")
_HEADER_BLOCK_END_RE = re.compile(rb"\r?\n\r?\n")


def _without_broken_header_lines(raw: bytes) -> bytes:
    """The message with the lines of its header block that are no header dropped (a
    stray word, a "From" without its colon): the parser would end the headers at the
    first of them and read the From line below it as body, where mail clients skip it."""
    end = _HEADER_BLOCK_END_RE.search(raw)
    head, rest = (raw[: end.start()], raw[end.start() :]) if end else (raw, b"")
    lines = head.splitlines(keepends=True)
    kept = [line for line in lines if _HEADER_LINE_RE.match(line)]
    return raw if len(kept) == len(lines) else b"".join(kept) + rest


def parse_mime(raw: bytes, *, envelope_recipient: str = "") -> ParsedEmail:
    """Read a raw RFC 5322 message. Raises UnreadableEmail only when there is no sender to
    answer (garbage, or not an e-mail at all)."""
    try:
        # compat32 keeps headers as text, each read once below (`email.policy.default`
        # parses a header into an object on every access: most of the parsing time).
        message = email.message_from_bytes(raw, policy=email.policy.compat32)
        sent = _headers_as_sent(message)
        if "from" not in sent and (repaired := _without_broken_header_lines(raw)) != raw:
            message = email.message_from_bytes(repaired, policy=email.policy.compat32)
            sent = _headers_as_sent(message)

        def header(name: str) -> str:  # the first value, decoded (RFC 2047)
            return decode_header_value(sent[name][0]) if name in sent else ""

        senders = parse_addresses(sent.get("from", [])[:1])
        if not senders:
            raise UnreadableEmail("no sender address")
        found = _new_found()
        _walk(message, found)
        recipients = [address for _, address in parse_addresses(sent.get("to"))]
        # The envelope: the provider's, or the one our own MTA wrote on top (Bcc to support).
        if envelope_recipient:
            recipients.append(normalise_address(envelope_recipient))
        for name in ENVELOPE_HEADERS:
            recipients += [address for _, address in parse_addresses(sent.get(name, [])[:1])]
        in_reply_to = message_ids(header("in-reply-to"))
        return ParsedEmail(
            from_name=senders[0][0][:200],
            from_address=senders[0][1],
            to=recipients,
            cc=[address for _, address in parse_addresses(sent.get("cc"))],
            subject=header("subject")[:500],
            message_id=(message_ids(header("message-id")) or [""])[0],
            in_reply_to=in_reply_to[0] if in_reply_to else "",
            references=message_ids(" ".join(sent.get("references", []))),
            date=parse_date(header("date")),
            headers={name: value[:1000] for name in KEPT_HEADERS if (value := header(name))},
            text=found["text"] or ("" if found["html"] else _body_of(found)),
            html=found["html"],
            attachments=found["attachments"],
            is_report=found["is_report"],
        )
    except UnreadableEmail:
        raise
    except Exception as exc:  # the email package met something it cannot represent
        raise UnreadableEmail(f"{type(exc).__name__}: {exc}") from exc


# --- JSON from a relay --------------------------------------------------------------------


def parse_json(item: dict[str, Any]) -> ParsedEmail:
    """Read one message of the JSON webhook (already shape-checked by its serializer)."""
    senders = parse_addresses(item.get("from"))
    if not senders:
        raise UnreadableEmail("no sender address")
    headers = {
        str(name).lower(): decode_header_value(value)[:1000]
        for name, value in (item.get("headers") or {}).items()
    }
    attachments = []
    for attachment in item.get("attachments") or []:
        try:
            content = base64.b64decode(attachment.get("content") or "", validate=False)
        except (binascii.Error, ValueError):
            content = b""
        attachments.append(
            Attachment(
                str(attachment.get("filename") or "attachment")[:255],
                str(attachment.get("content_type") or "application/octet-stream")[:200],
                content,
            )
        )
    in_reply_to = message_ids(item.get("in_reply_to"))
    content_type = headers.get("content-type", "").lower()
    return ParsedEmail(
        from_name=senders[0][0][:200],
        from_address=senders[0][1],
        to=[address for _, address in parse_addresses(item.get("to"))],
        cc=[address for _, address in parse_addresses(item.get("cc"))],
        subject=decode_header_value(item.get("subject"))[:500],
        message_id=(message_ids(item.get("message_id")) or [""])[0],
        in_reply_to=in_reply_to[0] if in_reply_to else "",
        references=message_ids(item.get("references")),
        date=parse_date(item.get("date")),
        headers=headers,
        text=item.get("text") or "",
        html=item.get("html") or "",
        attachments=attachments,
        is_report=content_type.startswith("multipart/report"),
    )
