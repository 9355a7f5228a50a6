"""Domain errors and the one exception handler that gives every API error the same shape.

Every error body is `{"detail": str, "code": str}`; validation errors add `errors`, a map
of field name to messages; domain errors may add context (a conflict names the current
status). Messages are translated by the request's `Accept-Language`.

The database being unreachable (restarting, failing over, out of connections) is a 503
`service_unavailable` with `Retry-After`, never a 500 or an HTML page: the API handler
below covers the API, `core.views.server_error` everything else.
"""

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import (
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

logger = logging.getLogger(__name__)

# Errors of the connection to the database, not of the query: retrying later can succeed.
DATABASE_UNAVAILABLE_ERRORS = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 5


def database_unavailable_body() -> dict[str, str]:
    return {
        "detail": str(_("The service is temporarily unavailable. Try again shortly.")),
        "code": "service_unavailable",
    }


class DomainError(Exception):
    """A business rule said no. Services raise these; the handler maps them to HTTP."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "invalid"
    default_message = _("The request could not be carried out.")

    def __init__(self, message: Any = None, *, code: str | None = None, **extra: Any) -> None:
        self.message = message if message is not None else self.default_message
        self.code = code or self.default_code
        self.extra = extra
        super().__init__(str(self.message))


class NotFound(DomainError):
    status_code = status.HTTP_404_NOT_FOUND
    default_code = "not_found"
    default_message = _("Not found.")


class Forbidden(DomainError):
    status_code = status.HTTP_403_FORBIDDEN
    default_code = "permission_denied"
    default_message = _("You do not have permission to perform this action.")


class Conflict(DomainError):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"
    default_message = _("The request conflicts with the current state.")


class Unprocessable(DomainError):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "unprocessable"


class FieldError(DomainError):
    """Bad input found by a service (after the serializer), reported against one field."""

    default_code = "invalid"

    def __init__(self, field: str, message: Any, *, code: str = "invalid") -> None:
        super().__init__(message, code=code)
        self.field = field


class PayloadTooLarge(DomainError):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"
    default_message = _("The request body is too large.")


def _limit_error(exc: SuspiciousOperation) -> DomainError | None:
    """Django's own request limits (body size, number of fields or files) as API errors;
    left alone they become an HTML 400 page."""
    if isinstance(exc, RequestDataTooBig):
        return PayloadTooLarge()
    if isinstance(exc, TooManyFieldsSent | TooManyFilesSent):
        return DomainError(_("The request has too many fields or files."), code="too_many_fields")
    return None


def exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, DATABASE_UNAVAILABLE_ERRORS):
        logger.warning("Database unavailable: %r", exc)
        set_rollback()
        return Response(
            database_unavailable_body(),
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    if isinstance(exc, SuspiciousOperation):
        exc = _limit_error(exc) or exc
    if isinstance(exc, FieldError):
        exc = exceptions.ValidationError({exc.field: [exc.message]}, code=exc.code)
    elif isinstance(exc, DomainError):
        body = {"detail": str(exc.message), "code": exc.code, **exc.extra}
        return Response(body, status=exc.status_code)
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))
    elif isinstance(exc, Http404):
        # get_object_or_404 and friends: without this the body would lack `code`.
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        errors = response.data
        if isinstance(errors, list):
            errors = {"non_field_errors": errors}
        response.data = {"detail": str(_("Invalid input.")), "code": "invalid", "errors": errors}
    elif isinstance(exc, exceptions.APIException):
        response.data = _detail_and_code(exc)
    return response


def _detail_and_code(exc: exceptions.APIException) -> dict:
    """`{detail, code}` for any APIException. simplejwt's token errors carry a dict
    (`{"detail", "code", "messages"}`) where DRF's carry one message."""
    detail, codes = exc.detail, exc.get_codes()
    if isinstance(detail, dict):
        message = detail.get("detail", exc.default_detail)
        code = codes.get("code", codes.get("detail", exc.default_code))
        return {"detail": str(message), "code": str(code)}
    return {"detail": str(detail), "code": codes if isinstance(codes, str) else exc.default_code}
