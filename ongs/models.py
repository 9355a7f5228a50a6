from decimal import Decimal
from enum import StrEnum

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel

MONEY = {"max_digits": 12, "decimal_places": 2}


class OngRole(StrEnum):
    """What a person is to one NGO (`ongs.selectors.ong_roles_of`); views require these."""

    OWNER = "owner"  # registered it; the only one (with staff) who changes its admins
    ADMIN = "admin"  # named by the owner; manages the NGO with them, except its admins


class Ong(TimeStampedModel):
    """A non-governmental organisation: publishes events, receives donations, withdraws them.

    The creator is its owner; `admins` manage it with the owner. A deactivated NGO leaves
    the public lists and accepts no donations or registrations, but keeps its history.
    """

    class Cause(models.TextChoices):
        ANIMALS = "animals", _("animals")  # animal protection and adoption
        CULTURE = "culture", _("culture")  # arts, heritage, sport
        EDUCATION = "education", _("education")  # schools, tutoring, literacy
        ENVIRONMENT = "environment", _("environment")  # conservation, recycling
        HEALTH = "health", _("health")  # care, prevention, patient support
        HOUSING = "housing", _("housing")  # homes, shelters, urban land
        HUMAN_RIGHTS = "human_rights", _("human rights")  # advocacy, legal aid, development
        RESEARCH = "research", _("research")  # science, studies, data
        SOCIAL = "social", _("social assistance")  # food, shelter, income
        OTHER = "other", _("other")

    name = models.CharField(_("name"), max_length=150)
    description = models.TextField(_("description"), blank=True)
    cause = models.CharField(_("cause"), max_length=20, choices=Cause.choices)
    email = models.EmailField(_("e-mail"))
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    cnpj = models.CharField(_("CNPJ"), max_length=14, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="owned_ongs",
    )
    admins = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("admins"),
        related_name="administered_ongs",
        blank=True,
    )
    is_active = models.BooleanField(_("active"), default=True)
    # Set only by migration 0004 on NGOs that already shared an e-mail (case-insensitively)
    # with an older one: they keep it, exempt from the uniqueness constraint, until it is
    # changed. Nothing else sets it.
    shares_legacy_email = models.BooleanField(
        _("shares an e-mail registered before e-mails were unique"),
        default=False,
        editable=False,
    )

    class Meta:
        verbose_name = _("NGO")
        verbose_name_plural = _("NGOs")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["cnpj"], condition=~Q(cnpj=""), name="ong_cnpj_unique"),
            models.UniqueConstraint(
                Lower("email"),
                condition=Q(shares_legacy_email=False),
                name="ong_email_unique_ci",
                violation_error_message=_("An NGO with this e-mail already exists."),
            ),
        ]
        indexes = [
            models.Index(fields=["is_active", "cause"], name="ong_active_cause_idx"),
            # The list's order: a page is read in index order, never sorted whole.
            models.Index(fields=["name", "id"], name="ong_name_idx"),
        ]

    def __str__(self) -> str:
        return self.name


class Withdrawal(TimeStampedModel):
    """Money the NGO took out of its balance. Recorded together with its ledger debit."""

    ong = models.ForeignKey(
        Ong, verbose_name=_("NGO"), on_delete=models.PROTECT, related_name="withdrawals"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.PROTECT,
        related_name="ong_withdrawals",
    )
    amount = models.DecimalField(_("amount"), **MONEY)
    description = models.CharField(_("description"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("withdrawal")
        verbose_name_plural = _("withdrawals")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=Decimal("0")), name="withdrawal_amount_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ong}: -{self.amount}"


class LedgerEntry(models.Model):
    """One movement of an NGO's money, never changed nor deleted once written.

    Entries are appended while the NGO row is locked, so each one's `balance_after` is the
    previous entry's plus or minus its amount: the available balance is the last entry's
    `balance_after`, and summing credits minus debits must give the same number. The
    database refuses a negative balance and an entry not tied to exactly its source.
    """

    class Kind(models.TextChoices):
        DONATION = "donation", _("donation")  # credit: an approved donation
        WITHDRAWAL = "withdrawal", _("withdrawal")  # debit: money taken out

    ong = models.ForeignKey(
        Ong, verbose_name=_("NGO"), on_delete=models.PROTECT, related_name="ledger_entries"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    amount = models.DecimalField(_("amount"), **MONEY)
    balance_after = models.DecimalField(_("balance after"), **MONEY)
    donation = models.OneToOneField(
        "payments.Donation",
        verbose_name=_("donation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ledger_entry",
    )
    withdrawal = models.OneToOneField(
        Withdrawal,
        verbose_name=_("withdrawal"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ledger_entry",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=Decimal("0")), name="ledger_amount_positive"
            ),
            models.CheckConstraint(
                condition=Q(balance_after__gte=Decimal("0")), name="ledger_balance_not_negative"
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind="donation", donation__isnull=False, withdrawal__isnull=True)
                    | Q(kind="withdrawal", withdrawal__isnull=False, donation__isnull=True)
                ),
                name="ledger_entry_has_its_source",
            ),
        ]
        indexes = [models.Index(fields=["ong", "-id"], name="ledger_ong_latest_idx")]

    def __str__(self) -> str:
        sign = "+" if self.kind == self.Kind.DONATION else "-"
        return f"{self.ong_id}: {sign}{self.amount} = {self.balance_after}"
