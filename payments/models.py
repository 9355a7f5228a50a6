from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel


class PaymentMethod(TimeStampedModel):
    """A card a person keeps for donations. Only what a receipt may show is stored: the
    gateway holds the card behind `gateway_token`. The full number and the CVC never reach
    the database; `fingerprint` is a keyed hash of the number, to spot the same card twice.
    """

    class Brand(models.TextChoices):
        VISA = "visa", "Visa"
        MASTERCARD = "mastercard", "Mastercard"
        AMEX = "amex", "American Express"
        ELO = "elo", "Elo"
        OTHER = "other", _("other")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="payment_methods",
    )
    brand = models.CharField(_("brand"), max_length=12, choices=Brand.choices)
    last4 = models.CharField(_("last 4 digits"), max_length=4)
    exp_month = models.PositiveSmallIntegerField(_("expiry month"))
    exp_year = models.PositiveSmallIntegerField(_("expiry year"))
    holder_name = models.CharField(_("holder name"), max_length=100)
    gateway_token = models.CharField(_("gateway token"), max_length=200, editable=False)
    fingerprint = models.CharField(_("fingerprint"), max_length=64, editable=False)

    class Meta:
        verbose_name = _("payment method")
        verbose_name_plural = _("payment methods")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "fingerprint"], name="payment_method_card_once_per_user"
            ),
            models.CheckConstraint(
                condition=Q(exp_month__gte=1, exp_month__lte=12),
                name="payment_method_exp_month_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_brand_display()} •••• {self.last4}"


class Donation(TimeStampedModel):
    """A gift to an NGO, charged through the payment gateway.

    Written as `pending` before the charge and settled after it, so a crash in between
    leaves a visible trace instead of an unexplained charge. Only approved donations credit
    the NGO's ledger. The card's brand and last digits are copied so the history survives
    the payment method's deletion.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")  # written, the gateway has not answered yet
        APPROVED = "approved", _("approved")  # charged; credited to the NGO
        DECLINED = "declined", _("declined")  # the card was refused; see decline_code
        FAILED = "failed", _("failed")  # the processor failed; nothing was charged

    donor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("donor"),
        on_delete=models.PROTECT,
        related_name="donations",
    )
    ong = models.ForeignKey(
        "ongs.Ong", verbose_name=_("NGO"), on_delete=models.PROTECT, related_name="donations"
    )
    payment_method = models.ForeignKey(
        PaymentMethod,
        verbose_name=_("payment method"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="donations",
    )
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default="BRL")
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    decline_code = models.CharField(_("decline code"), max_length=40, blank=True)
    gateway_reference = models.CharField(_("gateway reference"), max_length=200, blank=True)
    card_brand = models.CharField(_("card brand"), max_length=12, blank=True)
    card_last4 = models.CharField(_("card last 4 digits"), max_length=4, blank=True)
    message = models.CharField(_("message"), max_length=300, blank=True)
    settled_at = models.DateTimeField(_("settled at"), null=True, blank=True)

    class Meta:
        verbose_name = _("donation")
        verbose_name_plural = _("donations")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=Decimal("0")), name="donation_amount_positive"
            ),
        ]
        indexes = [
            models.Index(fields=["ong", "status", "-created_at"], name="donation_ong_status_idx"),
            models.Index(fields=["donor", "-created_at"], name="donation_donor_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.donor_id} → {self.ong_id}: {self.amount} ({self.status})"
