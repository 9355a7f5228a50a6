"""Querysets of webhook endpoints and their deliveries, scoped to the person asking.

Every member of a company sees that its endpoints exist (so a refusal is a 403, not a
404); only its admins and staff may read or change them, which the views' `required_roles`
enforce. Another company's endpoints and deliveries do not exist for the caller (404).
"""

from django.db.models import QuerySet

from accounts.models import User
from companies.selectors import company_ids_where
from core.exceptions import NotFound
from webhooks.models import WebhookDelivery, WebhookEndpoint


def webhook_endpoint_list_visible_to(user: User) -> QuerySet[WebhookEndpoint]:
    """Endpoints of the companies the user belongs to (every endpoint for staff)."""
    endpoints = WebhookEndpoint.objects.select_related("company").order_by("id")
    if user.is_staff:
        return endpoints
    return endpoints.filter(company_id__in=company_ids_where(user))


def webhook_endpoint_get_visible_to(user: User, pk: int) -> WebhookEndpoint:
    try:
        return webhook_endpoint_list_visible_to(user).get(pk=pk)
    except (WebhookEndpoint.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound() from exc


def webhook_delivery_list_of(endpoint: WebhookEndpoint) -> QuerySet[WebhookDelivery]:
    """An endpoint's delivery log, newest first (the caller already sees the endpoint);
    without the payloads, which only one delivery's page shows."""
    return (
        WebhookDelivery.objects.filter(endpoint=endpoint)
        .defer("payload", "response_excerpt")
        .order_by("-created_at", "-id")
    )


def webhook_delivery_get(endpoint: WebhookEndpoint, pk: int) -> WebhookDelivery:
    """One delivery of the endpoint, whole (404 when it is another endpoint's)."""
    try:
        delivery = WebhookDelivery.objects.get(endpoint=endpoint, pk=pk)
    except (WebhookDelivery.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound() from exc
    delivery.endpoint = endpoint  # already loaded and checked: no second query
    return delivery
