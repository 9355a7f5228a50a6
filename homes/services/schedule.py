"""The homes scheduler: routines become tasks, late tasks become overdue (and penalties),
and reminders go out. Every step is idempotent, so beat (homes.tasks), the
`run_home_schedule` command and a retry may all run it at any moment.

Each home's "today" is the date in its own time zone; a routine's time limit is a wall
time there, turned into UTC with zoneinfo (see `occurrence_due_at` for DST).
"""

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext

from accounts.models import User
from core.emails import render_email
from core.services import outbox_enqueue
from homes.models import Bill, HomeMember, Routine, Task

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ScheduleSummary:
    tasks_created: int
    tasks_overdue: int
    penalties_billed: int
    task_reminders: int
    bill_reminders: int


def occurrence_due_at(day: date, time_limit: time, zone: ZoneInfo) -> datetime:
    """The UTC moment of `time_limit` on `day` in `zone`.

    zoneinfo resolves the two DST edge cases with fold=0: a wall time that does not exist
    (skipped by the spring-forward gap, e.g. 02:30 on 2026-03-08 in New York) lands after
    the gap by its length (03:30 EDT); a wall time that happens twice (the fall-back hour)
    is its first occurrence (the one still in daylight time).
    """
    return datetime.combine(day, time_limit).replace(tzinfo=zone).astimezone(UTC)


def occurrences_between(start: date, end: date, weekdays: list[int]) -> int:
    """How many days in [start, end) fall on one of `weekdays`, in constant time."""
    if end <= start:
        return 0
    days = (end - start).days
    full_weeks, remainder = divmod(days, 7)
    wanted = set(weekdays)
    extra = sum(1 for offset in range(remainder) if (start.weekday() + offset) % 7 in wanted)
    return full_weeks * len(wanted) + extra


def routine_occurs_on(routine: Routine, day: date) -> bool:
    return (
        day.weekday() in routine.weekdays
        and routine.valid_from <= day
        and (routine.valid_until is None or day <= routine.valid_until)
    )


def routine_assignee_id(routine: Routine, day: date) -> int | None:
    """Who does the routine's occurrence on `day`.

    Rotation is round-robin over the rotation members ordered by user id: the n-th
    occurrence since `valid_from` goes to member n mod count. It depends only on the date,
    so it is the same whichever run creates the task, and consecutive occurrences always
    move to the next person (fair over any stretch of `count` occurrences).
    """
    if routine.assignment == Routine.Assignment.FIXED:
        return routine.responsible_id
    members = sorted(user.pk for user in routine.rotation_members.all())
    if not members:
        return None
    index = occurrences_between(routine.valid_from, day, routine.weekdays)
    return members[index % len(members)]


def _occurrence_people(routine: Routine, day: date) -> list[tuple[int, int | None]]:
    """(occurrence_member, assignee id) of each task the routine makes on `day`: one per
    member of the home for an "everyone" routine, else one (key 0)."""
    if routine.assignment == Routine.Assignment.EVERYONE:
        return [(member.user_id, member.user_id) for member in routine.home.members.all()]
    return [(0, routine_assignee_id(routine, day))]


def routine_materialize(*, now: datetime | None = None) -> int:
    """Create today's task (today in each home's zone) for every routine that occurs today;
    an "everyone" routine makes one task per member of the home.

    Running twice creates nothing twice: the (routine, occurrence_date, occurrence_member)
    unique constraint decides, not a check; a member who joins later that day gets their
    task on the next run. An occurrence whose time limit has already passed when first seen
    (the routine was created late in the day, or the scheduler was down) is not created,
    so nobody is fined for a task they never saw. Returns how many tasks were created.
    """
    now = now or timezone.now()
    earliest_today = (now - timedelta(days=1)).date()
    routines = (
        Routine.objects.filter(Q(valid_until__isnull=True) | Q(valid_until__gte=earliest_today))
        .select_related("home")
        .prefetch_related(
            Prefetch("rotation_members", queryset=User.objects.order_by("id")),
            Prefetch("home__members", queryset=HomeMember.objects.order_by("user_id")),
        )
        .order_by("id")
    )
    return sum(_materialize_today(routine, now) for routine in routines)


def _materialize_today(routine: Routine, now: datetime) -> int:
    """Today's tasks of one routine, unless it does not occur today or its time is past."""
    zone = routine.home.zone
    today = now.astimezone(zone).date()
    if not routine_occurs_on(routine, today):
        return 0
    due_at = occurrence_due_at(today, routine.time_limit, zone)
    if due_at <= now:
        return 0
    created = 0
    for occurrence_member, assignee_id in _occurrence_people(routine, today):
        with transaction.atomic():
            _task, was_created = Task.objects.get_or_create(
                routine=routine,
                occurrence_date=today,
                occurrence_member=occurrence_member,
                defaults={
                    "home": routine.home,
                    "title": routine.name,
                    "description": routine.description,
                    "assignee_id": assignee_id,
                    "due_at": due_at,
                    "points": routine.points,
                },
            )
        created += was_created
    return created


def _penalty_creditor_id(task: Task) -> int | None:
    """Who is owed a penalty: the routine's author, else the oldest admin, else the oldest
    member, never the debtor. None when nobody else lives in the home."""
    members = list(
        HomeMember.objects.filter(home_id=task.home_id)
        .exclude(user_id=task.assignee_id)
        .order_by("id")
        .values_list("user_id", "role")
    )
    if not members:
        return None
    user_ids = [user_id for user_id, _role in members]
    if task.routine.created_by_id in user_ids:
        return task.routine.created_by_id
    admins = [user_id for user_id, role in members if role == HomeMember.Role.ADMIN]
    return (admins or user_ids)[0]


def tasks_mark_overdue(*, now: datetime | None = None) -> tuple[int, int]:
    """Mark pending tasks whose due moment has passed as overdue, and bill the penalty of
    each overdue routine task once.

    The status change is one conditional UPDATE (only still-pending rows change, so a task
    completed meanwhile stays done). Penalties are swept in the same transaction; the
    one-to-one bill → task link makes a second penalty for a task impossible, even when
    two runs overlap. Returns (tasks marked overdue, penalty bills created).
    """
    now = now or timezone.now()
    penalties = 0
    with transaction.atomic():
        overdue = Task.objects.filter(status=Task.Status.PENDING, due_at__lte=now).update(
            status=Task.Status.OVERDUE, updated_at=now
        )
        candidates = (
            Task.objects.filter(
                status=Task.Status.OVERDUE,
                routine__penalty_amount__isnull=False,
                assignee__isnull=False,
                penalty_bill__isnull=True,
            )
            .select_related("routine", "home", "assignee")
            .order_by("id")
        )
        for task in candidates:
            creditor_id = _penalty_creditor_id(task)
            if creditor_id is None:
                continue
            local_due = task.due_at.astimezone(task.home.zone).date()
            try:
                with transaction.atomic():
                    bill = Bill.objects.create(
                        home=task.home,
                        debtor_id=task.assignee_id,
                        creditor_id=creditor_id,
                        amount=task.routine.penalty_amount,
                        description=gettext("Penalty: %(task)s (%(date)s)")
                        % {"task": task.title, "date": local_due.isoformat()},
                        due_date=local_due + timedelta(days=settings.HOMES_PENALTY_DUE_DAYS),
                        penalty_task=task,
                    )
            except IntegrityError:  # another run billed it first
                continue
            _mail_penalty(bill, task)
            penalties += 1
    return overdue, penalties


def _mail_penalty(bill: Bill, task: Task) -> None:
    """Tell the debtor a penalty bill was made, in the bill's transaction (once per bill)."""
    debtor = task.assignee
    outbox_enqueue(
        key=f"homes.penalty_billed.{bill.pk}",
        to=debtor.email,
        email=render_email(
            "homes/email/penalty_billed",
            {"bill": bill, "task": task, "home": task.home, "user": debtor},
            language=debtor.language,
        ),
    )


def task_reminder_key(task: Task) -> str:
    """One due-soon reminder per task and deadline: a moved deadline is a new reminder."""
    return f"homes.task_due_soon.{task.pk}.{task.due_at.astimezone(UTC):%Y%m%dT%H%M%S}"


def bill_reminder_key(bill: Bill) -> str:
    """One overdue reminder per bill and due date: a new due date is a new reminder."""
    return f"homes.bill_overdue.{bill.pk}.{bill.due_date.isoformat()}"


def tasks_remind_due_soon(*, now: datetime | None = None) -> int:
    """E-mail each assignee once about a pending task due within HOMES_TASK_REMINDER_MINUTES.

    `reminded_at` is set with a conditional UPDATE and the outbox key is per task and
    deadline, so a task is announced once per deadline however many runs see it.
    """
    now = now or timezone.now()
    window = now + timedelta(minutes=settings.HOMES_TASK_REMINDER_MINUTES)
    tasks = Task.objects.filter(
        status=Task.Status.PENDING,
        assignee__isnull=False,
        reminded_at__isnull=True,
        due_at__gt=now,
        due_at__lte=window,
    ).select_related("assignee", "home")
    sent = 0
    for task in tasks:
        with transaction.atomic():
            if not Task.objects.filter(pk=task.pk, reminded_at__isnull=True).update(
                reminded_at=now
            ):
                continue
            outbox_enqueue(
                key=task_reminder_key(task),
                to=task.assignee.email,
                email=render_email(
                    "homes/email/task_due_soon",
                    {
                        "task": task,
                        "home": task.home,
                        "user": task.assignee,
                        # Pre-formatted: the date filter would convert to UTC.
                        "due_local": f"{task.due_at.astimezone(task.home.zone):%Y-%m-%d %H:%M}",
                    },
                    language=task.assignee.language,
                ),
            )
        sent += 1
    return sent


def bills_remind_overdue(*, now: datetime | None = None) -> int:
    """E-mail the debtor once about each unpaid bill whose due date (in the home's zone)
    has passed. Idempotent by `reminded_at` and the per-bill-and-due-date outbox key."""
    now = now or timezone.now()
    # The latest "today" on Earth is at most one day after UTC's; the exact cut is per home.
    bills = Bill.objects.filter(
        is_paid=False,
        reminded_at__isnull=True,
        due_date__lt=now.date() + timedelta(days=1),
    ).select_related("debtor", "creditor", "home")
    sent = 0
    for bill in bills:
        if bill.due_date >= now.astimezone(bill.home.zone).date():
            continue
        with transaction.atomic():
            if not Bill.objects.filter(pk=bill.pk, reminded_at__isnull=True).update(
                reminded_at=now
            ):
                continue
            outbox_enqueue(
                key=bill_reminder_key(bill),
                to=bill.debtor.email,
                email=render_email(
                    "homes/email/bill_overdue",
                    {"bill": bill, "home": bill.home, "user": bill.debtor},
                    language=bill.debtor.language,
                ),
            )
        sent += 1
    return sent


def home_schedule_run(*, now: datetime | None = None) -> ScheduleSummary:
    """All the scheduler's work once, in order: create today's tasks, mark late ones
    overdue and bill penalties, then send reminders."""
    now = now or timezone.now()
    created = routine_materialize(now=now)
    overdue, penalties = tasks_mark_overdue(now=now)
    task_reminders = tasks_remind_due_soon(now=now)
    bill_reminders = bills_remind_overdue(now=now)
    return ScheduleSummary(created, overdue, penalties, task_reminders, bill_reminders)
