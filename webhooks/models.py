from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel


class WebhookEvent(models.TextChoices):
    """What a company's endpoint may subscribe to (docs/orders.md, "Webhooks")."""

    ORDER_CREATED = "order.created", _("order created")  # an order was opened
    ORDER_STATUS_CHANGED = "order.status_changed", _("order status changed")  # any transition
    ORDER_ASSIGNED = "order.assigned", _("order assigned")  # the technician changed (or left)
    MESSAGE_ADDED = "message.added", _("message added")  # a public reply, never an internal note
    SLA_BREACHED = "sla.breached", _("SLA breached")  # a service-level target was missed


class WebhookEndpoint(TimeStampedModel):
    """A URL of a company that receives signed POSTs for the events it subscribed to.

    The secret is generated here, never chosen by a client, and shown only when it is made
    (creation, rotation): everything else about the endpoint may be read by its admins.
    """

    company = models.ForeignKey(
        "companies.Company", on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    url = models.URLField(_("URL"), max_length=2000)
    events = models.JSONField(_("events"), default=list, help_text=_("Event types sent."))
    secret = models.CharField(_("signing secret"), max_length=100)
    is_active = models.BooleanField(_("active"), default=True)
    description = models.CharField(_("description"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.url


class WebhookDelivery(models.Model):
    """One event for one endpoint: the outbox row and, once tried, its log.

    Written in the transaction of the change it announces. (endpoint, order_event, event)
    is unique, so one audit event gives one delivery of each type per endpoint; a ping or a
    redelivery has no order event. Deleting an order keeps its deliveries in the log.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")  # waiting for its first or next attempt
        SUCCEEDED = "succeeded", _("succeeded")  # the endpoint answered 2xx
        FAILED = "failed", _("failed")  # gave up: 24 h of retries, or the endpoint is off

    PING = "ping"  # the event type of a test delivery (`POST webhooks/{id}/ping`)

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries", db_index=False
    )
    event = models.CharField(_("event"), max_length=30)
    event_id = models.CharField(
        _("event id"), max_length=100, help_text=_("The payload's id, kept by redeliveries.")
    )
    order_event = models.ForeignKey(
        "orders.OrderEvent",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    payload = models.JSONField(_("payload"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    give_up_at = models.DateTimeField(_("retried until"))
    response_code = models.PositiveSmallIntegerField(_("response code"), null=True, blank=True)
    response_excerpt = models.CharField(_("response excerpt"), max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), null=True, blank=True)
    error = models.CharField(_("error"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["endpoint", "order_event", "event"],
                condition=models.Q(order_event__isnull=False),
                name="webhook_delivery_once",
            ),
        ]
        indexes = [
            # The retry scan reads only pending rows, oldest due first.
            models.Index(
                fields=["next_attempt_at"],
                name="webhook_delivery_due_idx",
                condition=models.Q(status="pending"),
            ),
            # An endpoint's log, newest first (also serves the endpoint's foreign key).
            models.Index(fields=["endpoint", "created_at", "id"], name="webhook_delivery_log_idx"),
            # The daily purge of finished deliveries past WEBHOOKS_LOG_DAYS.
            models.Index(
                fields=["created_at"],
                name="webhook_delivery_done_idx",
                condition=~models.Q(status="pending"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.endpoint_id} {self.event} ({self.status})"
