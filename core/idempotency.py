"""Idempotency-Key for any POST: the same key replays the first answer.

A view method decorated with `@idempotent(scope="donation")` takes an optional
`Idempotency-Key` header. A record per (user, key) is committed *before* the work starts,
so exactly one request with a key does the work: a duplicate arriving meanwhile hits the
unique constraint and gets 409; one arriving later gets the stored status and body back
(with `Idempotent-Replayed: true`); a key reused with a different request gets 422. A
request refused by an exception with a 4xx (a domain error, bad input) releases its key,
since it changed nothing, so the same key may be retried once the cause is fixed; an
answer the view returns, whatever its status (a declined card's 402), is stored.
"""

import functools
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import APIException
from rest_framework.request import Request
from rest_framework.response import Response

from core.exceptions import Conflict, DomainError, FieldError, Unprocessable
from core.models import IdempotencyRecord

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
REPLAYED_HEADER = "Idempotent-Replayed"
# What a view raises to refuse a request; Django's two become 404 and 403 in DRF.
REFUSALS = (DomainError, APIException, Http404, PermissionDenied)

OPENAPI_PARAMETER = OpenApiParameter(
    name=HEADER,
    type=OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=False,
    description=(
        "Any unique string (a UUID). A retry with the same key and body returns the first "
        "answer without doing the work again; another body → 422; while the first runs → 409."
    ),
)


@dataclass(frozen=True)
class StoredResponse:
    status: int
    body: Any


def idempotent(*, scope: str) -> Callable:
    """Make a view method (a ViewSet's `create`, an `@action`) honour `Idempotency-Key`.

    Without the header the method runs as usual. With it, see the module docstring; the
    header is also documented on the operation's OpenAPI schema. Keys belong to a user, so
    the view must require a login. Put it under `@extend_schema`, if any.
    """

    def decorator(method: Callable[..., Response]) -> Callable[..., Response]:
        @functools.wraps(method)
        def wrapper(view: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
            key = request.headers.get(HEADER, "").strip()
            if not key:
                return method(view, request, *args, **kwargs)
            return _run_once(
                request=request,
                key=key,
                scope=scope,
                run=lambda: method(view, request, *args, **kwargs),
            )

        return extend_schema(parameters=[OPENAPI_PARAMETER])(wrapper)

    return decorator


def _run_once(*, request: Request, key: str, scope: str, run: Callable[[], Response]) -> Response:
    if len(key) > MAX_KEY_LENGTH:
        raise FieldError(HEADER, _("Use at most 255 characters."), code="invalid")
    claim = idempotency_begin(
        user=request.user,
        key=key,
        scope=scope,
        fingerprint=request_hash(method=request.method, path=request.path, data=request.data),
    )
    if isinstance(claim, StoredResponse):
        return Response(claim.body, status=claim.status, headers={REPLAYED_HEADER: "true"})
    try:
        response = run()
    except REFUSALS as exc:
        if getattr(exc, "status_code", 400) < 500:  # refused, nothing done: free the key
            idempotency_release(record=claim)
        raise
    idempotency_finish(record=claim, status=response.status_code, body=response.data)
    return response


def request_hash(*, method: str, path: str, data: Any) -> str:
    """SHA-256 of the method, path and body in canonical JSON (key order does not matter)."""
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{method} {path}\n{canonical}".encode()).hexdigest()


def idempotency_begin(
    *, user: AbstractBaseUser, key: str, scope: str, fingerprint: str
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
    """Forget a claim whose request was refused before anything happened, so the same key
    may be retried after fixing the cause."""
    IdempotencyRecord.objects.filter(pk=record.pk).delete()


def idempotency_records_delete_expired() -> int:
    """Delete records older than IDEMPOTENCY_KEY_TTL_HOURS; returns how many."""
    cutoff = timezone.now() - timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS)
    deleted, _details = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
