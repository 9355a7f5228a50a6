"""Two workers on one delivery: PostgreSQL only (row locks that skip locked rows)."""

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from threading import Barrier

import pytest
from django.db import connection, connections
from django.utils import timezone

from webhooks import services
from webhooks.models import WebhookDelivery
from webhooks.tests.factories import WebhookEndpointFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

WORKERS = 4


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip(
            "RACE TEST SKIPPED: row locks need PostgreSQL; run with DATABASE_URL=postgres://..."
        )


def test_workers_racing_for_one_delivery_send_it_once(tenant_factory, receiver, monkeypatch):
    # given: a delivery, and an endpoint slow enough that the attempts overlap
    tenant = tenant_factory()
    endpoint = WebhookEndpointFactory(company=tenant.company, url=receiver.url)
    now = timezone.now()
    delivery = WebhookDelivery.objects.create(  # pending and due, its first send not queued
        endpoint=endpoint,
        event="ping",
        event_id="ping:race",
        payload={"id": "ping:race", "type": "ping"},
        next_attempt_at=now,
        give_up_at=now + timedelta(hours=24),
    )
    real_post = services.sending.post

    def slow_post(*args, **kwargs):
        time.sleep(0.5)
        return real_post(*args, **kwargs)

    monkeypatch.setattr(services.sending, "post", slow_post)
    barrier = Barrier(WORKERS)

    def attempt(_):
        barrier.wait()
        try:
            return services.webhook_delivery_attempt(delivery_id=delivery.pk)
        finally:
            connections.close_all()

    # when: several workers pick it up at the same moment
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        outcomes = list(pool.map(attempt, range(WORKERS)))

    # then: one sent it, the others skipped it; the endpoint got one request
    assert sorted(outcomes) == [False] * (WORKERS - 1) + [True]
    assert len(receiver.requests) == 1
    delivery = WebhookDelivery.objects.get(pk=delivery.pk)
    assert (delivery.status, delivery.attempts) == ("succeeded", 1)
