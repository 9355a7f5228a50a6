from decimal import Decimal
from enum import StrEnum
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel

DEFAULT_TIME_ZONE = "America/Sao_Paulo"


class ObjectRole(StrEnum):
    """What a person is to one object of a home, besides their `HomeMember.Role` there
    (`homes.api.permissions.HomeRolePermission`); views require these."""

    MEMBER = "member"  # lives in the home, whatever their role
    SELF = "self"  # the membership is their own
    ASSIGNEE = "assignee"  # the task is theirs, or unassigned in their home
    AUTHOR = "author"  # created the task (and still lives in the home)
    CREDITOR = "creditor"  # the bill is owed to them
    DEBTOR = "debtor"  # they owe the bill


class Home(TimeStampedModel):
    """A shared house. Every schedule of the home is computed in its own time zone."""

    name = models.CharField(_("name"), max_length=120)
    address = models.CharField(_("address"), max_length=255, blank=True)
    rent = models.DecimalField(
        _("rent"),
        max_digits=12,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0.00"))],
    )
    photo = models.ImageField(_("photo"), upload_to="homes/photos/", blank=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default=DEFAULT_TIME_ZONE)
    # When set, a task a resident completes waits for an admin's approval before its points.
    tasks_need_review = models.BooleanField(_("tasks need review"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("home")
        verbose_name_plural = _("homes")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(rent__gte=0), name="home_rent_not_negative"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)


class HomeMember(TimeStampedModel):
    """A person living in a home, with a role and the points earned there."""

    class Role(models.TextChoices):
        ADMIN = "admin", _("admin")  # manages members, routines, rules and every task and bill
        RESIDENT = "resident", _("resident")  # does chores, creates tasks and own bills

    home = models.ForeignKey(
        Home, verbose_name=_("home"), on_delete=models.CASCADE, related_name="members"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="home_memberships",
    )
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.RESIDENT)
    points = models.PositiveIntegerField(_("points"), default=0)

    class Meta:
        verbose_name = _("home member")
        verbose_name_plural = _("home members")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["home", "user"], name="home_member_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.home}"


class HomeInvitation(TimeStampedModel):
    """An invitation to an e-mail address that has no account yet.

    Only a hash of the token is stored; the token itself travels in the e-mail.
    """

    home = models.ForeignKey(
        Home, verbose_name=_("home"), on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.EmailField(_("e-mail"))
    role = models.CharField(
        _("role"), max_length=10, choices=HomeMember.Role.choices, default=HomeMember.Role.RESIDENT
    )
    token_hash = models.CharField(_("token hash"), max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("invited by"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    expires_at = models.DateTimeField(_("expires at"))
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)

    class Meta:
        verbose_name = _("home invitation")
        verbose_name_plural = _("home invitations")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["home", "email"],
                condition=models.Q(accepted_at__isnull=True),
                name="home_invitation_one_pending_per_email",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} → {self.home}"


class Rule(TimeStampedModel):
    """One house rule, written by an admin, read by everyone in the home."""

    home = models.ForeignKey(
        Home, verbose_name=_("home"), on_delete=models.CASCADE, related_name="rules"
    )
    text = models.TextField(_("text"), max_length=2000)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("rule")
        verbose_name_plural = _("rules")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.text[:60]


class Routine(TimeStampedModel):
    """A chore that repeats on some weekdays, due by a local time in the home's zone."""

    class Assignment(models.TextChoices):
        FIXED = "fixed", _("fixed member")  # always the `responsible` member
        ROTATION = "rotation", _("rotation")  # round-robin over `rotation_members`
        EVERYONE = "everyone", _("everyone")  # one task for each member of the home

    home = models.ForeignKey(
        Home, verbose_name=_("home"), on_delete=models.CASCADE, related_name="routines"
    )
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True, max_length=2000)
    # Python weekday numbers: 0 = Monday … 6 = Sunday.
    weekdays = models.JSONField(_("weekdays"), default=list)
    time_limit = models.TimeField(_("time limit"))
    assignment = models.CharField(
        _("assignment"), max_length=10, choices=Assignment.choices, default=Assignment.FIXED
    )
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("responsible"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    rotation_members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("rotation members"),
        blank=True,
        related_name="+",
    )
    points = models.PositiveIntegerField(_("points"), default=0)
    penalty_amount = models.DecimalField(
        _("penalty amount"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("routine")
        verbose_name_plural = _("routines")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(penalty_amount__isnull=True) | models.Q(penalty_amount__gt=0),
                name="routine_penalty_positive",
            ),
            models.CheckConstraint(
                condition=models.Q(valid_until__isnull=True)
                | models.Q(valid_until__gte=models.F("valid_from")),
                name="routine_valid_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Task(TimeStampedModel):
    """One chore to do by a moment in time; made by hand or materialised from a routine."""

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")  # to do, not yet due
        IN_REVIEW = "in_review", _("in review")  # completed, waiting for an admin's approval
        DONE = "done", _("done")  # completed; its points were awarded once
        OVERDUE = "overdue", _("overdue")  # its due moment passed while pending

    home = models.ForeignKey(
        Home, verbose_name=_("home"), on_delete=models.CASCADE, related_name="tasks"
    )
    title = models.CharField(_("title"), max_length=160)
    description = models.TextField(_("description"), blank=True, max_length=4000)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="home_tasks",
    )
    due_at = models.DateTimeField(_("due at"), null=True, blank=True)  # None: no deadline
    points = models.PositiveIntegerField(_("points"), default=0)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    routine = models.ForeignKey(
        Routine,
        verbose_name=_("routine"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tasks",
    )
    # The local date (home's zone) of the routine occurrence; with `routine` and
    # `occurrence_member` it is unique.
    occurrence_date = models.DateField(_("occurrence date"), null=True, blank=True)
    # For an "everyone" routine, the user id the occurrence was made for (a plain id: it
    # keeps the key stable when the task is reassigned); 0 for any other task.
    occurrence_member = models.PositiveBigIntegerField(_("occurrence member"), default=0)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("completed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Who got the points (the assignee at completion, else the person who completed it).
    points_awarded_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("points awarded to"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    reminded_at = models.DateTimeField(_("reminded at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        ordering = [models.F("due_at").asc(nulls_last=True), "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["routine", "occurrence_date", "occurrence_member"],
                name="task_one_per_routine_date_member",
            ),
        ]
        indexes = [
            models.Index(fields=["home", "status", "due_at"], name="task_home_status_due_idx"),
            models.Index(
                fields=["due_at"], name="task_pending_due_idx", condition=models.Q(status="pending")
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Bill(TimeStampedModel):
    """Money one member owes another in a home; a penalty bill points at its overdue task."""

    home = models.ForeignKey(
        Home, verbose_name=_("home"), on_delete=models.CASCADE, related_name="bills"
    )
    debtor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("debtor"),
        on_delete=models.PROTECT,
        related_name="home_debts",
    )
    creditor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("creditor"),
        on_delete=models.PROTECT,
        related_name="home_credits",
    )
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    description = models.CharField(_("description"), max_length=255)
    due_date = models.DateField(_("due date"), null=True, blank=True)
    is_paid = models.BooleanField(_("paid"), default=False)  # confirmed by the creditor
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    # The debtor said they paid; the creditor has not confirmed or rejected it yet.
    payment_reported_at = models.DateTimeField(_("payment reported at"), null=True, blank=True)
    # One penalty per overdue task: the unique one-to-one makes a second one impossible.
    penalty_task = models.OneToOneField(
        Task,
        verbose_name=_("penalty for task"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="penalty_bill",
    )
    reminded_at = models.DateTimeField(_("reminded at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("bill")
        verbose_name_plural = _("bills")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="bill_amount_positive"),
            models.CheckConstraint(
                condition=~models.Q(debtor=models.F("creditor")), name="bill_debtor_not_creditor"
            ),
            models.CheckConstraint(
                condition=models.Q(is_paid=False) | models.Q(paid_at__isnull=False),
                name="bill_paid_has_paid_at",
            ),
            models.CheckConstraint(
                condition=models.Q(is_paid=False) | models.Q(payment_reported_at__isnull=True),
                name="bill_paid_is_not_awaiting_confirmation",
            ),
        ]
        indexes = [
            models.Index(fields=["home", "is_paid"], name="bill_home_paid_idx"),
        ]

    class Status(models.TextChoices):
        UNPAID = "unpaid", _("unpaid")  # nothing paid, or a reported payment was rejected
        PAYMENT_REPORTED = "payment_reported", _("payment reported")  # awaits the creditor
        PAID = "paid", _("paid")  # confirmed: no longer counts in balances

    def __str__(self) -> str:
        return f"{self.description}: {self.amount}"

    @property
    def status(self) -> str:
        if self.is_paid:
            return self.Status.PAID
        if self.payment_reported_at is not None:
            return self.Status.PAYMENT_REPORTED
        return self.Status.UNPAID


class TaskComment(TimeStampedModel):
    """A message on a task by someone of its home; an admin's send-back note is one too."""

    class Kind(models.TextChoices):
        COMMENT = "comment", _("comment")  # written with POST tasks/{id}/comments
        SENT_BACK = "sent_back", _("sent back")  # the note of an admin's send-back

    task = models.ForeignKey(
        Task, verbose_name=_("task"), on_delete=models.CASCADE, related_name="comments"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    body = models.TextField(_("body"), max_length=2000)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.COMMENT)

    class Meta:
        verbose_name = _("task comment")
        verbose_name_plural = _("task comments")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["task", "created_at"], name="task_comment_task_idx")]

    def __str__(self) -> str:
        return self.body[:60]
