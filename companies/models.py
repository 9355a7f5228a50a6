from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from companies.cnpj import cnpj_format
from core.models import TimeStampedModel


class Company(TimeStampedModel):
    """A tenant: a company whose people get technical support. Inactive until staff
    activate it; while inactive its members can read but not change anything."""

    class ClosedOrderReply(models.TextChoices):
        NEW_ORDER = "new_order", _("start a new order, linked to the closed one")
        REOPEN = "reopen", _("reopen the closed order")

    cnpj = models.CharField(_("CNPJ"), max_length=14, unique=True)
    legal_name = models.CharField(_("legal name"), max_length=200)
    trading_name = models.CharField(_("trading name"), max_length=200, blank=True)
    support_email = models.EmailField(
        _("support e-mail"),
        unique=True,
        null=True,
        blank=True,
        help_text=_("Mail to this address becomes service orders of the company."),
    )
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    is_active = models.BooleanField(_("active"), default=False)
    # Visits, SLA business hours and e-mailed times are in this zone (IANA name).
    time_zone = models.CharField(_("time zone"), max_length=64, default="America/Sao_Paulo")
    # E-mail channel settings (used by inbound mail).
    accepts_new_requesters_by_email = models.BooleanField(
        _("senders become requesters"),
        default=True,
        help_text=_("Unknown senders writing to the support address become requesters."),
    )
    closed_order_reply = models.CharField(
        _("a reply to a closed order"),
        max_length=10,
        choices=ClosedOrderReply.choices,
        default=ClosedOrderReply.NEW_ORDER,
    )

    class Meta:
        verbose_name = _("company")
        verbose_name_plural = _("companies")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.trading_name or self.legal_name

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    @property
    def cnpj_formatted(self) -> str:
        return cnpj_format(self.cnpj)


class Membership(TimeStampedModel):
    """A person's role in one company. One person may belong to several companies."""

    class Role(models.TextChoices):
        ADMIN = "admin", _("admin")  # manages the company, its people, teams and all orders
        AGENT = "agent", _("agent")  # technician or operator: takes and solves orders
        REQUESTER = "requester", _("requester")  # opens orders and follows their own

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=10, choices=Role.choices)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "company"], name="membership_unique_per_company"
            )
        ]
        indexes = [models.Index(fields=["company", "role"], name="membership_company_role_idx")]

    def __str__(self) -> str:
        return f"{self.user} — {self.company} ({self.role})"


class Team(TimeStampedModel):
    """A support team of one company (for example Financeiro): one lead and agents."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="teams")
    name = models.CharField(_("name"), max_length=100)
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="led_teams",
    )
    agents = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="teams", verbose_name=_("agents")
    )

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["company_id", "name"]
        constraints = [
            models.UniqueConstraint(fields=["company", "name"], name="team_name_unique_in_company")
        ]

    def __str__(self) -> str:
        return self.name
