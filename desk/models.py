from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel


class CannedReply(TimeStampedModel):
    """A prepared answer agents post on orders: company-wide (no team) or one team's. Its
    body may name the order's values as `{requester_name}`, `{order_id}` and `{title}`
    (checked when saved, filled in when posted: `desk.placeholders`)."""

    company = models.ForeignKey(
        "companies.Company", on_delete=models.CASCADE, related_name="canned_replies"
    )
    team = models.ForeignKey(
        "companies.Team",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="canned_replies",
        help_text=_("Empty: every agent of the company may use it."),
    )
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("canned reply")
        verbose_name_plural = _("canned replies")
        ordering = ["title", "id"]
        constraints = [
            # Two partial constraints: NULL teams are distinct in a plain unique constraint.
            models.UniqueConstraint(
                fields=["company", "title"],
                condition=Q(team__isnull=True),
                name="canned_reply_title_unique_in_company",
            ),
            models.UniqueConstraint(
                fields=["company", "team", "title"],
                condition=Q(team__isnull=False),
                name="canned_reply_title_unique_in_team",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class SatisfactionRating(models.Model):
    """The requester's rating of a closed order, once per order: the one-to-one column is
    what decides between two ratings sent at once. `team` and `agent` are the order's team
    and technician when it was rated (closed), so stats keep them if the order moves."""

    order = models.OneToOneField(
        "orders.Order", on_delete=models.CASCADE, related_name="satisfaction_rating"
    )
    score = models.PositiveSmallIntegerField(_("score"))
    comment = models.TextField(_("comment"), blank=True)
    rated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    team = models.ForeignKey(
        "companies.Team",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="satisfaction_ratings",
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="satisfaction_ratings",
    )
    created_at = models.DateTimeField(_("rated at"), auto_now_add=True)

    class Meta:
        verbose_name = _("satisfaction rating")
        verbose_name_plural = _("satisfaction ratings")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(score__gte=1, score__lte=5), name="satisfaction_score_1_to_5"
            ),
        ]
        indexes = [
            models.Index(fields=["team", "score"], name="satisfaction_team_idx"),
            models.Index(fields=["agent", "score"], name="satisfaction_agent_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.score}"


class OrderWatcher(models.Model):
    """Someone who follows an order and gets its public notifications: a person (`user`)
    or, for an address copied on an inbound e-mail, only an address (`email`, lower-case)."""

    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="watchers")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="watched_orders",
    )
    email = models.EmailField(_("e-mail address"), blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("added at"), auto_now_add=True)

    class Meta:
        verbose_name = _("order watcher")
        verbose_name_plural = _("order watchers")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["order", "user"],
                condition=Q(user__isnull=False),
                name="order_watcher_unique_user",
            ),
            models.UniqueConstraint(
                fields=["order", "email"],
                condition=~Q(email=""),
                name="order_watcher_unique_email",
            ),
            # A person or an address, never both: a person's address follows their account.
            models.CheckConstraint(
                condition=(Q(user__isnull=False) & Q(email=""))
                | (Q(user__isnull=True) & ~Q(email="")),
                name="order_watcher_person_or_address",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.user_id or self.email}"
