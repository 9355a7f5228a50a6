"""Every write of the webhooks app: endpoints, and deliveries from outbox to log.

Order events become deliveries in the transaction that records them
(`webhook_deliveries_enqueue`, called by `orders.services._record`), so a delivery exists
exactly when its change committed. Celery sends each after commit; a failed attempt is
retried by the periodic `webhook_deliveries_send_due` with exponential backoff until
`WEBHOOKS_RETRY_HOURS` after the event, then marked failed. With the broker down nothing is
lost: the rows stay pending until a worker picks them up.
"""

import json
import logging
import secrets
import time
import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from companies.models import Company
from companies.services import company_require_active
from core.exceptions import Conflict, FieldError
from core.services import model_update
from orders.email.security import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from orders.models import Message, Order, OrderEvent
from webhooks import sending
from webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from webhooks.ssrf import UnsafeUrl, target_resolve

logger = logging.getLogger(__name__)

Status = WebhookDelivery.Status
EVENT_HEADER = "X-Mutirao-Event"
DELIVERY_HEADER = "X-Mutirao-Delivery"
SECRET_PREFIX = "whsec_"  # noqa: S105 (marks a secret as ours; not one)
FIRST_RETRY = timedelta(minutes=1)
LONGEST_WAIT = timedelta(hours=1)
EDITABLE_FIELDS = ("url", "events", "description", "is_active")
# The audit event kind written by the SLA checks (orders.OrderEvent.Kind may not list it).
SLA_BREACHED_KIND = "sla_breached"


class EndpointInactive(Conflict):
    default_code = "endpoint_inactive"
    default_message = _("The webhook endpoint is inactive; activate it first.")


def new_secret() -> str:
    """A new signing secret: 256 random bits, hex, after a recognisable prefix."""
    return SECRET_PREFIX + secrets.token_hex(32)


def _check_events(events: list[str]) -> list[str]:
    chosen = list(dict.fromkeys(events))
    if not chosen or any(event not in WebhookEvent.values for event in chosen):
        raise FieldError("events", _("Choose one or more events."))
    return chosen


def _check_url(url: str) -> str:
    """The URL as stored, once the SSRF guard accepts it (resolved, every address public)."""
    url = url.strip()
    target_resolve(url)
    return url


@transaction.atomic
def webhook_endpoint_create(
    *,
    company: Company,
    actor: User,
    url: str,
    events: list[str],
    description: str = "",
    is_active: bool = True,
) -> WebhookEndpoint:
    """Register an endpoint of the company, with a new secret. The URL must pass the SSRF
    guard now (400 `url_*` otherwise) and is checked again before every delivery."""
    company_require_active(company)
    return WebhookEndpoint.objects.create(
        company=company,
        url=_check_url(url),
        events=_check_events(events),
        description=description,
        is_active=is_active,
        secret=new_secret(),
        created_by=actor,
    )


@transaction.atomic
def webhook_endpoint_update(
    *, endpoint: WebhookEndpoint, data: Mapping[str, Any]
) -> WebhookEndpoint:
    """Change the URL (checked as at creation), events, description or whether it is
    active. Pending deliveries keep going to the endpoint's URL at the time they are sent."""
    company_require_active(endpoint.company)
    data = dict(data)
    if "url" in data:
        data["url"] = _check_url(data["url"])
    if "events" in data:
        data["events"] = _check_events(data["events"])
    endpoint, _changed = model_update(instance=endpoint, data=data, fields=EDITABLE_FIELDS)
    return endpoint


@transaction.atomic
def webhook_endpoint_delete(*, endpoint: WebhookEndpoint) -> None:
    """Delete the endpoint with its delivery log; pending deliveries are dropped with it."""
    company_require_active(endpoint.company)
    endpoint.delete()


@transaction.atomic
def webhook_endpoint_rotate_secret(*, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """Replace the signing secret. Attempts from now on, retries included, are signed with
    the new one."""
    company_require_active(endpoint.company)
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    endpoint.secret = new_secret()
    endpoint.save(update_fields=["secret", "updated_at"])
    return endpoint


# --- Deliveries: the outbox ------------------------------------------------------------


def webhook_events_of(event: OrderEvent) -> list[str]:
    """The webhook event types one audit event stands for (none, one or several)."""
    changes = (event.data or {}).get("changes") or {}
    types = []
    if event.kind == OrderEvent.Kind.CREATED:
        types.append(WebhookEvent.ORDER_CREATED)
    if "status" in changes:
        types.append(WebhookEvent.ORDER_STATUS_CHANGED)
    if "assignee" in changes:
        types.append(WebhookEvent.ORDER_ASSIGNED)
    if event.kind == OrderEvent.Kind.MESSAGE_ADDED and not event.is_internal:
        types.append(WebhookEvent.MESSAGE_ADDED)
    if event.kind == SLA_BREACHED_KIND:
        types.append(WebhookEvent.SLA_BREACHED)
    return types


def _order_summary(order: Order) -> dict[str, Any]:
    return {
        "id": order.pk,
        "title": order.title,
        "status": order.status,
        "priority": order.priority,
        "equipment": order.equipment,
        "channel": order.channel,
        "team": order.team_id,
        "requester": order.requester_id,
        "assignee": order.assignee_id,
        "created_at": _iso(order.created_at),
        "updated_at": _iso(order.updated_at),
    }


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None


def webhook_payload(event: OrderEvent, kind: str, message: Message | None) -> dict[str, Any]:
    """The JSON body of one webhook event (documented in docs/orders.md)."""
    data = event.data or {}
    payload: dict[str, Any] = {
        "id": f"{event.pk}:{kind}",
        "type": kind,
        "occurred_at": _iso(event.created_at),
        "company": event.order.company_id,
        "actor": event.actor_id,
        "order": _order_summary(event.order),
        "changes": data.get("changes") or {},
    }
    if kind == WebhookEvent.MESSAGE_ADDED and message is not None and not message.is_internal:
        payload["message"] = {
            "id": message.pk,
            "author": message.author_id,
            "body": message.body,
            "channel": message.channel,
        }
    if kind == WebhookEvent.SLA_BREACHED:
        payload["sla"] = {key: value for key, value in data.items() if key != "changes"}
    return payload


def webhook_deliveries_enqueue(
    *, event: OrderEvent, message: Message | None = None
) -> list[WebhookDelivery]:
    """The deliveries one audit event owes (`webhook_deliveries_enqueue_many`)."""
    return webhook_deliveries_enqueue_many(events=[(event, message)])


def webhook_deliveries_enqueue_many(
    *, events: list[tuple[OrderEvent, Message | None]]
) -> list[WebhookDelivery]:
    """Write the deliveries audit events owe their companies' active endpoints, in the
    caller's transaction, and send them after it commits. The API records one event at a
    time; an inbound e-mail batch records many at once.

    Costs nothing for events no webhook announces; else one query for the companies'
    endpoints and one bulk insert; one delivery per event, event type and endpoint."""
    announced = [
        (event, message, kinds) for event, message in events if (kinds := webhook_events_of(event))
    ]
    if not announced:
        return []
    companies = {event.order.company_id for event, _message, _kinds in announced}
    endpoints: dict[int, list[WebhookEndpoint]] = {}
    for endpoint in WebhookEndpoint.objects.filter(company_id__in=companies, is_active=True).only(
        "id", "company_id", "events"
    ):
        endpoints.setdefault(endpoint.company_id, []).append(endpoint)
    rows = []
    for event, message, kinds in announced:
        rows += _deliveries_of(event, message, kinds, endpoints.get(event.order.company_id, []))
    if not rows:
        return []
    # No ignore_conflicts: an audit event is recorded once, so the rows are new; the
    # constraint guards against a bug, and the inserted rows come back with their ids.
    deliveries = WebhookDelivery.objects.bulk_create(rows)
    ids = [delivery.pk for delivery in deliveries]
    transaction.on_commit(lambda: _schedule_sends(ids))
    return deliveries


def _deliveries_of(
    event: OrderEvent,
    message: Message | None,
    kinds: list[str],
    endpoints: list[WebhookEndpoint],
) -> list[WebhookDelivery]:
    give_up_at = event.created_at + timedelta(hours=settings.WEBHOOKS_RETRY_HOURS)
    rows = []
    for kind in kinds:
        subscribed = [endpoint for endpoint in endpoints if kind in endpoint.events]
        if not subscribed:
            continue
        payload = webhook_payload(event, kind, message)
        rows += [
            WebhookDelivery(
                endpoint_id=endpoint.pk,
                event=kind,
                event_id=payload["id"],
                order_event=event,
                payload=payload,
                next_attempt_at=event.created_at,
                give_up_at=give_up_at,
            )
            for endpoint in subscribed
        ]
    return rows


def _new_delivery(endpoint: WebhookEndpoint, *, event: str, event_id: str, payload: dict):
    now = timezone.now()
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint,
        event=event,
        event_id=event_id,
        payload=payload,
        next_attempt_at=now,
        give_up_at=now + timedelta(hours=settings.WEBHOOKS_RETRY_HOURS),
    )
    transaction.on_commit(lambda: _schedule_sends([delivery.pk]))
    return delivery


@transaction.atomic
def webhook_endpoint_ping(*, endpoint: WebhookEndpoint, actor: User) -> WebhookDelivery:
    """Queue a test delivery (`ping`) to an active endpoint; it is sent and logged like any
    other, so its result shows in the delivery log a moment later."""
    company_require_active(endpoint.company)
    if not endpoint.is_active:
        raise EndpointInactive()
    event_id = f"ping:{uuid.uuid4().hex}"
    payload = {
        "id": event_id,
        "type": WebhookDelivery.PING,
        "occurred_at": _iso(timezone.now()),
        "company": endpoint.company_id,
        "actor": actor.pk,
        "endpoint": endpoint.pk,
    }
    return _new_delivery(endpoint, event=WebhookDelivery.PING, event_id=event_id, payload=payload)


@transaction.atomic
def webhook_delivery_redeliver(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a delivery's event again, as a new delivery with the same payload and event id
    (the receiver can tell it is the same event) and a fresh retry window."""
    company_require_active(delivery.endpoint.company)
    if not delivery.endpoint.is_active:
        raise EndpointInactive()
    return _new_delivery(
        delivery.endpoint,
        event=delivery.event,
        event_id=delivery.event_id,
        payload=delivery.payload,
    )


def _schedule_sends(delivery_ids: Iterable[int]) -> None:
    from webhooks.tasks import webhook_delivery_send

    for delivery_id in delivery_ids:
        try:
            # One publish attempt: with the broker down the row stays pending for the
            # periodic scan instead of holding the request.
            webhook_delivery_send.apply_async((delivery_id,), retry=False)
        except Exception:
            logger.warning(
                "Could not queue webhook delivery %s; it stays pending", delivery_id, exc_info=True
            )


# --- Deliveries: sending ---------------------------------------------------------------


def backoff(attempts: int) -> timedelta:
    """Wait after the `attempts`-th failed attempt: 1 min, 2, 4 … capped at an hour."""
    return min(FIRST_RETRY * 2 ** max(attempts - 1, 0), LONGEST_WAIT)


def signed_headers(delivery: WebhookDelivery, body: bytes, *, secret: str) -> dict[str, str]:
    """The headers of one attempt: event, delivery, timestamp and the signature over
    `<timestamp>.<body>` (the recipe of the inbound webhook, `orders.email.security.sign`)."""
    timestamp = str(int(time.time()))
    return {
        EVENT_HEADER: delivery.event_id,
        DELIVERY_HEADER: str(delivery.pk),
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: sign(body, timestamp=timestamp, secret=secret),
    }


def webhook_delivery_attempt(*, delivery_id: int) -> bool:
    """Make one attempt at a pending delivery that is due. Returns False when there was
    nothing to do (sent, failed, not yet due, or another worker has it).

    The row stays locked (skipping locked rows) during the attempt, so two workers never
    send the same delivery at once; the URL passes the SSRF guard again and the connection
    goes to the address just checked. The result is committed before returning."""
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("endpoint")
            .filter(pk=delivery_id, status=Status.PENDING)
            .first()
        )
        now = timezone.now()
        if delivery is None or (delivery.next_attempt_at and delivery.next_attempt_at > now):
            return False
        endpoint = delivery.endpoint
        if not endpoint.is_active:
            _finish(delivery, Status.FAILED, error="The endpoint is inactive.")
            return True
        body = json.dumps(delivery.payload, separators=(",", ":")).encode()
        try:
            target = target_resolve(endpoint.url)
        except UnsafeUrl as exc:
            answer = sending.Answer(None, "", 0, error=f"Refused: {exc.message}")
        else:
            headers = signed_headers(delivery, body, secret=endpoint.secret)
            answer = sending.post(target, body=body, headers=headers)
        _record_attempt(delivery, answer, now=timezone.now())
    return True


def _record_attempt(delivery: WebhookDelivery, answer: sending.Answer, *, now: datetime) -> None:
    delivery.attempts += 1
    delivery.response_code = answer.code
    delivery.response_excerpt = answer.excerpt[:500]
    delivery.duration_ms = answer.duration_ms
    if answer.succeeded:
        delivery.error = ""
        _finish(delivery, Status.SUCCEEDED, delivered_at=now)
        return
    delivery.error = answer.error[:500] or _("The endpoint answered %(code)s.") % {
        "code": answer.code
    }
    retry_at = now + backoff(delivery.attempts)
    if retry_at > delivery.give_up_at:
        _finish(delivery, Status.FAILED)
        return
    delivery.next_attempt_at = retry_at
    delivery.save(update_fields=[*_LOGGED, "next_attempt_at"])


_LOGGED = ["attempts", "response_code", "response_excerpt", "duration_ms", "error"]


def _finish(delivery: WebhookDelivery, status: str, *, error: str = "", delivered_at=None):
    delivery.status = status
    delivery.next_attempt_at = None
    delivery.delivered_at = delivered_at
    if error:
        delivery.error = error
    delivery.save(update_fields=[*_LOGGED, "status", "next_attempt_at", "delivered_at"])


def webhook_deliveries_due_ids(*, limit: int = 500) -> list[int]:
    """Pending deliveries whose next attempt is due, oldest first."""
    return list(
        WebhookDelivery.objects.filter(status=Status.PENDING, next_attempt_at__lte=timezone.now())
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )


def webhook_deliveries_purge() -> int:
    """Delete finished deliveries older than WEBHOOKS_LOG_DAYS, so the log stays bounded;
    pending ones are kept whatever their age. Returns how many went."""
    before = timezone.now() - timedelta(days=settings.WEBHOOKS_LOG_DAYS)
    deleted, _by_model = (
        WebhookDelivery.objects.exclude(status=Status.PENDING)
        .filter(created_at__lt=before)
        .delete()
    )
    return deleted
