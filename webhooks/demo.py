from datetime import timedelta

from accounts.models import User
from companies.models import Company
from core.demo import DemoLogin
from orders.models import OrderEvent
from webhooks import services
from webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent

DEMO_URL = "https://example.com/mutirao-webhooks"


def create_demo_data() -> list[DemoLogin]:
    """SoftClient's ERP endpoint, inactive so that nothing is really sent, with the log of
    a few past deliveries: two delivered, one given up after a day of 503s."""
    softclient = Company.objects.get(cnpj="11222333000181")
    if WebhookEndpoint.objects.filter(company=softclient, url=DEMO_URL).exists():
        return []
    # Written directly: the demo runs offline, where the SSRF guard could not resolve it.
    endpoint = WebhookEndpoint.objects.create(
        company=softclient,
        url=DEMO_URL,
        events=[WebhookEvent.ORDER_CREATED, WebhookEvent.ORDER_STATUS_CHANGED],
        description="ERP da SoftClient (exemplo, inativo)",
        is_active=False,
        secret=services.new_secret(),
        created_by=User.objects.filter(email="admin@softclient.demo").first(),
    )
    events = OrderEvent.objects.filter(order__company=softclient).select_related("order")
    announced = [
        (event, kinds[0])
        for event in events.order_by("created_at", "id")[:20]
        if (kinds := services.webhook_events_of(event))
    ]
    for number, (event, kind) in enumerate(announced[:3]):
        payload = services.webhook_payload(event, kind, None)
        failed = number == 2
        WebhookDelivery.objects.create(
            endpoint=endpoint,
            event=kind,
            event_id=payload["id"],
            order_event=event,
            payload=payload,
            status=WebhookDelivery.Status.FAILED if failed else WebhookDelivery.Status.SUCCEEDED,
            attempts=24 if failed else 1,
            give_up_at=event.created_at + timedelta(hours=24),
            response_code=503 if failed else 200,
            response_excerpt="Service Unavailable" if failed else "ok",
            duration_ms=2150 if failed else 184,
            error="The endpoint answered 503." if failed else "",
            delivered_at=None if failed else event.created_at + timedelta(seconds=1),
        )
    return []
