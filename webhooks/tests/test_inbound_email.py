"""Orders opened, joined and reopened by e-mail announce themselves to webhooks like the
API's do: the inbound batch writes their deliveries with its own events."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orders.models import Order, OrderEvent
from orders.tests.mail import SECRET, message, post_json, result_of
from webhooks.models import WebhookDelivery
from webhooks.tests.factories import WebhookEndpointFactory

pytestmark = pytest.mark.django_db

MARIA = "maria@client.example"


@pytest.fixture
def inbound_secret(settings):
    settings.INBOUND_EMAIL_SECRET = SECRET


def test_an_emailed_order_and_its_reply_are_delivered(api_client, tenant, inbound_secret):
    endpoint = WebhookEndpointFactory(company=tenant.company)
    WebhookEndpointFactory(company=tenant.company, events=["sla.breached"])
    support = tenant.company.support_email

    first = message(MARIA, support, message_id="<first@client.example>")
    order_id = result_of(post_json(api_client, [first]))["order"]
    reply = message(
        MARIA,
        support,
        subject=f"Re: [#{order_id}] Printer broken",
        text="Still broken.",
        message_id="<second@client.example>",
        in_reply_to="<first@client.example>",
    )
    assert result_of(post_json(api_client, [reply]))["status"] == "joined"

    created, added = OrderEvent.objects.filter(order_id=order_id).order_by("id")
    deliveries = WebhookDelivery.objects.order_by("id")
    assert [(d.endpoint_id, d.event, d.event_id) for d in deliveries] == [
        (endpoint.pk, "order.created", f"{created.pk}:order.created"),
        (endpoint.pk, "message.added", f"{added.pk}:message.added"),
    ]
    order = Order.objects.get(pk=order_id)
    assert deliveries[0].payload["order"]["id"] == order.pk
    assert deliveries[0].payload["order"]["status"] == "open"
    assert deliveries[1].payload["message"]["body"] == "Still broken."
    assert deliveries[1].payload["message"]["channel"] == "email"


def test_a_batch_costs_the_same_queries_whatever_its_size(api_client, tenant, inbound_secret):
    WebhookEndpointFactory(company=tenant.company)
    WebhookEndpointFactory(company=tenant.company, events=["order.created"])
    support = tenant.company.support_email

    def batch(first: int, size: int) -> int:
        messages = [
            message(f"person{n}@client.example", support, message_id=f"<m{n}@client.example>")
            for n in range(first, first + size)
        ]
        with CaptureQueriesContext(connection) as queries:
            results = post_json(api_client, messages).json()["results"]
        assert [result["status"] for result in results] == ["created"] * size
        return len(queries)

    assert batch(0, 5) == batch(100, 25)
    assert WebhookDelivery.objects.filter(event="order.created").count() == 2 * 30
