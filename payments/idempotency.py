"""Idempotency-Key for money writes: the same key replays the first answer.

A record per (user, key) is committed *before* the work starts, so exactly one request
with a key does the work: a duplicate arriving meanwhile hits the unique constraint and
gets 409; one arriving later gets the stored status and body back; a key reused with a
different request gets 422.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from core.exceptions import Conflict, Unprocessable
from payments.models import IdempotencyRecord

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255


@dataclass(frozen=True)
class StoredResponse:
    status: int
    body: Any


def request_hash(*, method: str, path: str, data: Any) -> str:
    """SHA-256 of the method, path and body in canonical JSON (key order does not matter)."""
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{method} {path}\n{canonical}".encode()).hexdigest()


def idempotency_begin(
    *, user: User, key: str, scope: str, fingerprint: str
) -> IdempotencyRecord | StoredResponse:
    """Claim `key` for this request, or say what to answer instead.

    Returns a new in-progress record (go ahead, then call `idempotency_finish`), or the
    stored response of a finished request with the same body. Raises 422 when the key was
    used for another request and 409 while the first request is still running. Commits
    at once, so concurrent duplicates see the claim.
    """
    try:
        with transaction.atomic():
            return IdempotencyRecord.objects.create(
                user=user, key=key, scope=scope, request_hash=fingerprint
            )
    except IntegrityError:
        pass
    existing = IdempotencyRecord.objects.get(user=user, key=key)
    if existing.request_hash != fingerprint or existing.scope != scope:
        raise Unprocessable(
            _("This Idempotency-Key was already used for a different request."),
            code="idempotency_key_reused",
        )
    if existing.state == IdempotencyRecord.State.IN_PROGRESS:
        raise Conflict(
            _("A request with this Idempotency-Key is still being processed; retry later."),
            code="idempotency_in_progress",
        )
    return StoredResponse(status=existing.response_status, body=existing.response_body)


def idempotency_finish(*, record: IdempotencyRecord, status: int, body: Any) -> None:
    """Store the final answer, to be replayed for every retry with the same key."""
    IdempotencyRecord.objects.filter(pk=record.pk).update(
        state=IdempotencyRecord.State.COMPLETED,
        response_status=status,
        response_body=json.loads(json.dumps(body, default=str)),
        completed_at=timezone.now(),
    )


def idempotency_release(*, record: IdempotencyRecord) -> None:
    """Forget a claim whose request was refused before anything happened (nothing was
    charged), so the same key may be retried after fixing the cause."""
    IdempotencyRecord.objects.filter(pk=record.pk).delete()


def idempotency_records_purge() -> int:
    """Delete records older than IDEMPOTENCY_KEY_TTL_HOURS; returns how many."""
    cutoff = timezone.now() - timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS)
    deleted, _details = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
