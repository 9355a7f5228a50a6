"""Tasks: creating, editing, completing and reviewing them (points are awarded once)."""

from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from core.exceptions import Conflict, Forbidden
from core.services import model_update
from homes.models import Home, HomeMember, Task, TaskComment
from homes.services._shared import ADMIN, check_members, home_roles

TASK_FIELDS = ("title", "description", "assignee", "due_at", "points")
OPEN = (Task.Status.PENDING, Task.Status.OVERDUE)


def _check_task_points(*, home: Home, user: User, points: int | None) -> None:
    if points and not user.is_staff and ADMIN not in home_roles(home, user):
        raise Forbidden(_("Only a home admin can give a task points."), code="points_admin_only")


def _closed_conflict(status: str) -> Conflict:
    if status == Task.Status.IN_REVIEW:
        return Conflict(_("This task is waiting for review."), code="task_in_review", status=status)
    return Conflict(_("This task is already done."), code="task_done", status=status)


@transaction.atomic
def task_create(*, home: Home, user: User, data: dict[str, Any]) -> Task:
    """Create a one-off task, with or without a deadline. The assignee must live in the
    home; only admins set points."""
    fields = {key: data[key] for key in TASK_FIELDS if key in data}
    if fields.get("assignee") is not None:
        check_members(home, "assignee", [fields["assignee"]])
    _check_task_points(home=home, user=user, points=fields.get("points"))
    return Task.objects.create(home=home, created_by=user, **fields)


@transaction.atomic
def task_update(*, task: Task, user: User, data: dict[str, Any]) -> Task:
    """Edit a pending or overdue task (409 once done or waiting for review).

    A changed deadline re-arms the task's reminder; an overdue task whose deadline moves
    into the future (or is removed) is pending again.
    """
    task = Task.objects.select_for_update().get(pk=task.pk)
    if task.status not in OPEN:
        if task.status == Task.Status.DONE:
            raise Conflict(
                _("A done task cannot be changed."), code="task_done", status=task.status
            )
        raise _closed_conflict(task.status)
    if data.get("assignee") is not None:
        check_members(task.home, "assignee", [data["assignee"]])
    if "points" in data and data["points"] != task.points:
        _check_task_points(home=task.home, user=user, points=data["points"])
    changes = dict(data)
    if "due_at" in data and data["due_at"] != task.due_at:
        changes["reminded_at"] = None
        if task.status == Task.Status.OVERDUE and (
            data["due_at"] is None or data["due_at"] > timezone.now()
        ):
            changes["status"] = Task.Status.PENDING
    task, _changed = model_update(
        instance=task, data=changes, fields=(*TASK_FIELDS, "reminded_at", "status")
    )
    return task


@transaction.atomic
def task_delete(*, task: Task) -> None:
    """Delete a task (a done task's points stay with whoever earned them)."""
    task.delete()


def _award(*, home_id: int, user_id: int, points: int, now) -> None:
    HomeMember.objects.filter(home_id=home_id, user_id=user_id).update(
        points=F("points") + points, updated_at=now
    )


@transaction.atomic
def task_complete(*, task: Task, user: User) -> Task:
    """Mark a pending or overdue task done and award its points exactly once.

    A conditional UPDATE (status still pending/overdue → done) decides who wins: of two
    completions at once, one changes the row and awards the points with an F() increment;
    the other gets 409. The points go to the assignee, or to whoever completed an
    unassigned task. In a home that asks for review, a completion by someone who is not
    an admin goes to `in_review` instead and awards nothing until an admin approves.
    """
    now = timezone.now()
    awarded_to = task.assignee_id or user.pk
    reviewed = task.home.tasks_need_review and not (
        user.is_staff or ADMIN in home_roles(task.home, user)
    )
    won = Task.objects.filter(pk=task.pk, status__in=OPEN).update(
        status=Task.Status.IN_REVIEW if reviewed else Task.Status.DONE,
        completed_at=now,
        completed_by=user,
        points_awarded_to_id=None if reviewed else awarded_to,
        updated_at=now,
    )
    if not won:
        current = Task.objects.filter(pk=task.pk).values_list("status", flat=True).first()
        raise _closed_conflict(current or Task.Status.DONE)
    task.refresh_from_db()
    if not reviewed:
        _award(home_id=task.home_id, user_id=awarded_to, points=task.points, now=now)
    return task


@transaction.atomic
def task_approve(*, task: Task, user: User) -> Task:
    """An admin accepts a task waiting for review: done, and its points awarded once.

    The conditional UPDATE (in_review → done) lets exactly one of two approvals at once
    win; the other gets 409. The points go to the assignee, else to whoever completed it.
    """
    now = timezone.now()
    current = Task.objects.filter(pk=task.pk).values("assignee_id", "completed_by_id").first()
    awarded_to = (current or {}).get("assignee_id") or (current or {}).get("completed_by_id")
    won = Task.objects.filter(pk=task.pk, status=Task.Status.IN_REVIEW).update(
        status=Task.Status.DONE, points_awarded_to_id=awarded_to, updated_at=now
    )
    if not won:
        raise Conflict(_("This task is not waiting for review."), code="task_not_in_review")
    task.refresh_from_db()
    if awarded_to is not None:
        _award(home_id=task.home_id, user_id=awarded_to, points=task.points, now=now)
    return task


@transaction.atomic
def task_send_back(*, task: Task, user: User, note: str) -> Task:
    """An admin returns a task waiting for review to `pending`, with a note kept as a
    comment. Nothing is awarded; the scheduler marks it overdue if its deadline passed."""
    now = timezone.now()
    won = Task.objects.filter(pk=task.pk, status=Task.Status.IN_REVIEW).update(
        status=Task.Status.PENDING, completed_at=None, completed_by=None, updated_at=now
    )
    if not won:
        raise Conflict(_("This task is not waiting for review."), code="task_not_in_review")
    TaskComment.objects.create(
        task_id=task.pk, author=user, body=note, kind=TaskComment.Kind.SENT_BACK
    )
    task.refresh_from_db()
    return task


@transaction.atomic
def task_comment_create(*, task: Task, user: User, body: str) -> TaskComment:
    """Add a comment to a task of the author's home (any status)."""
    return TaskComment.objects.create(task=task, author=user, body=body)
