"""The inbound webhook's signature: HMAC-SHA256 over `<timestamp>.<raw body>`.

A request is accepted only when the shared secret is configured, the signature matches
and the timestamp is at most `INBOUND_EMAIL_MAX_AGE_SECONDS` old (or ahead). The accepted
signature's digest is stored under a unique constraint together with the answer it got:
the same signed request again (a relay's fast retry) gets that answer back, every message
reported as a duplicate, and nothing is stored twice, in whichever process it arrives. A
signature stands for one body: with any other body it does not verify.
"""

import hashlib
import hmac
import time
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.exceptions import Conflict, Forbidden
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
    """Raise SignatureRefused unless the signature is configured, valid and fresh."""
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


def _digest(signature: str) -> str:
    return hashlib.sha256(signature.strip().encode()).hexdigest()


def signature_claim(*, signature: str) -> InboundSignature | None:
    """Record a verified signature as being answered: None when this request is its first
    delivery, else the earlier delivery's row (its `results` are None while that one is
    still being answered, which raises Conflict: the relay retries a moment later)."""
    digest = _digest(signature)
    try:
        with transaction.atomic():
            InboundSignature.objects.create(digest=digest)
        return None
    except IntegrityError:
        earlier = InboundSignature.objects.get(digest=digest)
    if earlier.results is None:
        raise Conflict(
            _("This signed request is still being received; retry in a moment."),
            code="signature_in_flight",
        )
    return earlier


def signature_answered(*, signature: str, results: list[dict]) -> None:
    """Keep the answer a claimed signature got, for its re-deliveries."""
    InboundSignature.objects.filter(digest=_digest(signature)).update(results=results)


def signature_release(*, signature: str) -> None:
    """Forget a claim whose request failed, so that its re-delivery is received afresh."""
    InboundSignature.objects.filter(digest=_digest(signature), results__isnull=True).delete()


def signatures_purge() -> int:
    """Forget signatures too old to be accepted anyway; returns how many were removed."""
    cutoff = timezone.now() - timedelta(seconds=2 * settings.INBOUND_EMAIL_MAX_AGE_SECONDS)
    deleted, _counts = InboundSignature.objects.filter(created_at__lt=cutoff).delete()
    return deleted
