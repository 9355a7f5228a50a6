from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel
from orders.models import Order


class BusinessHours(models.Model):
    """One opening range of a company's week, in its time zone. A day may have several
    (09:00–12:00 and 13:00–18:00); a company with none works around the clock."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("Monday")
        TUESDAY = 1, _("Tuesday")
        WEDNESDAY = 2, _("Wednesday")
        THURSDAY = 3, _("Thursday")
        FRIDAY = 4, _("Friday")
        SATURDAY = 5, _("Saturday")
        SUNDAY = 6, _("Sunday")

    company = models.ForeignKey(
        "companies.Company", on_delete=models.CASCADE, related_name="business_hours"
    )
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    opens = models.TimeField(_("opens"))
    closes = models.TimeField(_("closes"))

    class Meta:
        verbose_name = _("business hours")
        verbose_name_plural = _("business hours")
        ordering = ["company", "weekday", "opens"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(opens__lt=models.F("closes")),
                name="business_hours_opens_before_closes",
            ),
            models.CheckConstraint(
                condition=models.Q(weekday__gte=0, weekday__lte=6),
                name="business_hours_weekday_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}–{self.closes:%H:%M}"


class Holiday(models.Model):
    """A local day the company does not work: SLA clocks do not run on it."""

    company = models.ForeignKey("companies.Company", on_delete=models.CASCADE, related_name="+")
    date = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")
        ordering = ["company", "date"]
        constraints = [
            models.UniqueConstraint(fields=["company", "date"], name="holiday_unique_company_date")
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


class SlaTarget(TimeStampedModel):
    """How soon a company answers and solves orders of one priority, in business minutes.
    A priority without a target has no SLA. Orders keep the target they started with."""

    company = models.ForeignKey("companies.Company", on_delete=models.CASCADE, related_name="+")
    priority = models.CharField(_("priority"), max_length=8, choices=Order.Priority.choices)
    first_response_minutes = models.PositiveIntegerField(_("first response (business minutes)"))
    resolution_minutes = models.PositiveIntegerField(_("resolution (business minutes)"))

    class Meta:
        verbose_name = _("SLA target")
        verbose_name_plural = _("SLA targets")
        ordering = ["company", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "priority"], name="sla_target_unique_company_priority"
            ),
            models.CheckConstraint(
                condition=models.Q(first_response_minutes__gt=0, resolution_minutes__gt=0),
                name="sla_target_minutes_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.priority}: {self.first_response_minutes}/{self.resolution_minutes} min"


class OrderSla(models.Model):
    """An order's two SLA clocks, first response and resolution. Each clock runs from its
    start (creation; a reopen restarts resolution) for its target's business minutes, plus
    the business time spent waiting on the requester. Due and warning instants are stored
    so the periodic scan is an indexed range query; `*_sent_at` mark the warning and breach
    e-mails sent, set in the same transaction as their event, so each goes out once."""

    order = models.OneToOneField(
        "orders.Order", on_delete=models.CASCADE, primary_key=True, related_name="sla"
    )
    # The target as it was when the clock started: later changes apply to new orders.
    first_response_minutes = models.PositiveIntegerField(_("first response target (minutes)"))
    resolution_minutes = models.PositiveIntegerField(_("resolution target (minutes)"))

    response_started_at = models.DateTimeField(_("response clock started"))
    response_paused_seconds = models.FloatField(_("response clock paused (seconds)"), default=0)
    respond_by = models.DateTimeField(_("respond by"))
    response_warn_from = models.DateTimeField(_("warn about the response from"))
    first_responded_at = models.DateTimeField(_("first responded at"), null=True, blank=True)
    response_warning_sent_at = models.DateTimeField(null=True, blank=True)
    response_breach_sent_at = models.DateTimeField(null=True, blank=True)

    resolution_started_at = models.DateTimeField(_("resolution clock started"))
    resolution_paused_seconds = models.FloatField(_("resolution clock paused (seconds)"), default=0)
    resolve_by = models.DateTimeField(_("resolve by"))
    resolution_warn_from = models.DateTimeField(_("warn about the resolution from"))
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolution_warning_sent_at = models.DateTimeField(null=True, blank=True)
    resolution_breach_sent_at = models.DateTimeField(null=True, blank=True)

    paused_since = models.DateTimeField(
        _("paused since"), null=True, blank=True, help_text=_("Waiting on the requester.")
    )

    class Meta:
        verbose_name = _("order SLA")
        verbose_name_plural = _("order SLAs")
        ordering = ["respond_by"]
        # The periodic scan reads running clocks whose warning time has come; each index
        # holds only those, so it stays small however many orders are done.
        indexes = [
            models.Index(
                fields=["response_warn_from"],
                condition=models.Q(
                    first_responded_at__isnull=True,
                    response_breach_sent_at__isnull=True,
                    paused_since__isnull=True,
                ),
                name="order_sla_response_scan_idx",
            ),
            models.Index(
                fields=["resolution_warn_from"],
                condition=models.Q(
                    resolved_at__isnull=True,
                    resolution_breach_sent_at__isnull=True,
                    paused_since__isnull=True,
                ),
                name="order_sla_resolution_scan_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.order_id} respond by {self.respond_by:%Y-%m-%d %H:%M}"
