from django.http import JsonResponse
from django.views import defaults
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import api_view, authentication_classes, permission_classes
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response

from core.health import run_checks


@extend_schema(
    tags=["health"],
    responses={
        (200, "application/json"): inline_serializer(
            "Health",
            {"status": serializers.CharField(), "checks": serializers.DictField()},
        ),
        (503, "application/json"): inline_serializer(
            "HealthDegraded",
            {"status": serializers.CharField(), "checks": serializers.DictField()},
        ),
    },
)
@api_view(["GET"])
@authentication_classes([])
@permission_classes([AllowAny])
def health(request):
    """Database (and cache and broker, when configured) reachable: 200; otherwise 503."""
    checks = run_checks()
    healthy = all(result == "ok" for result in checks.values())
    return Response(
        {"status": "ok" if healthy else "degraded", "checks": checks},
        status=200 if healthy else 503,
    )


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
    """A 500 that still speaks JSON, in the shape of every other API error."""
    return JsonResponse({"detail": "Server error.", "code": "server_error"}, status=500)


def not_found(request, exception=None):
    """A 404 for a URL that matches no route: JSON in the shape of every other API error
    under /api/, Django's page elsewhere (the admin)."""
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"detail": str(NotFound.default_detail), "code": "not_found"}, status=404
        )
    return defaults.page_not_found(request, exception)
