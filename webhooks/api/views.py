from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from companies.api.permissions import CompanyRolePermission
from companies.api.views import CompanyScopedMixin
from companies.models import Membership
from core.serializers import refuse_body
from webhooks import selectors, services
from webhooks.api import serializers
from webhooks.api.filters import WebhookDeliveryFilter, WebhookEndpointFilter
from webhooks.models import WebhookDelivery, WebhookEndpoint

ADMIN = Membership.Role.ADMIN

_WHEN = "2026-03-02T13:45:00Z"
_ENDPOINT = {
    "id": 5,
    "company": 1,
    "url": "https://hooks.softclient.example/mutirao",
    "events": ["order.created", "order.status_changed"],
    "is_active": True,
    "description": "Our ERP",
    "secret_hint": "…9f3a",
    "created_by": 2,
    "created_at": _WHEN,
    "updated_at": _WHEN,
}
_SECRET = "whsec_4d1c0c6b0a3e6f1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f6a7b9f3a"  # noqa: S105 (an example, not a secret)
_DELIVERY = {
    "id": 310,
    "endpoint": 5,
    "event": "order.status_changed",
    "event_id": "812:order.status_changed",
    "status": "failed",
    "attempts": 3,
    "response_code": 503,
    "duration_ms": 412,
    "error": "The endpoint answered 503.",
    "next_attempt_at": None,
    "give_up_at": "2026-03-03T13:45:00Z",
    "created_at": _WHEN,
    "delivered_at": None,
}
_PING = {
    **_DELIVERY,
    "id": 311,
    "event": "ping",
    "event_id": "ping:0b4f9c1e6a2d4e0f8c7b5a3d2e1f0a9b",
    "status": "pending",
    "attempts": 0,
    "response_code": None,
    "duration_ms": None,
    "error": "",
    "next_attempt_at": _WHEN,
}


@extend_schema(tags=["webhooks"])
class CompanyWebhookViewSet(CompanyScopedMixin, viewsets.GenericViewSet):
    """`companies/{id}/webhooks`: the company's endpoints, for its admins and staff."""

    queryset = WebhookEndpoint.objects.none()  # for the schema; get_queryset() scopes
    serializer_class = serializers.WebhookEndpointSerializer
    required_roles = {"list": {ADMIN}, "create": {ADMIN}}
    filterset_class = WebhookEndpointFilter
    search_fields = ["url", "description"]
    ordering_fields = ["id", "created_at", "url"]
    ordering = ["id"]

    def get_queryset(self):
        company = self.get_company()
        return selectors.webhook_endpoint_list_visible_to(self.request.user).filter(company=company)

    def list(self, request, company_id=None):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        request=serializers.WebhookEndpointCreateSerializer,
        responses={201: serializers.WebhookEndpointWithSecretSerializer},
        examples=[
            OpenApiExample(
                "Order changes to an ERP",
                request_only=True,
                value={
                    "url": _ENDPOINT["url"],
                    "events": _ENDPOINT["events"],
                    "description": _ENDPOINT["description"],
                },
            ),
            OpenApiExample(
                "Registered: the secret is shown this once",
                response_only=True,
                status_codes=["201"],
                value={**_ENDPOINT, "secret": _SECRET},
            ),
        ],
    )
    def create(self, request, company_id=None):
        """Register an endpoint. Its URL must be https on a public address (400 `url_scheme`,
        `url_private`, `url_unresolved`, `url_not_allowed`); the answer carries the secret,
        shown only here and on rotation."""
        company = self.get_company()
        payload = serializers.WebhookEndpointCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        endpoint = services.webhook_endpoint_create(
            company=company, actor=request.user, **payload.validated_data
        )
        body = serializers.WebhookEndpointWithSecretSerializer(endpoint).data
        return Response(body, status=status.HTTP_201_CREATED)


@extend_schema(tags=["webhooks"])
class WebhookViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """`webhooks/{id}`: an endpoint, for its company's admins and staff."""

    queryset = WebhookEndpoint.objects.none()  # for the schema; get_queryset() scopes
    serializer_class = serializers.WebhookEndpointSerializer
    permission_classes = [IsAuthenticated, CompanyRolePermission]
    lookup_value_regex = r"\d+"
    required_roles = {
        "retrieve": {ADMIN},
        "partial_update": {ADMIN},
        "destroy": {ADMIN},
        "rotate_secret": {ADMIN},
        "ping": {ADMIN},
    }

    def get_queryset(self):
        return selectors.webhook_endpoint_list_visible_to(self.request.user)

    @extend_schema(
        examples=[OpenApiExample("An endpoint", response_only=True, value=_ENDPOINT)],
    )
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        request=serializers.WebhookEndpointUpdateSerializer,
        responses=serializers.WebhookEndpointSerializer,
        examples=[
            OpenApiExample("Pause it", request_only=True, value={"is_active": False}),
            OpenApiExample("Paused", response_only=True, value={**_ENDPOINT, "is_active": False}),
        ],
    )
    def partial_update(self, request, pk=None):
        """Change the URL (checked as at registration), events, description or whether it
        is active. The secret changes only by rotation."""
        endpoint = self.get_object()
        payload = serializers.WebhookEndpointUpdateSerializer(data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        endpoint = services.webhook_endpoint_update(endpoint=endpoint, data=payload.validated_data)
        return Response(serializers.WebhookEndpointSerializer(endpoint).data)

    @extend_schema(request=None, responses={204: None})
    def destroy(self, request, pk=None):
        """Delete the endpoint and its delivery log."""
        services.webhook_endpoint_delete(endpoint=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        request=None,
        responses=serializers.WebhookEndpointWithSecretSerializer,
        examples=[
            OpenApiExample(
                "A new secret, shown this once",
                response_only=True,
                value={**_ENDPOINT, "secret": _SECRET},
            )
        ],
    )
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request, pk=None):
        """Replace the signing secret; the answer shows the new one, this once."""
        endpoint = self.get_object()
        refuse_body(request)
        endpoint = services.webhook_endpoint_rotate_secret(endpoint=endpoint)
        return Response(serializers.WebhookEndpointWithSecretSerializer(endpoint).data)

    @extend_schema(
        request=None,
        responses={202: serializers.WebhookDeliverySerializer},
        examples=[OpenApiExample("Queued", response_only=True, status_codes=["202"], value=_PING)],
    )
    @action(detail=True, methods=["post"])
    def ping(self, request, pk=None):
        """Send a test delivery (`ping`); its result shows in the delivery log. An inactive
        endpoint is 409 `endpoint_inactive`."""
        endpoint = self.get_object()
        refuse_body(request)
        delivery = services.webhook_endpoint_ping(endpoint=endpoint, actor=request.user)
        return Response(
            serializers.WebhookDeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED
        )


@extend_schema(tags=["webhooks"])
class WebhookDeliveryViewSet(viewsets.GenericViewSet):
    """`webhooks/{id}/deliveries`: an endpoint's delivery log, for its company's admins."""

    queryset = WebhookDelivery.objects.none()  # for the schema; get_queryset() scopes
    serializer_class = serializers.WebhookDeliverySerializer
    permission_classes = [IsAuthenticated, CompanyRolePermission]
    lookup_url_kwarg = "delivery_id"
    lookup_value_regex = r"\d+"
    required_roles = {"list": {ADMIN}, "retrieve": {ADMIN}, "redeliver": {ADMIN}}
    filterset_class = WebhookDeliveryFilter
    ordering_fields = ["created_at", "id"]
    ordering = ["-created_at", "-id"]

    def get_endpoint(self) -> WebhookEndpoint:
        if not hasattr(self, "_endpoint"):
            endpoint = selectors.webhook_endpoint_get_visible_to(
                self.request.user, self.kwargs["webhook_id"]
            )
            self.check_object_permissions(self.request, endpoint)
            self._endpoint = endpoint
        return self._endpoint

    def get_queryset(self):
        return selectors.webhook_delivery_list_of(self.get_endpoint())

    @extend_schema(
        examples=[OpenApiExample("A failed delivery", response_only=True, value=_DELIVERY)]
    )
    def list(self, request, webhook_id=None):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        responses=serializers.WebhookDeliveryDetailSerializer,
        examples=[
            OpenApiExample(
                "With its payload",
                response_only=True,
                value={
                    **_DELIVERY,
                    "payload": {
                        "id": "812:order.status_changed",
                        "type": "order.status_changed",
                        "occurred_at": _WHEN,
                        "company": 1,
                        "actor": 7,
                        "order": {"id": 42, "status": "in_progress"},
                        "changes": {"status": {"from": "open", "to": "in_progress"}},
                    },
                    "response_excerpt": "Service Unavailable",
                },
            )
        ],
    )
    def retrieve(self, request, webhook_id=None, delivery_id=None):
        delivery = selectors.webhook_delivery_get(self.get_endpoint(), delivery_id)
        return Response(serializers.WebhookDeliveryDetailSerializer(delivery).data)

    @extend_schema(
        request=None,
        responses={202: serializers.WebhookDeliverySerializer},
        examples=[
            OpenApiExample(
                "Queued again",
                response_only=True,
                status_codes=["202"],
                value={**_PING, "event": _DELIVERY["event"], "event_id": _DELIVERY["event_id"]},
            )
        ],
    )
    @action(detail=True, methods=["post"])
    def redeliver(self, request, webhook_id=None, delivery_id=None):
        """Send the delivery's event again, as a new delivery with the same payload and
        event id. An inactive endpoint is 409 `endpoint_inactive`."""
        delivery = selectors.webhook_delivery_get(self.get_endpoint(), delivery_id)
        refuse_body(request)
        delivery = services.webhook_delivery_redeliver(delivery=delivery)
        return Response(
            serializers.WebhookDeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED
        )
