import secrets
from enum import StrEnum

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from companies.models import Membership
from core.models import TimeStampedModel


class Order(TimeStampedModel):
    """A service order ("chamado"): a request for on-site support with one piece of
    equipment. Status and assignee change only through the services in orders.services."""

    class Status(models.TextChoices):
        OPEN = "open", _("open")  # waiting for a technician
        IN_PROGRESS = "in_progress", _("in progress")  # a technician has it
        WAITING = "waiting", _("waiting on the requester")  # SLA clocks paused until they answer
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

    # The four foreign keys lead composite indexes (Meta.indexes), which serve their joins
    # and deletes too: an index of their own would only be one more to write per order.
    company = models.ForeignKey(
        "companies.Company", on_delete=models.PROTECT, related_name="orders", db_index=False
    )
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="requested_orders",
        db_index=False,
    )
    team = models.ForeignKey(
        "companies.Team",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="orders",
        db_index=False,
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_orders",
        db_index=False,
    )
    equipment = models.CharField(
        _("equipment"), max_length=10, choices=Equipment.choices, default=Equipment.OTHER
    )
    # The piece of the company's equipment the order is about, when known; the index
    # below leads with it.
    equipment_item = models.ForeignKey(
        "equipment.Equipment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="orders",
        db_index=False,
        verbose_name=_("equipment item"),
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
            # Lists read (scope, created_at, id) in index order, and count and pick deep
            # pages from the index alone; the id breaks ties.
            models.Index(
                fields=["company", "created_at", "id"], name="order_company_created_id_idx"
            ),
            models.Index(
                fields=["company", "status", "priority_rank", "id"], name="order_company_rank_idx"
            ),
            models.Index(fields=["assignee", "status"], name="order_assignee_status_idx"),
            models.Index(fields=["team", "status"], name="order_team_status_idx"),
            # `include`: a requester's orders outside the agent's companies (the second part
            # of an agent's scope) are told apart in the index, without visiting a row.
            models.Index(
                fields=["requester", "created_at", "id"],
                include=["company"],
                name="order_requester_created_idx",
            ),
            models.Index(fields=["created_at", "id"], name="order_created_id_idx"),
            # An item's history and whether it has open orders (equipment lists).
            models.Index(
                fields=["equipment_item", "status", "created_at"],
                name="order_equipment_status_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status__in=["in_progress", "waiting"])
                | models.Q(assignee__isnull=False),
                name="order_in_progress_has_assignee",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="closed") | ~models.Q(solution=""),
                name="order_closed_has_solution",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.title}"

    def clean(self) -> None:
        """The admin's check of what the API's services check: an order's equipment item is
        one of its company's."""
        item = self.equipment_item
        if item is not None and item.company_id != self.company_id:
            raise ValidationError(
                {"equipment_item": _("This item belongs to another company.")}, code="invalid"
            )


class OrderRole(StrEnum):
    """What a person is to one order (`orders.selectors.order_roles`), as views name it in
    `required_roles`; read from the database on each request, never from the token."""

    STAFF = "staff"  # the platform's staff: every order
    ADMIN = Membership.Role.ADMIN.value  # an admin of the order's company
    AGENT = Membership.Role.AGENT.value  # an agent of the order's company
    REQUESTER = "requester"  # opened the order
    ASSIGNEE = "assignee"  # the technician the order is assigned to
    LEAD = "lead"  # leads the order's team


class Message(TimeStampedModel):
    """A reply on an order, or an internal note that requesters never see."""

    class Channel(models.TextChoices):
        API = "api", _("API")
        EMAIL = "email", _("e-mail")

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    # The subject its author gave a reply (the e-mail's subject, after the order's tag);
    # empty: the order's usual subject.
    subject = models.CharField(_("subject"), max_length=200, blank=True)
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
        WAITING = "waiting", _("waiting on the requester")  # an agent asked; SLA paused
        RESUMED = "resumed", _("resumed")  # the requester answered a waiting order
        SLA_WARNING = "sla_warning", _("SLA warning")  # a due time is near (internal)
        SLA_BREACHED = "sla_breached", _("SLA breached")  # a due time passed (internal)

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


class InboundEmail(TimeStampedModel):
    """One message received by the e-mail channel, whatever became of it.

    The row is written before anything else in the transaction that handles the message,
    and its unique constraints are the deduplication: the same Message-ID (or, without one,
    the same content) delivered twice or ten times at once stores one row per company.
    """

    class Status(models.TextChoices):
        CREATED_ORDER = "created", _("created an order")  # opened a new order
        JOINED_ORDER = "joined", _("joined an order")  # became a message of an order
        IGNORED = "ignored", _("ignored")  # recorded, not acted on; `reason` says why
        PARKED = "parked", _("parked")  # could not be read; the raw content waits here

    company = models.ForeignKey(
        "companies.Company",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="inbound_emails",
    )
    status = models.CharField(_("status"), max_length=8, choices=Status.choices)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    source = models.CharField(
        _("source"), max_length=30, default="api", help_text=_("api, or the provider's name.")
    )
    message_id = models.CharField(_("Message-ID"), max_length=300, blank=True)
    content_hash = models.CharField(_("content hash"), max_length=64)
    from_address = models.CharField(_("from"), max_length=254, blank=True)
    from_name = models.CharField(_("sender name"), max_length=200, blank=True)
    to_addresses = models.JSONField(_("to"), default=list, blank=True)
    cc_addresses = models.JSONField(_("cc"), default=list, blank=True)
    subject = models.CharField(_("subject"), max_length=500, blank=True)
    in_reply_to = models.CharField(_("In-Reply-To"), max_length=300, blank=True)
    references = models.JSONField(_("References"), default=list, blank=True)
    sent_at = models.DateTimeField(_("date"), null=True, blank=True)
    headers = models.JSONField(_("headers"), default=dict, blank=True)
    text = models.TextField(_("text, as received"), blank=True)
    html = models.TextField(_("HTML, as received"), blank=True)
    html_sanitized = models.TextField(_("HTML for display"), blank=True)
    is_automatic = models.BooleanField(
        _("automatic"),
        default=False,
        help_text=_("An auto-reply, bulk mail or bounce: it never triggers mail or reopens."),
    )
    raw = models.BinaryField(_("raw content"), blank=True, default=b"")
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    order = models.ForeignKey(
        Order, on_delete=models.SET_NULL, null=True, blank=True, related_name="inbound_emails"
    )
    order_message = models.OneToOneField(
        Message, on_delete=models.SET_NULL, null=True, blank=True, related_name="inbound_email"
    )

    class Meta:
        verbose_name = _("inbound e-mail")
        verbose_name_plural = _("inbound e-mails")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "message_id"],
                condition=~models.Q(message_id=""),
                name="inbound_email_unique_message_id",
            ),
            models.UniqueConstraint(
                fields=["company", "content_hash"],
                condition=models.Q(message_id=""),
                name="inbound_email_unique_content",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "created_at"], name="inbound_email_status_idx"),
            models.Index(fields=["order", "created_at"], name="inbound_email_order_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.from_address}: {self.subject[:60]}"


def attachment_upload_to(attachment: "Attachment", filename: str) -> str:
    """Where a file is stored: under its order, in a folder of its own with a random name,
    so that a stored name is never guessed and two files of the same name never meet."""
    return f"attachments/{attachment.order_id}/{secrets.token_hex(8)}/{filename}"


class Attachment(models.Model):
    """A file of an order: uploaded through the API, or come with an inbound e-mail. Either
    way it is listed and downloaded in one place, seen by whoever sees the order, except
    the files of an internal note, which only its company's staff see (as the note).
    E-mailed files too large to keep are recorded, not stored."""

    class Source(models.TextChoices):
        UPLOAD = "upload", _("upload")  # sent through the API by someone on the order
        EMAIL = "email", _("e-mail")  # came with an inbound e-mail (`email`)

    # Led by `attachment_order_idx`, which serves its joins and deletes too.
    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, related_name="attachments", db_index=False
    )
    # The message the file goes with; none: the order itself (or the e-mail that opened it).
    message = models.ForeignKey(
        Message, on_delete=models.CASCADE, null=True, blank=True, related_name="attachments"
    )
    source = models.CharField(_("source"), max_length=8, choices=Source.choices)
    email = models.ForeignKey(
        InboundEmail,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="attachments",
    )
    # Who sent it: the uploader, or the e-mail's sender.
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    filename = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=200)
    size = models.PositiveBigIntegerField(_("size in bytes"))
    file = models.FileField(_("file"), upload_to=attachment_upload_to, blank=True, max_length=300)
    is_skipped = models.BooleanField(_("skipped"), default=False)
    skip_reason = models.CharField(_("why it was skipped"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["id"]
        indexes = [models.Index(fields=["order", "id"], name="attachment_order_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(source="email", email__isnull=False)
                | models.Q(source="upload", email__isnull=True),
                name="attachment_email_iff_source_email",
            ),
        ]

    def __str__(self) -> str:
        return self.filename


class InboundSignature(models.Model):
    """A webhook signature already accepted, with the answer it got. The unique digest makes
    a re-delivery of the same signed request, in any process, get that answer back instead
    of being received twice; rows older than the accepted age are purged by a periodic task."""

    digest = models.CharField(_("signature digest"), max_length=64, unique=True)
    results = models.JSONField(
        _("results"), null=True, blank=True, help_text=_("None while it is being answered.")
    )
    created_at = models.DateTimeField(_("received at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("inbound signature")
        verbose_name_plural = _("inbound signatures")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.digest[:16]


class OrderOutboundEmail(models.Model):
    """Ties an outbox e-mail (and so its Message-ID) to the order it is about, so that a
    reply carrying that Message-ID in In-Reply-To or References finds its order."""

    outbound = models.OneToOneField(
        "core.OutboundEmail", on_delete=models.CASCADE, related_name="order_link"
    )
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="outbound_emails")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("order e-mail sent")
        verbose_name_plural = _("order e-mails sent")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["order", "created_at"], name="order_outbound_order_idx")]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.outbound_id}"


class SuppressedEmail(models.Model):
    """An automatic e-mail that was not sent on purpose (too many to one address in the
    last hour): recorded so nobody wonders where it went."""

    class Reason(models.TextChoices):
        RATE_LIMITED = "rate_limited", _("too many automatic e-mails to this address")

    to = models.EmailField(_("to"))
    key = models.CharField(_("outbox key"), max_length=200)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, null=True, blank=True, related_name="suppressed_emails"
    )
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("suppressed e-mail")
        verbose_name_plural = _("suppressed e-mails")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["to", "created_at"], name="suppressed_email_to_idx")]

    def __str__(self) -> str:
        return f"{self.to}: {self.reason}"
