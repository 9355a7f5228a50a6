from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    """Every Mutirão row knows when it was created and last changed."""

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class OutboundEmail(TimeStampedModel):
    """One e-mail to one recipient, written in the same transaction as the change it announces.

    The row is the outbox: Celery sends it after commit, and a periodic task re-sends what is
    still pending, so a broker outage delays mail but never loses it. `key` makes enqueueing
    idempotent: one e-mail per event and recipient.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")  # waiting for a worker
        SENT = "sent", _("sent")  # handed to the mail server
        FAILED = "failed", _("failed")  # gave up after the last retry; see last_error

    key = models.CharField(_("idempotency key"), max_length=200, unique=True)
    to = models.EmailField(_("to"))
    subject = models.CharField(_("subject"), max_length=300)
    body_text = models.TextField(_("text body"))
    body_html = models.TextField(_("HTML body"), blank=True)
    reply_to = models.EmailField(_("reply-to"), blank=True)
    message_id = models.CharField(_("Message-ID"), max_length=300, unique=True)
    headers = models.JSONField(_("extra headers"), default=dict, blank=True)
    # Small text files sent with the e-mail (an iCalendar invitation): a list of
    # {"filename", "content_type", "content"}.
    attachments = models.JSONField(_("attachments"), default=list, blank=True)
    is_automatic = models.BooleanField(_("automatic"), default=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("outbound e-mail")
        verbose_name_plural = _("outbound e-mails")
        indexes = [
            models.Index(
                fields=["created_at"],
                name="outbox_pending_idx",
                condition=models.Q(status="pending"),
            ),
            models.Index(fields=["to", "created_at"], name="outbox_recipient_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.to}: {self.subject}"


class IdempotencyRecord(models.Model):
    """The first answer to a write sent with an `Idempotency-Key`, per user and key.

    The row is committed before the work starts (`in_progress`), so a concurrent duplicate
    hits the unique constraint and is told to wait (409); once `completed` it holds the
    status code and body to replay. `request_hash` catches a key reused for another body,
    `scope` names the operation (`donation`). See core.idempotency.
    """

    class State(models.TextChoices):
        IN_PROGRESS = "in_progress", _("in progress")  # the first request is still running
        COMPLETED = "completed", _("completed")  # the response below is final

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="idempotency_records",
    )
    key = models.CharField(_("key"), max_length=255)
    scope = models.CharField(_("scope"), max_length=100)
    request_hash = models.CharField(_("request hash"), max_length=64)
    state = models.CharField(
        _("state"), max_length=12, choices=State.choices, default=State.IN_PROGRESS
    )
    response_status = models.PositiveSmallIntegerField(_("response status"), null=True)
    response_body = models.JSONField(_("response body"), null=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)

    class Meta:
        # The table was created by payments, where donations first used it; keeping its
        # name made the move a change of state only (core 0002, payments 0002).
        db_table = "payments_idempotencyrecord"
        verbose_name = _("idempotency record")
        verbose_name_plural = _("idempotency records")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_once_per_user"),
        ]
        indexes = [models.Index(fields=["created_at"], name="idempotency_created_idx")]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key} ({self.state})"
