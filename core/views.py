import sys
import threading
from typing import ClassVar

from django.core.signals import setting_changed
from django.http import JsonResponse
from django.utils import translation
from django.views import defaults
from drf_spectacular.utils import extend_schema, inline_serializer
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework import serializers
from rest_framework.decorators import api_view, authentication_classes, permission_classes
from rest_framework.exceptions import NotFound, PermissionDenied
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
    a request does no work (the benchmark's floor)."""
    return Response({"pong": True})


def server_error(request, *args, **kwargs):
    """A 500 that still speaks JSON, in the shape of every other API error; a 503 when the
    cause was the database being unreachable (outside the API views, e.g. the admin)."""
    if isinstance(sys.exc_info()[1], DATABASE_UNAVAILABLE_ERRORS):
        response = JsonResponse(database_unavailable_body(), status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    return JsonResponse({"detail": "Server error.", "code": "server_error"}, status=500)


def bad_request(request, exception=None):
    """A 400 Django raised before any view (an unknown `Host`, a malformed request): JSON
    under /api/, like every other API error; Django's page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Bad request.", "code": "bad_request"}, status=400)
    return defaults.bad_request(request, exception)


def permission_denied(request, exception=None):
    """A 403 Django raised outside DRF: JSON under /api/, Django's page elsewhere."""
    if request.path.startswith("/api/"):
        detail = str(PermissionDenied.default_detail)
        return JsonResponse({"detail": detail, "code": "permission_denied"}, status=403)
    return defaults.permission_denied(request, exception)


def not_found(request, exception=None):
    """A 404 for a URL that matches no route: JSON in the shape of every other API error
    under /api/, Django's page elsewhere (the admin)."""
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"detail": str(NotFound.default_detail), "code": "not_found"}, status=404
        )
    return defaults.page_not_found(request, exception)


class SchemaView(SpectacularAPIView):
    """`/api/schema/`, generated once per process and language, then served from memory.

    drf-spectacular's generator is not thread-safe (two threads generating at once fail
    with 500s), and the schema only changes with the code. It is public: a bad
    `Authorization` header must not turn it into a 401."""

    authentication_classes = []
    permission_classes = [AllowAny]
    _schemas: ClassVar[dict[str, dict]] = {}
    _lock = threading.Lock()

    def _get_schema_response(self, request):
        language = translation.get_language() or ""
        with self._lock:
            if language not in self._schemas:
                generator = self.generator_class(urlconf=self.urlconf, patterns=self.patterns)
                self._schemas[language] = generator.get_schema(request=None, public=True)
        filename = self._get_filename(request, None)
        return Response(
            self._schemas[language],
            headers={"Content-Disposition": f'inline; filename="{filename}"'},
        )

    @classmethod
    def forget(cls, **kwargs) -> None:
        """Generate it again next time (a test changed a setting the schema reads)."""
        with cls._lock:
            cls._schemas.clear()


setting_changed.connect(SchemaView.forget, dispatch_uid="core-schema-forget")

# The documentation pages load only what we serve: Redoc's side menu would fetch its logo
# from a CDN, which the browser now refuses to request.
DOCS_CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; connect-src 'self'"
)


class _DocsPage:
    authentication_classes = []
    permission_classes = [AllowAny]

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Content-Security-Policy"] = DOCS_CONTENT_SECURITY_POLICY
        return response


class SwaggerView(_DocsPage, SpectacularSwaggerView):
    """`/api/docs/`: Swagger UI, served from our own static files."""


class RedocView(_DocsPage, SpectacularRedocView):
    """`/api/redoc/`: ReDoc, served from our own static files."""
