from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel


class Order(TimeStampedModel):
    """A service order ("chamado"): a request for on-site support with one piece of
    equipment. Status and assignee change only through the services in orders.services."""

    class Status(models.TextChoices):
        OPEN = "open", _("open")  # waiting for a technician
        IN_PROGRESS = "in_progress", _("in progress")  # a technician has it
        CLOSED = "closed", _("closed")  # solved; the solution says how

    class Priority(models.TextChoices):
        LOW = "low", _("low")
        MEDIUM = "medium", _("medium")
        HIGH = "high", _("high")
        URGENT = "urgent", _("urgent")

    class Equipment(models.TextChoices):
        COMPUTER = "computer", _("computer")
        PRINTER = "printer", _("printer")
        UPS = "ups", _("UPS")
        NOTEBOOK = "notebook", _("notebook")
        OTHER = "other", _("other")

    class Channel(models.TextChoices):
        API = "api", _("API")  # opened through the API (an app, Swagger UI)
        EMAIL = "email", _("e-mail")  # opened by writing to the support address

    company = models.ForeignKey(
        "companies.Company", on_delete=models.PROTECT, related_name="orders"
    )
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="requested_orders"
    )
    team = models.ForeignKey(
        "companies.Team", on_delete=models.SET_NULL, null=True, blank=True, related_name="orders"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_orders",
    )
    equipment = models.CharField(
        _("equipment"), max_length=10, choices=Equipment.choices, default=Equipment.OTHER
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    site_address = models.CharField(_("site address"), max_length=300, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.OPEN
    )
    priority = models.CharField(
        _("priority"), max_length=8, choices=Priority.choices, default=Priority.MEDIUM
    )
    # Priorities sort by urgency, not alphabetically: the database keeps this rank in step.
    priority_rank = models.GeneratedField(
        expression=models.Case(
            models.When(priority="urgent", then=4),
            models.When(priority="high", then=3),
            models.When(priority="medium", then=2),
            default=1,
        ),
        output_field=models.PositiveSmallIntegerField(),
        db_persist=True,
    )
    solution = models.TextField(_("solution"), blank=True)
    channel = models.CharField(
        _("channel"), max_length=8, choices=Channel.choices, default=Channel.API
    )
    previous_order = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="follow_ups",
        help_text=_("The closed order this one follows up."),
    )
    taken_at = models.DateTimeField(_("taken at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["company", "status", "created_at"], name="order_company_status_idx"
            ),
            models.Index(fields=["company", "created_at"], name="order_company_created_idx"),
            models.Index(fields=["assignee", "status"], name="order_assignee_status_idx"),
            models.Index(fields=["team", "status"], name="order_team_status_idx"),
            models.Index(fields=["requester", "created_at"], name="order_requester_idx"),
            models.Index(fields=["created_at"], name="order_created_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="in_progress") | models.Q(assignee__isnull=False),
                name="order_in_progress_has_assignee",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="closed") | ~models.Q(solution=""),
                name="order_closed_has_solution",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.title}"


class Message(TimeStampedModel):
    """A reply on an order, or an internal note that requesters never see."""

    class Channel(models.TextChoices):
        API = "api", _("API")
        EMAIL = "email", _("e-mail")

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    body = models.TextField(_("body"))
    is_internal = models.BooleanField(_("internal note"), default=False)
    channel = models.CharField(
        _("channel"), max_length=8, choices=Channel.choices, default=Channel.API
    )

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["order", "created_at"], name="message_order_idx")]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.body[:40]}"


class OrderEvent(models.Model):
    """One line of an order's audit timeline. Append-only: written by services, never
    updated or deleted through the API or the admin."""

    class Kind(models.TextChoices):
        CREATED = "created", _("created")
        TAKEN = "taken", _("taken")
        ASSIGNED = "assigned", _("assigned")
        RELEASED = "released", _("released")
        REDIRECTED = "redirected", _("redirected")
        PRIORITY_CHANGED = "priority_changed", _("priority changed")
        CLOSED = "closed", _("closed")
        REOPENED = "reopened", _("reopened")
        MESSAGE_ADDED = "message_added", _("message added")
        UPDATED = "updated", _("updated")

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    # What changed, e.g. {"from": "low", "to": "urgent"} or {"team_from": 1, "team_to": 2}.
    data = models.JSONField(_("details"), default=dict, blank=True)
    is_internal = models.BooleanField(
        _("internal"), default=False, help_text=_("Hidden from requesters (internal notes).")
    )
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("order event")
        verbose_name_plural = _("order events")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["order", "created_at"], name="orderevent_order_idx")]

    def __str__(self) -> str:
        return f"{self.order_id} {self.kind}"
