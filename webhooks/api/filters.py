import django_filters

from core.filters import ChoicesFilter, FilterSet
from webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent

DELIVERY_EVENTS = [*WebhookEvent.choices, (WebhookDelivery.PING, WebhookDelivery.PING)]


class WebhookEndpointFilter(FilterSet):
    is_active = django_filters.BooleanFilter()

    class Meta:
        model = WebhookEndpoint
        fields = []


class WebhookDeliveryFilter(FilterSet):
    status = ChoicesFilter(choices=WebhookDelivery.Status.choices, help_text="e.g. failed,pending")
    event = ChoicesFilter(choices=DELIVERY_EVENTS, help_text="e.g. order.created,ping")

    class Meta:
        model = WebhookDelivery
        fields = []
