"""Building real e-mails and posting them, signed, to the inbound webhook."""

import json
import time
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from django.utils import timezone

from orders.email.security import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign

SECRET = "test-inbound-secret"
URL = "/api/v1/inbound/email"


def signed_headers(body: bytes, *, timestamp: int | None = None, secret: str = SECRET) -> dict:
    timestamp = int(time.time()) if timestamp is None else timestamp
    return {
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: sign(body, timestamp=timestamp, secret=secret),
    }


def post_signed(client, body: bytes, content_type: str = "application/json", **kwargs):
    headers = signed_headers(body, **kwargs)
    return client.generic("POST", URL, body, content_type=content_type, headers=headers)


def post_json(client, payload, **kwargs):
    return post_signed(client, json.dumps(payload).encode(), **kwargs)


def post_mime(client, raw: bytes, **kwargs):
    return post_signed(client, raw, content_type="message/rfc822", **kwargs)


def mime(
    *,
    sender: str,
    to: str,
    subject: str = "Printer broken",
    text: str | None = "It does not print.",
    html: str | None = None,
    message_id: str | None = None,
    in_reply_to: str | None = None,
    references: str | None = None,
    headers: dict | None = None,
    attachments: list[tuple[str, str, bytes]] = (),
) -> bytes:
    """A well-formed message, as a mail client would send it."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(timezone.now())
    message["Message-ID"] = message_id or make_msgid(domain="client.example")
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
    if references:
        message["References"] = references
    for name, value in (headers or {}).items():
        message[name] = value
    if text is not None:
        message.set_content(text)
    if html is not None:
        if text is None:
            message.set_content(html, subtype="html")
        else:
            message.add_alternative(html, subtype="html")
    for filename, content_type, content in attachments:
        maintype, subtype = content_type.split("/")
        message.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename)
    return message.as_bytes()


def message(sender: str, to: str, **fields) -> dict:
    """One message in the JSON shape of the webhook."""
    return {
        "from": sender,
        "to": [to],
        "subject": fields.pop("subject", "Printer broken"),
        "text": fields.pop("text", "It does not print."),
        "message_id": fields.pop("message_id", make_msgid(domain="client.example")),
        **fields,
    }


def result_of(response) -> dict:
    assert response.status_code == 200, response.content
    (result,) = response.json()["results"]
    return result
