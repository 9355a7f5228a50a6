"""The inbound webhook's signature: HMAC-SHA256 over `<timestamp>.<raw body>`.

A request is accepted only when the shared secret is configured, the signature matches,
the timestamp is at most `INBOUND_EMAIL_MAX_AGE_SECONDS` old (or ahead), and the same
signature was never accepted before. The accepted signature's digest is stored under a
unique constraint, so a replay is refused by whichever process receives it.
"""

import hashlib
import hmac
import time
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.exceptions import Forbidden
from orders.models import InboundSignature

TIMESTAMP_HEADER = "X-Mutirao-Timestamp"
SIGNATURE_HEADER = "X-Mutirao-Signature"


class SignatureRefused(Forbidden):
    default_code = "signature_invalid"
    default_message = _("The request signature is missing, wrong or expired.")


def sign(body: bytes, *, timestamp: int | str, secret: str) -> str:
    """The header value a sender puts in X-Mutirao-Signature."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def signature_verify(*, body: bytes, timestamp: str | None, signature: str | None) -> None:
    """Accept the signature once, or raise SignatureRefused (nothing else is written)."""
    secret = settings.INBOUND_EMAIL_SECRET
    if not secret:
        raise SignatureRefused(_("Inbound e-mail is not configured."), code="not_configured")
    if not timestamp or not signature:
        raise SignatureRefused(code="signature_missing")
    try:
        age = time.time() - int(timestamp)
    except ValueError as exc:
        raise SignatureRefused(code="signature_invalid") from exc
    if abs(age) > settings.INBOUND_EMAIL_MAX_AGE_SECONDS:
        raise SignatureRefused(code="signature_expired")
    if not hmac.compare_digest(sign(body, timestamp=timestamp, secret=secret), signature.strip()):
        raise SignatureRefused(code="signature_invalid")
    digest = hashlib.sha256(signature.strip().encode()).hexdigest()
    try:
        with transaction.atomic():
            InboundSignature.objects.create(digest=digest)
    except IntegrityError as exc:
        raise SignatureRefused(
            _("This signed request was already received."), code="signature_replayed"
        ) from exc


def signatures_purge() -> int:
    """Forget signatures too old to be accepted anyway; returns how many were removed."""
    cutoff = timezone.now() - timedelta(seconds=2 * settings.INBOUND_EMAIL_MAX_AGE_SECONDS)
    deleted, _counts = InboundSignature.objects.filter(created_at__lt=cutoff).delete()
    return deleted
