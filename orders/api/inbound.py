"""`POST inbound/email`: mail relayed to us, as JSON (one message or a batch) or raw MIME.

No user logs in here: the caller proves itself with the HMAC signature of the body (see
orders.email.security and docs/email.md).
"""

import json
import logging
import re

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions, serializers
from rest_framework.parsers import BaseParser, JSONParser
from rest_framework.response import Response
from rest_framework.views import APIView

from core.exceptions import DomainError, FieldError
from orders.email import security
from orders.email.parsing import UnreadableEmail, clean_json, parse_json
from orders.email.routing import DUPLICATE, Incoming
from orders.email.services import inbound_receive_many, inbound_receive_raw
from orders.models import InboundEmail

RAW_MIME = "message/rfc822"
# The same raw message as generic bytes: what `curl --data-binary` and generated clients
# send (code generators know no message/* body), declared in the schema for them.
RAW_BYTES = "application/octet-stream"
logger = logging.getLogger(__name__)


class PayloadTooLarge(DomainError):
    status_code = 413
    default_code = "too_large"
    default_message = _("The request body is too large.")


def inbound_body(request) -> bytes:
    """The raw body, read once, with the channel's own size limit (mail with attachments is
    larger than the API's form limit)."""
    django_request = request._request
    if not hasattr(django_request, "_inbound_body"):
        limit = settings.INBOUND_EMAIL_MAX_BYTES
        body = django_request.read(limit + 1)
        if len(body) > limit:
            raise PayloadTooLarge()
        django_request._inbound_body = body
    return django_request._inbound_body


class InboundSignaturePermission(permissions.BasePermission):
    """Lets the request through only with a valid, fresh HMAC signature of its exact body;
    anything else is refused before a single row is written."""

    def has_permission(self, request, view) -> bool:
        if not hasattr(view, request.method.lower()):
            return True  # a method the view does not have: let DRF answer 405
        security.signature_verify(
            body=inbound_body(request),
            timestamp=request.headers.get(security.TIMESTAMP_HEADER),
            signature=request.headers.get(security.SIGNATURE_HEADER),
        )
        return True


class RawMIMEParser(BaseParser):
    """Declares message/rfc822 as accepted; the view reads the bytes itself."""

    media_type = RAW_MIME

    def parse(self, stream, media_type=None, parser_context=None):
        return stream.read() if stream else b""


class RawBytesParser(RawMIMEParser):
    media_type = RAW_BYTES


class StringOrListField(serializers.ListField):
    """A list of strings that also accepts one string (`"to": "a@x"`)."""

    def to_internal_value(self, data):
        if isinstance(data, str):
            data = [data]
        return super().to_internal_value(data)


class InboundAttachmentSerializer(serializers.Serializer):
    filename = serializers.CharField(max_length=255)
    content_type = serializers.CharField(max_length=200, default="application/octet-stream")
    content = serializers.CharField(help_text="The file, base64-encoded.", allow_blank=True)


class InboundMessageSerializer(serializers.Serializer):
    """One message as a relay sends it. `from` is the only required field; `to` (or `cc`)
    must name a company's support address for the message to be acted on."""

    sender = serializers.CharField(max_length=500, help_text='"Name <address>" or an address.')
    to = StringOrListField(child=serializers.CharField(max_length=500), default=list)
    cc = StringOrListField(child=serializers.CharField(max_length=500), default=list)
    subject = serializers.CharField(allow_blank=True, default="", max_length=2000)
    text = serializers.CharField(allow_blank=True, default="", trim_whitespace=False)
    html = serializers.CharField(allow_blank=True, default="", trim_whitespace=False)
    message_id = serializers.CharField(allow_blank=True, default="", max_length=1000)
    in_reply_to = serializers.CharField(allow_blank=True, default="", max_length=1000)
    references = StringOrListField(child=serializers.CharField(max_length=1000), default=list)
    date = serializers.CharField(allow_blank=True, default="", help_text="RFC 5322 or ISO 8601.")
    headers = serializers.DictField(
        child=serializers.CharField(allow_blank=True), default=dict, help_text="Other headers."
    )
    attachments = InboundAttachmentSerializer(many=True, default=list)

    def get_fields(self):
        # `from` is a Python keyword: declared as `sender`, exposed under its e-mail name.
        fields = super().get_fields()
        fields["from"] = fields.pop("sender")
        return fields


_SURROGATE_RE = re.compile("[\ud800-\udfff]")
_UNSURE = None


def _text(value, *, max_length: int | None = None, allow_blank: bool = True, trim: bool = True):
    """`value` as `InboundMessageSerializer`'s CharField validates it, or _UNSURE when only
    the field itself can tell (not a string, blank where required, too long, a NUL or a
    surrogate character: it answers with the error)."""
    if type(value) is not str or "\x00" in value or _SURROGATE_RE.search(value):
        return _UNSURE
    if trim:
        value = value.strip()
    if (not value and not allow_blank) or (max_length is not None and len(value) > max_length):
        return _UNSURE
    return value


def _texts(value, *, max_length: int):
    """A StringOrListField of non-blank CharFields, as `_text`."""
    values = [value] if type(value) is str else value
    if type(values) is not list:
        return _UNSURE
    texts = [_text(item, max_length=max_length, allow_blank=False) for item in values]
    return _UNSURE if _UNSURE in texts else texts


def plain_message(item: dict) -> dict | None:
    """What `InboundMessageSerializer().run_validation(item)` returns, for the message a
    relay almost always sends (strings and lists of strings, no attachments); None for
    anything else, which the serializer then validates (and explains, when it is wrong).
    DRF's field machinery cost more than the rest of reading a message."""
    headers = item.get("headers", {})
    if type(headers) is not dict or item.get("attachments", []) != []:
        return None
    data = {
        "to": _texts(item.get("to", []), max_length=500),
        "cc": _texts(item.get("cc", []), max_length=500),
        "subject": _text(item.get("subject", ""), max_length=2000),
        "text": _text(item.get("text", ""), trim=False),
        "html": _text(item.get("html", ""), trim=False),
        "message_id": _text(item.get("message_id", ""), max_length=1000),
        "in_reply_to": _text(item.get("in_reply_to", ""), max_length=1000),
        "references": _texts(item.get("references", []), max_length=1000),
        "date": _text(item.get("date", "")),
        "headers": {name: _text(value) for name, value in headers.items()},
        "attachments": [],
        "from": _text(item.get("from"), max_length=500, allow_blank=False),
    }
    if _UNSURE in data.values() or _UNSURE in data["headers"].values():
        return None
    return data


class InboundResultSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=[*InboundEmail.Status.values, DUPLICATE])
    inbound = serializers.IntegerField(allow_null=True, help_text="The stored message's id.")
    order = serializers.IntegerField(allow_null=True)
    reason = serializers.CharField(allow_blank=True)


class InboundResponseSerializer(serializers.Serializer):
    results = InboundResultSerializer(many=True)


def _as_duplicate(result: dict) -> dict:
    if result["status"] == DUPLICATE:
        return result
    return {**result, "status": DUPLICATE, "reason": "already received"}


@extend_schema(tags=["inbound e-mail"])
class InboundEmailView(APIView):
    """Receive e-mail relayed to a company's support address."""

    authentication_classes = []
    permission_classes = [InboundSignaturePermission]
    parser_classes = [JSONParser, RawMIMEParser, RawBytesParser]

    @extend_schema(
        request={
            "application/json": InboundMessageSerializer,
            RAW_BYTES: OpenApiTypes.BINARY,
        },
        responses={200: InboundResponseSerializer},
        parameters=[
            OpenApiParameter(
                security.TIMESTAMP_HEADER,
                OpenApiTypes.INT,
                OpenApiParameter.HEADER,
                required=True,
                description="Unix time of signing; refused when older than 5 minutes.",
            ),
            OpenApiParameter(
                security.SIGNATURE_HEADER,
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                required=True,
                description='"sha256=" + hex HMAC-SHA256(secret, timestamp + "." + body).',
            ),
        ],
        description=(
            "One message as a JSON object, a batch as a JSON array of them, or one raw "
            "message with `Content-Type: message/rfc822` (or `application/octet-stream`). "
            "Always 200 once the signature is valid: each message reports created, joined, "
            "ignored, parked or duplicate."
        ),
    )
    def post(self, request):
        signature = request.headers[security.SIGNATURE_HEADER]
        earlier = security.signature_claim(signature=signature)
        if earlier is not None:  # the same signed request again: the same answer
            return Response({"results": [_as_duplicate(result) for result in earlier.results]})
        try:
            results = [result.as_dict() for result in self._receive(request)]
        except Exception:
            security.signature_release(signature=signature)
            raise
        security.signature_answered(signature=signature, results=results)
        return Response({"results": results})

    def _receive(self, request) -> list:
        body = inbound_body(request)
        if request.content_type.split(";")[0].strip().lower() in (RAW_MIME, RAW_BYTES):
            results = [inbound_receive_raw(raw=body)]
        else:
            # A batch is received in one transaction, each message in its own savepoint.
            # One serializer checks every item (its fields are built once, not per item).
            validator = InboundMessageSerializer()
            items = self._json_items(body)
            results = inbound_receive_many([self._incoming(item, validator) for item in items])
        return results

    def _json_items(self, body: bytes) -> list:
        try:
            payload = json.loads(body or b"null")
        except (UnicodeDecodeError, ValueError, RecursionError) as exc:  # nested too deep
            raise FieldError("body", _("Send JSON or a message/rfc822 body.")) from exc
        items = payload if isinstance(payload, list) else [payload]
        if not items or not all(isinstance(item, dict) for item in items):
            raise FieldError("body", _("Send one message object or a list of them."))
        if len(items) > settings.INBOUND_EMAIL_BATCH_MAX:
            raise FieldError(
                "body",
                _("Send at most %(count)d messages at once.")
                % {"count": settings.INBOUND_EMAIL_BATCH_MAX},
            )
        return items

    def _incoming(self, item: dict, validator: InboundMessageSerializer) -> Incoming:
        raw = json.dumps(item, ensure_ascii=False).encode("utf-8", "surrogatepass")
        item = clean_json(item)
        data = plain_message(item)
        if data is None:
            try:
                data = validator.run_validation(item)
            except serializers.ValidationError as exc:
                return Incoming(raw=raw, unreadable=f"invalid message: {json.dumps(exc.detail)}")
        try:
            return Incoming(raw=raw, parsed=parse_json(data))
        except UnreadableEmail as exc:
            return Incoming(raw=raw, unreadable=str(exc))
        except Exception as exc:  # one message never fails its batch: it is parked
            logger.exception("Inbound JSON message could not be read; parking it")
            return Incoming(raw=raw, unreadable=f"{type(exc).__name__}: {exc}")
