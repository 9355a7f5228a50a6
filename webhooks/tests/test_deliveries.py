"""Order events become signed deliveries: which, with what body, sent how, retried how."""

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.db import transaction
from freezegun import freeze_time
from kombu.exceptions import OperationalError

from orders.models import OrderEvent
from orders.services import _record, order_create
from sla.models import SlaTarget
from sla.tasks import sla_alert_due
from webhooks import services, tasks
from webhooks.models import WebhookDelivery, WebhookEvent
from webhooks.tests.factories import WebhookEndpointFactory

pytestmark = pytest.mark.django_db

V = "/api/v1"
DOCS = Path(__file__).resolve().parents[2] / "docs" / "orders.md"


def documented_verify():
    """The verification snippet of docs/orders.md, run as a receiver would copy it."""
    section = DOCS.read_text().split("## Webhooks", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.DOTALL).group(1)
    namespace: dict = {}
    exec(code, namespace)  # noqa: S102 (our own documentation)
    return namespace["verify"]


def iso(moment) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _open_order(client_for, tenant, **extra):
    body = {
        "company": tenant.company.id,
        "title": "Printer jams",
        "team": tenant.team.id,
        "equipment": "printer",
    }
    response = client_for(tenant.requester).post(f"{V}/orders", {**body, **extra}, format="json")
    assert response.status_code == 201, response.content
    return response.json()["id"]


# --- Which events -------------------------------------------------------------------------


def test_an_order_change_gives_one_delivery_per_subscribed_endpoint(
    client_for, tenant, other_tenant, django_capture_on_commit_callbacks
):
    everything = WebhookEndpointFactory(company=tenant.company)
    created_only = WebhookEndpointFactory(company=tenant.company, events=["order.created"])
    WebhookEndpointFactory(company=tenant.company, is_active=False)
    WebhookEndpointFactory(company=tenant.company, events=["sla.breached"])
    WebhookEndpointFactory(company=other_tenant.company)

    with django_capture_on_commit_callbacks() as callbacks:
        order_id = _open_order(client_for, tenant)

    deliveries = WebhookDelivery.objects.order_by("endpoint_id")
    assert [(d.endpoint_id, d.event) for d in deliveries] == [
        (everything.id, "order.created"),
        (created_only.id, "order.created"),
    ]
    event = OrderEvent.objects.get(order_id=order_id)
    assert {d.event_id for d in deliveries} == {f"{event.pk}:order.created"}
    assert all(d.status == "pending" and d.attempts == 0 for d in deliveries)
    assert all(d.give_up_at == event.created_at + timedelta(hours=24) for d in deliveries)
    assert len(callbacks) >= 1  # the sending is queued after commit (besides e-mail)


def test_the_payload_is_the_documented_body(client_for, tenant):
    WebhookEndpointFactory(company=tenant.company)
    order_id = _open_order(client_for, tenant)
    client_for(tenant.agent).post(f"{V}/orders/{order_id}/take")

    event = OrderEvent.objects.get(order_id=order_id, kind="taken")
    delivery = WebhookDelivery.objects.get(event="order.status_changed")
    order = event.order
    order.refresh_from_db()
    assert delivery.payload == {
        "id": f"{event.pk}:order.status_changed",
        "type": "order.status_changed",
        "occurred_at": iso(event.created_at),
        "company": tenant.company.id,
        "actor": tenant.agent.id,
        "order": {
            "id": order_id,
            "title": "Printer jams",
            "status": "in_progress",
            "priority": "medium",
            "equipment": "printer",
            "channel": "api",
            "team": tenant.team.id,
            "requester": tenant.requester.id,
            "assignee": tenant.agent.id,
            "created_at": iso(order.created_at),
            "updated_at": iso(order.updated_at),
        },
        "changes": {
            "status": {"from": "open", "to": "in_progress"},
            "assignee": {"from": None, "to": tenant.agent.id},
        },
    }


def test_each_order_event_maps_to_its_webhook_events(client_for, tenant):
    WebhookEndpointFactory(company=tenant.company)
    admin = client_for(tenant.admin)
    order_id = _open_order(client_for, tenant)
    steps = [
        ("take", {}, ["order.status_changed", "order.assigned"]),
        ("priority", {"priority": "urgent"}, []),
        ("messages", {"body": "Internal: spare part?", "is_internal": True}, []),
        ("messages", {"body": "On my way."}, ["message.added"]),
        ("assign", {"assignee": tenant.lead.id}, ["order.assigned"]),
        ("close", {"solution": "Replaced the fuser."}, ["order.status_changed"]),
        ("reopen", {}, ["order.status_changed"]),
        ("release", {}, ["order.status_changed", "order.assigned"]),
    ]
    for action, body, expected in steps:
        before = set(WebhookDelivery.objects.values_list("pk", flat=True))
        response = admin.post(f"{V}/orders/{order_id}/{action}", body, format="json")
        assert response.status_code in (200, 201), (action, response.content)
        new = WebhookDelivery.objects.exclude(pk__in=before).order_by("id")
        assert sorted(d.event for d in new) == sorted(expected), action

    # an edit of the order's text announces nothing
    admin.patch(f"{V}/orders/{order_id}", {"title": "Printer jams badly"}, format="json")
    assert WebhookDelivery.objects.count() == 9


def test_a_public_reply_carries_its_body_and_an_internal_note_sends_nothing(client_for, tenant):
    WebhookEndpointFactory(company=tenant.company, events=["message.added"])
    order_id = _open_order(client_for, tenant)
    client = client_for(tenant.agent)
    client.post(
        f"{V}/orders/{order_id}/messages",
        {"body": "Secret note", "is_internal": True},
        format="json",
    )
    client.post(f"{V}/orders/{order_id}/messages", {"body": "Coming at 3pm."}, format="json")

    delivery = WebhookDelivery.objects.get()
    message = delivery.payload["message"]
    assert message["body"] == "Coming at 3pm."
    assert message["author"] == tenant.agent.id
    assert message["channel"] == "api"
    assert "Secret note" not in json.dumps(delivery.payload)


def test_an_sla_breach_found_by_the_scan_is_announced(tenant):
    WebhookEndpointFactory(company=tenant.company, events=["sla.breached"])
    SlaTarget.objects.create(
        company=tenant.company, priority="medium", first_response_minutes=60, resolution_minutes=240
    )
    start = datetime(2026, 3, 9, 12, 0, tzinfo=UTC)
    with freeze_time(start):
        order = order_create(requester=tenant.requester, company=tenant.company, title="Jam")
    with freeze_time(start + timedelta(minutes=61)):
        sla_alert_due()

    delivery = WebhookDelivery.objects.get()
    event = OrderEvent.objects.get(order=order, kind="sla_breached")
    assert delivery.event == WebhookEvent.SLA_BREACHED
    assert delivery.payload["id"] == f"{event.pk}:sla.breached"
    assert delivery.payload["sla"] == {
        "target": "response",
        "due": (start + timedelta(minutes=60)).isoformat(),
    }
    assert delivery.payload["changes"] == {}
    assert delivery.payload["actor"] is None


def test_a_rolled_back_change_leaves_no_delivery(tenant):
    WebhookEndpointFactory(company=tenant.company)
    from orders.tests.factories import OrderFactory

    order = OrderFactory(company=tenant.company, requester=tenant.requester)
    with pytest.raises(RuntimeError), transaction.atomic():
        _record(order, None, "created", {})
        assert WebhookDelivery.objects.count() == 1
        raise RuntimeError
    assert not WebhookDelivery.objects.exists()


def test_enqueueing_costs_one_read_and_one_insert(tenant, django_assert_num_queries):
    WebhookEndpointFactory.create_batch(3, company=tenant.company)
    from orders.tests.factories import OrderFactory

    order = OrderFactory(company=tenant.company, requester=tenant.requester)
    taken = OrderEvent.objects.create(
        order=order,
        kind="taken",
        data={"changes": {"status": {"from": "open", "to": "in_progress"}, "assignee": {}}},
    )
    quiet = OrderEvent.objects.create(order=order, kind="priority_changed", data={})

    with django_assert_num_queries(2):
        assert len(services.webhook_deliveries_enqueue(event=taken)) == 6
    with django_assert_num_queries(0):
        assert services.webhook_deliveries_enqueue(event=quiet) == []


# --- Sending ------------------------------------------------------------------------------


def test_a_delivery_reaches_a_real_endpoint_signed_as_documented(
    client_for, tenant, receiver, django_capture_on_commit_callbacks
):
    # given: an endpoint registered through the API, on a local server
    created = client_for(tenant.admin).post(
        f"{V}/companies/{tenant.company.id}/webhooks",
        {"url": receiver.url, "events": ["order.created"]},
        format="json",
    )
    assert created.status_code == 201, created.content
    secret = created.json()["secret"]

    # when: an order is opened, and its transaction commits
    with django_capture_on_commit_callbacks(execute=True):
        _open_order(client_for, tenant)

    # then: one signed POST arrived, and the log says so
    delivery = WebhookDelivery.objects.get()
    [request] = receiver.requests
    headers = request["headers"]
    assert request["path"] == "/hook?source=mutirao"
    assert json.loads(request["body"]) == delivery.payload
    assert headers["Content-Type"] == "application/json"
    assert headers["X-Mutirao-Event"] == delivery.event_id
    assert headers["X-Mutirao-Delivery"] == str(delivery.pk)
    verify = documented_verify()
    timestamp, signature = headers["X-Mutirao-Timestamp"], headers["X-Mutirao-Signature"]
    assert verify(secret, request["body"], timestamp, signature) is True
    assert verify("whsec_another", request["body"], timestamp, signature) is False
    assert verify(secret, request["body"] + b" ", timestamp, signature) is False
    assert delivery.status == "succeeded"
    assert delivery.attempts == 1
    assert delivery.response_code == 200
    assert delivery.response_excerpt == '{"received": true}'
    assert delivery.duration_ms is not None
    assert delivery.delivered_at is not None
    assert delivery.next_attempt_at is None


def test_the_connection_goes_to_the_checked_address_under_the_urls_name(tenant, receiver, dns):
    port = receiver.url.split(":")[2].split("/")[0]
    dns["receiver.example.com"] = ["127.0.0.1"]
    endpoint = WebhookEndpointFactory(
        company=tenant.company, url=f"http://receiver.example.com:{port}/in"
    )
    delivery = services.webhook_endpoint_ping(endpoint=endpoint, actor=tenant.admin)

    assert services.webhook_delivery_attempt(delivery_id=delivery.pk) is True

    [request] = receiver.requests
    assert request["headers"]["Host"] == f"receiver.example.com:{port}"
    delivery.refresh_from_db()
    assert delivery.status == "succeeded"


def test_a_sent_delivery_is_not_sent_again(tenant, receiver):
    endpoint = WebhookEndpointFactory(company=tenant.company, url=receiver.url)
    delivery = services.webhook_endpoint_ping(endpoint=endpoint, actor=tenant.admin)

    assert services.webhook_delivery_attempt(delivery_id=delivery.pk) is True
    assert services.webhook_delivery_attempt(delivery_id=delivery.pk) is False
    assert tasks.webhook_deliveries_send_due() == 0

    assert len(receiver.requests) == 1


def test_a_redirect_is_not_followed_and_counts_as_a_failure(tenant, receiver):
    receiver.status = 302
    endpoint = WebhookEndpointFactory(company=tenant.company, url=receiver.url)
    delivery = services.webhook_endpoint_ping(endpoint=endpoint, actor=tenant.admin)

    services.webhook_delivery_attempt(delivery_id=delivery.pk)

    delivery.refresh_from_db()
    assert len(receiver.requests) == 1
    assert (delivery.status, delivery.response_code) == ("pending", 302)
    assert delivery.error == "The endpoint answered 302."


def test_an_endpoint_switched_off_before_sending_gets_nothing(tenant, receiver):
    endpoint = WebhookEndpointFactory(company=tenant.company, url=receiver.url)
    delivery = services.webhook_endpoint_ping(endpoint=endpoint, actor=tenant.admin)
    endpoint.is_active = False
    endpoint.save()

    services.webhook_delivery_attempt(delivery_id=delivery.pk)

    delivery.refresh_from_db()
    assert receiver.requests == []
    assert (delivery.status, delivery.error) == ("failed", "The endpoint is inactive.")


def test_a_failing_endpoint_is_retried_with_backoff_then_given_up_after_24_hours(
    client_for, tenant, receiver, django_capture_on_commit_callbacks
):
    # given: an endpoint that always answers 503, and a ping to it
    receiver.status = 503
    endpoint = WebhookEndpointFactory(company=tenant.company, url=receiver.url)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(tenant.admin).post(f"{V}/webhooks/{endpoint.id}/ping")
    delivery = WebhookDelivery.objects.get(pk=response.json()["id"])
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("pending", 1, 503)

    # when: time moves to each next attempt (and a second before it, when nothing happens)
    waits = []
    attempted_at = delivery.created_at
    while delivery.status == "pending":
        due = delivery.next_attempt_at
        with freeze_time(due - timedelta(seconds=1)):
            assert tasks.webhook_deliveries_send_due() == 0
        with freeze_time(due):
            assert tasks.webhook_deliveries_send_due() == 1
        waits.append(round((due - attempted_at).total_seconds() / 60))
        attempted_at = due
        delivery.refresh_from_db()

    # then: 1, 2, 4 … 32 minutes, then hourly, and failed once the next try would be late
    assert waits[:7] == [1, 2, 4, 8, 16, 32, 60]
    assert set(waits[6:]) == {60}
    assert delivery.status == "failed"
    assert attempted_at <= delivery.give_up_at < attempted_at + timedelta(hours=1)
    assert delivery.attempts == len(waits) + 1 == len(receiver.requests) == 29
    assert delivery.next_attempt_at is None
    assert delivery.error == "The endpoint answered 503."
    with freeze_time(delivery.give_up_at + timedelta(days=1)):
        assert tasks.webhook_deliveries_send_due() == 0


def test_with_the_broker_down_the_delivery_waits_for_the_periodic_scan(
    client_for, tenant, receiver, monkeypatch, django_capture_on_commit_callbacks
):
    endpoint = WebhookEndpointFactory(company=tenant.company, url=receiver.url)

    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to redis:6379. Connection refused.")

    monkeypatch.setattr(tasks.webhook_delivery_send, "apply_async", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(tenant.admin).post(f"{V}/webhooks/{endpoint.id}/ping")

    assert response.status_code == 202
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "pending" and receiver.requests == []

    monkeypatch.undo()
    assert tasks.webhook_deliveries_send_due() == 1
    delivery.refresh_from_db()
    assert delivery.status == "succeeded" and len(receiver.requests) == 1


def test_backoff_doubles_from_a_minute_up_to_an_hour():
    assert [services.backoff(n) for n in range(1, 9)] == [
        timedelta(minutes=minutes) for minutes in (1, 2, 4, 8, 16, 32, 60, 60)
    ]


def test_deleting_an_order_keeps_its_deliveries_in_the_log(client_for, tenant):
    WebhookEndpointFactory(company=tenant.company, events=["order.created"])
    first = _open_order(client_for, tenant)

    assert client_for(tenant.admin).delete(f"{V}/orders/{first}").status_code == 204
    second = _open_order(client_for, tenant)  # SQLite may give its event the old event's id

    logged = WebhookDelivery.objects.order_by("id")
    assert [d.payload["order"]["id"] for d in logged] == [first, second]
    assert logged[0].order_event is None
    assert logged[1].order_event.order_id == second


def test_the_daily_purge_forgets_finished_deliveries_past_the_log_days(settings, tenant):
    settings.WEBHOOKS_LOG_DAYS = 30
    endpoint = WebhookEndpointFactory(company=tenant.company)
    start = datetime(2026, 3, 1, tzinfo=UTC)
    with freeze_time(start):
        old_done, old_failed, old_pending = (
            services._new_delivery(endpoint, event="ping", event_id=f"old-{n}", payload={})
            for n in range(3)
        )
    WebhookDelivery.objects.filter(pk=old_done.pk).update(status="succeeded")
    WebhookDelivery.objects.filter(pk=old_failed.pk).update(status="failed")
    with freeze_time(start + timedelta(days=29)):
        recent = services._new_delivery(endpoint, event="ping", event_id="recent", payload={})
        WebhookDelivery.objects.filter(pk=recent.pk).update(status="succeeded")

    with freeze_time(start + timedelta(days=30, minutes=1)):
        assert tasks.webhook_deliveries_purge() == 2
        assert tasks.webhook_deliveries_purge() == 0

    assert set(WebhookDelivery.objects.values_list("pk", flat=True)) == {old_pending.pk, recent.pk}
