"""The delivery log through the API: list, filters, one delivery, redeliver."""

from datetime import timedelta

import pytest
from django.utils import timezone

from webhooks.models import WebhookDelivery
from webhooks.tests.factories import WebhookEndpointFactory

pytestmark = pytest.mark.django_db

V = "/api/v1"


def iso(moment) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None


def _delivery(endpoint, number: int, **fields) -> WebhookDelivery:
    event = fields.pop("event", "order.created")
    event_id = f"{number}:{event}"
    return WebhookDelivery.objects.create(
        endpoint=endpoint,
        event=event,
        event_id=event_id,
        payload={"id": event_id, "type": event, "order": {"id": number}},
        give_up_at=timezone.now() + timedelta(hours=24),
        **fields,
    )


def logged(delivery: WebhookDelivery) -> dict:
    return {
        "id": delivery.pk,
        "endpoint": delivery.endpoint_id,
        "event": delivery.event,
        "event_id": delivery.event_id,
        "status": delivery.status,
        "attempts": delivery.attempts,
        "response_code": delivery.response_code,
        "duration_ms": delivery.duration_ms,
        "error": delivery.error,
        "next_attempt_at": iso(delivery.next_attempt_at),
        "give_up_at": iso(delivery.give_up_at),
        "created_at": iso(delivery.created_at),
        "delivered_at": iso(delivery.delivered_at),
    }


@pytest.fixture
def log(endpoint):
    """Three deliveries of `endpoint`: delivered, failed, pending (oldest first)."""
    now = timezone.now()
    succeeded = _delivery(
        endpoint,
        1,
        status="succeeded",
        attempts=1,
        response_code=200,
        duration_ms=120,
        delivered_at=now,
    )
    failed = _delivery(
        endpoint,
        2,
        event="order.status_changed",
        status="failed",
        attempts=29,
        response_code=503,
        duration_ms=90,
        error="The endpoint answered 503.",
    )
    pending = _delivery(endpoint, 3, event="ping", next_attempt_at=now)
    return succeeded, failed, pending


def test_the_log_lists_an_endpoints_deliveries_newest_first(client_for, tenant, endpoint, log):
    other = WebhookEndpointFactory(company=tenant.company)
    _delivery(other, 9)

    response = client_for(tenant.admin).get(f"{V}/webhooks/{endpoint.id}/deliveries")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    assert body["results"] == [logged(delivery) for delivery in reversed(log)]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"status": "failed"}, [1]),
        ({"status": "failed,pending"}, [2, 1]),
        ({"event": "order.created"}, [0]),
        ({"event": ["ping", "order.created"]}, [2, 0]),
        ({"status": "succeeded", "event": "ping"}, []),
        ({"ordering": "created_at"}, [0, 1, 2]),
    ],
)
def test_the_log_filters_by_status_and_event(client_for, tenant, endpoint, log, query, expected):
    response = client_for(tenant.admin).get(f"{V}/webhooks/{endpoint.id}/deliveries", query)
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [log[i].pk for i in expected]


@pytest.mark.parametrize(
    "query",
    [{"status": "lost"}, {"status": ""}, {"event": "order.deleted"}, {"ordering": "payload"}],
)
def test_a_bad_filter_is_a_400(client_for, tenant, endpoint, log, query):
    response = client_for(tenant.admin).get(f"{V}/webhooks/{endpoint.id}/deliveries", query)
    assert response.status_code == 400
    assert list(response.json()["errors"]) == list(query)


def test_one_delivery_shows_its_payload_and_answer(client_for, tenant, endpoint, log):
    failed = log[1]
    failed.response_excerpt = "Service Unavailable"
    failed.save()

    response = client_for(tenant.admin).get(f"{V}/webhooks/{endpoint.id}/deliveries/{failed.pk}")

    assert response.status_code == 200
    assert response.json() == {
        **logged(failed),
        "payload": failed.payload,
        "response_excerpt": "Service Unavailable",
    }


def test_a_delivery_of_another_endpoint_is_404_under_this_one(client_for, tenant, endpoint, log):
    other = WebhookEndpointFactory(company=tenant.company)
    client = client_for(tenant.admin)
    for path in (f"deliveries/{log[0].pk}", f"deliveries/{log[0].pk}/redeliver"):
        method = client.post if path.endswith("redeliver") else client.get
        assert method(f"{V}/webhooks/{other.id}/{path}").status_code == 404
    assert WebhookDelivery.objects.count() == 3


def test_redelivering_sends_the_same_event_as_a_new_delivery(
    client_for, tenant, endpoint, log, django_capture_on_commit_callbacks
):
    failed = log[1]

    with django_capture_on_commit_callbacks() as callbacks:
        response = client_for(tenant.admin).post(
            f"{V}/webhooks/{endpoint.id}/deliveries/{failed.pk}/redeliver"
        )

    assert response.status_code == 202
    again = WebhookDelivery.objects.get(pk=response.json()["id"])
    assert len(callbacks) == 1
    assert response.json() == logged(again)
    assert (again.endpoint, again.event, again.event_id, again.payload) == (
        endpoint,
        failed.event,
        failed.event_id,
        failed.payload,
    )
    assert again.order_event is None  # a new delivery, not the audit event's own
    assert (again.status, again.attempts) == ("pending", 0)
    assert again.give_up_at > timezone.now() + timedelta(hours=23)
    failed.refresh_from_db()
    assert failed.status == "failed"  # the log keeps what happened


def test_an_inactive_endpoint_is_not_redelivered_to(client_for, tenant, endpoint, log):
    endpoint.is_active = False
    endpoint.save()

    response = client_for(tenant.admin).post(
        f"{V}/webhooks/{endpoint.id}/deliveries/{log[1].pk}/redeliver"
    )

    assert response.status_code == 409
    assert response.json()["code"] == "endpoint_inactive"
    assert WebhookDelivery.objects.count() == 3


def test_redeliver_takes_no_body(client_for, tenant, endpoint, log):
    response = client_for(tenant.admin).post(
        f"{V}/webhooks/{endpoint.id}/deliveries/{log[1].pk}/redeliver",
        {"payload": {"id": "forged"}},
        format="json",
    )
    assert response.status_code == 400
    assert WebhookDelivery.objects.count() == 3


@pytest.mark.parametrize("page_size", [1, 10, 100])
def test_the_log_costs_a_fixed_number_of_queries(
    client_for, tenant, endpoint, django_assert_max_num_queries, page_size
):
    for number in range(12):
        _delivery(endpoint, number, status="failed", attempts=3)
    client = client_for(tenant.admin)

    with django_assert_max_num_queries(5):  # user, endpoint, role, count, page
        response = client.get(
            f"{V}/webhooks/{endpoint.id}/deliveries",
            {"page_size": page_size, "status": "failed"},
        )

    assert response.status_code == 200
    assert len(response.json()["results"]) == min(page_size, 12)
