import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel

# A visit longer than a working day is a typing error, not a plan.
VISIT_MAX_MINUTES = 12 * 60
# One entry is at most a day's work; longer work is several entries.
TIME_ENTRY_MAX_MINUTES = 24 * 60


class Visit(TimeStampedModel):
    """An on-site visit of a technician for an order. It changes only through the
    services in fieldservice.services, which keep a technician's scheduled visits from
    overlapping and e-mail the people concerned with an iCalendar invitation."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("scheduled")  # planned: the technician is expected on site
        CANCELLED = "cancelled", _("cancelled")  # called off; kept for the record

    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="visits")
    technician = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="visits"
    )
    starts_at = models.DateTimeField(_("starts at"))
    duration_minutes = models.PositiveSmallIntegerField(_("duration in minutes"))
    # Stored, not computed, so that the overlap check compares indexed columns.
    ends_at = models.DateTimeField(_("ends at"))
    address = models.CharField(_("address"), max_length=300, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.SCHEDULED
    )
    # iCalendar: one UID for the life of the visit, SEQUENCE raised on every change, so
    # calendars update (or cancel) the event they already hold instead of adding another.
    uid = models.UUIDField(_("calendar UID"), default=uuid.uuid4, unique=True, editable=False)
    sequence = models.PositiveIntegerField(_("calendar sequence"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        ordering = ["starts_at", "id"]
        indexes = [
            # The agenda and the overlap check: a technician's scheduled visits by time.
            models.Index(
                fields=["technician", "starts_at"],
                condition=models.Q(status="scheduled"),
                name="visit_technician_agenda_idx",
            ),
            models.Index(fields=["order", "starts_at"], name="visit_order_idx"),
            models.Index(fields=["starts_at", "id"], name="visit_starts_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(duration_minutes__gte=1)
                & models.Q(duration_minutes__lte=VISIT_MAX_MINUTES),
                name="visit_duration_bounded",
            ),
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="visit_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.order_id} {self.starts_at:%Y-%m-%d %H:%M} UTC"


class TimeEntry(models.Model):
    """Time an agent spent on an order, on one day. Its minutes add up to the order's
    `time_spent_minutes`."""

    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="time_entries")
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="time_entries"
    )
    minutes = models.PositiveIntegerField(_("minutes"))
    note = models.CharField(_("note"), max_length=500, blank=True)
    date = models.DateField(_("date"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("time entry")
        verbose_name_plural = _("time entries")
        ordering = ["date", "id"]
        indexes = [
            # `include`: an order's total is summed from the index alone.
            models.Index(
                fields=["order", "date"], include=["minutes"], name="time_entry_order_idx"
            ),
            models.Index(fields=["agent", "date"], name="time_entry_agent_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(minutes__gte=1) & models.Q(minutes__lte=TIME_ENTRY_MAX_MINUTES),
                name="time_entry_minutes_bounded",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.order_id} {self.minutes} min ({self.date})"
