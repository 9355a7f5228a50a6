import sys

from django.http import JsonResponse
from django.views import defaults
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import api_view, authentication_classes, permission_classes
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response

from core.exceptions import (
    DATABASE_UNAVAILABLE_ERRORS,
    RETRY_AFTER_SECONDS,
    database_unavailable_body,
)
from core.health import run_checks

_HEALTH_BODY = {"status": serializers.CharField(), "checks": serializers.DictField()}


@extend_schema(
    tags=["health"],
    responses={
        (200, "application/json"): inline_serializer("Health", _HEALTH_BODY),
        (503, "application/json"): inline_serializer("HealthUnavailable", _HEALTH_BODY),
    },
)
@api_view(["GET"])
@authentication_classes([])
@permission_classes([AllowAny])
def health(request):
    """Readiness. Everything reachable: 200 `ok`. Cache or broker down: still 200, status
    `degraded` (the API serves reads and writes; e-mails wait in the outbox). Database
    down: 503 `unavailable`, so a load balancer stops sending traffic."""
    checks = run_checks()
    if checks["database"] != "ok":
        state, code = "unavailable", 503
    elif any(result != "ok" for result in checks.values()):
        state, code = "degraded", 200
    else:
        state, code = "ok", 200
    return Response({"status": state, "checks": checks}, status=code)


@extend_schema(
    tags=["health"],
    responses=inline_serializer("Pong", {"pong": serializers.BooleanField()}),
)
@api_view(["GET"])
@permission_classes([IsAuthenticated])
def ping(request):
    """A constant answer behind the normal JWT authentication: what the stack costs when
    a request does no work (the floor of docs/performance.md)."""
    return Response({"pong": True})


def server_error(request, *args, **kwargs):
    """A 500 that still speaks JSON, in the shape of every other API error; a 503 when the
    cause was the database being unreachable (outside the API views, e.g. the admin)."""
    if isinstance(sys.exc_info()[1], DATABASE_UNAVAILABLE_ERRORS):
        response = JsonResponse(database_unavailable_body(), status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    return JsonResponse({"detail": "Server error.", "code": "server_error"}, status=500)


def not_found(request, exception=None):
    """A 404 for a URL that matches no route: JSON in the shape of every other API error
    under /api/, Django's page elsewhere (the admin)."""
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"detail": str(NotFound.default_detail), "code": "not_found"}, status=404
        )
    return defaults.page_not_found(request, exception)
