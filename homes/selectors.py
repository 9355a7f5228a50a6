"""Querysets scoped to a user. Views read homes data only through these."""

import hashlib
from datetime import datetime
from decimal import Decimal

from django.db.models import IntegerField, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import User
from core.exceptions import NotFound
from homes.models import Bill, Home, HomeInvitation, HomeMember, Routine, Rule, Task, TaskComment


def _visible_home_ids(user: User) -> QuerySet:
    return HomeMember.objects.filter(user=user).values("home_id")


def home_list_visible_to(user: User) -> QuerySet[Home]:
    """Staff see every home; other people see the homes they live in. Each home carries
    `my_role` (the user's role there, or None) without a query per row."""
    homes = (
        Home.objects.all() if user.is_staff else Home.objects.filter(pk__in=_visible_home_ids(user))
    )
    my_role = HomeMember.objects.filter(home=OuterRef("pk"), user=user).values("role")[:1]
    return homes.select_related("created_by").annotate(my_role=Subquery(my_role))


def home_get_visible_to(user: User, pk: int) -> Home:
    """The home if the user may see it; otherwise NotFound (404), never a hint it exists."""
    try:
        return home_list_visible_to(user).get(pk=pk)
    except Home.DoesNotExist as exc:
        raise NotFound() from exc


def home_roles_of(user: User, home_id: int) -> set[str]:
    """The user's roles in one home, read from the database on every call."""
    return set(HomeMember.objects.filter(home_id=home_id, user=user).values_list("role", flat=True))


def member_list(home: Home) -> QuerySet[HomeMember]:
    return HomeMember.objects.filter(home=home).select_related("user")


def member_get(home: Home, user_id: int) -> HomeMember:
    try:
        return member_list(home).get(user_id=user_id)
    except HomeMember.DoesNotExist as exc:
        raise NotFound() from exc


def member_is_in(home: Home, user_id: int) -> bool:
    return HomeMember.objects.filter(home=home, user_id=user_id).exists()


def leaderboard(
    home: Home, *, since: datetime | None = None, until: datetime | None = None
) -> QuerySet[HomeMember]:
    """Members ranked by `period_points`: the points of tasks completed in [since, until).
    Without a period it is every point ever earned (the stored counter)."""
    members = member_list(home)
    if since is None and until is None:
        return members.annotate(period_points=Coalesce("points", 0)).order_by(
            "-period_points", "id"
        )
    period = Q(home=home, status=Task.Status.DONE, points_awarded_to=OuterRef("user_id"))
    if since is not None:
        period &= Q(completed_at__gte=since)
    if until is not None:
        period &= Q(completed_at__lt=until)
    earned = (
        Task.objects.filter(period)
        .order_by()
        .values("points_awarded_to")
        .annotate(total=Sum("points"))
        .values("total")[:1]
    )
    return members.annotate(
        period_points=Coalesce(Subquery(earned, output_field=IntegerField()), Value(0))
    ).order_by("-period_points", "id")


def task_list_visible_to(user: User) -> QuerySet[Task]:
    """Tasks of the homes the user lives in (staff: all)."""
    tasks = (
        Task.objects.all()
        if user.is_staff
        else Task.objects.filter(home__in=_visible_home_ids(user))
    )
    return tasks.select_related("assignee", "home")


def task_list_mine(user: User) -> QuerySet[Task]:
    """Tasks assigned to the user in every home they live in (an "everyone" routine's
    task for them included). Tasks of a home they left are not theirs any more."""
    return task_list_visible_to(user).filter(assignee=user, home__in=_visible_home_ids(user))


def task_comment_list(task: Task) -> QuerySet[TaskComment]:
    """A task's comments, oldest first, with their authors."""
    return TaskComment.objects.filter(task=task).select_related("author")


def task_get_visible_to(user: User, pk: int) -> Task:
    try:
        return task_list_visible_to(user).get(pk=pk)
    except Task.DoesNotExist as exc:
        raise NotFound() from exc


def routine_list_visible_to(user: User) -> QuerySet[Routine]:
    routines = (
        Routine.objects.all()
        if user.is_staff
        else Routine.objects.filter(home__in=_visible_home_ids(user))
    )
    return routines.select_related("home", "responsible").prefetch_related("rotation_members")


def rule_list_visible_to(user: User) -> QuerySet[Rule]:
    rules = (
        Rule.objects.all()
        if user.is_staff
        else Rule.objects.filter(home__in=_visible_home_ids(user))
    )
    return rules.select_related("home", "created_by")


def bill_list_visible_to(user: User) -> QuerySet[Bill]:
    """Bills of the homes the user lives in, plus any bill the user owes or is owed (so a
    person who moved out still sees what is pending with them)."""
    if user.is_staff:
        bills = Bill.objects.all()
    else:
        bills = Bill.objects.filter(
            Q(home__in=_visible_home_ids(user)) | Q(debtor=user) | Q(creditor=user)
        )
    return bills.select_related("home", "debtor", "creditor")


def bill_list_mine(user: User) -> QuerySet[Bill]:
    """Bills the user owes or is owed, across every home."""
    return Bill.objects.filter(Q(debtor=user) | Q(creditor=user)).select_related(
        "home", "debtor", "creditor"
    )


def home_net_balances(home: Home) -> dict[int, Decimal]:
    """Each person's net position over the home's unpaid bills: positive means they are
    owed money, negative that they owe it. Every current member appears, even at zero."""
    net: dict[int, Decimal] = dict.fromkeys(
        HomeMember.objects.filter(home=home).values_list("user_id", flat=True), Decimal("0")
    )
    unpaid = Bill.objects.filter(home=home, is_paid=False).order_by()
    for row in unpaid.values("debtor_id").annotate(total=Sum("amount")):
        net[row["debtor_id"]] = net.get(row["debtor_id"], Decimal("0")) - row["total"]
    for row in unpaid.values("creditor_id").annotate(total=Sum("amount")):
        net[row["creditor_id"]] = net.get(row["creditor_id"], Decimal("0")) + row["total"]
    return net


def user_names(user_ids: set[int]) -> dict[int, str]:
    return dict(User.objects.filter(pk__in=user_ids).values_list("pk", "name"))


def invitation_token_hash(token: str) -> str:
    """What is stored of an invitation token: its SHA-256, never the token."""
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_get_pending(token: str) -> HomeInvitation | None:
    """The pending, unexpired invitation a token opens, with its home and inviter."""
    return (
        HomeInvitation.objects.select_related("home", "invited_by")
        .filter(
            token_hash=invitation_token_hash(token),
            accepted_at__isnull=True,
            expires_at__gt=timezone.now(),
        )
        .first()
    )
