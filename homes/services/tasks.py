"""Tasks: creating, editing and completing them (points are awarded once)."""

from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from core.exceptions import Conflict, Forbidden
from homes.models import Home, HomeMember, Task
from homes.services._shared import ADMIN, check_members, home_roles

TASK_FIELDS = ("title", "description", "assignee", "due_at", "points")


def _check_task_points(*, home: Home, user: User, points: int | None) -> None:
    if points and not user.is_staff and ADMIN not in home_roles(home, user):
        raise Forbidden(_("Only a home admin can give a task points."), code="points_admin_only")


@transaction.atomic
def task_create(*, home: Home, user: User, data: dict[str, Any]) -> Task:
    """Create a one-off task. The assignee must live in the home; only admins set points."""
    fields = {key: data[key] for key in TASK_FIELDS if key in data}
    if fields.get("assignee") is not None:
        check_members(home, "assignee", [fields["assignee"]])
    _check_task_points(home=home, user=user, points=fields.get("points"))
    return Task.objects.create(home=home, created_by=user, **fields)


@transaction.atomic
def task_update(*, task: Task, user: User, data: dict[str, Any]) -> Task:
    """Edit a task that is not done yet (409 once done: its points were already awarded)."""
    task = Task.objects.select_for_update().get(pk=task.pk)
    if task.status == Task.Status.DONE:
        raise Conflict(_("A done task cannot be changed."), code="task_done", status=task.status)
    changed = [key for key in TASK_FIELDS if key in data]
    if data.get("assignee") is not None:
        check_members(task.home, "assignee", [data["assignee"]])
    if "points" in data and data["points"] != task.points:
        _check_task_points(home=task.home, user=user, points=data["points"])
    for key in changed:
        setattr(task, key, data[key])
    if "due_at" in data and task.status == Task.Status.OVERDUE and task.due_at > timezone.now():
        # A new deadline in the future makes the task pending again.
        task.status = Task.Status.PENDING
        task.reminded_at = None
        changed += ["status", "reminded_at"]
    if changed:
        task.save(update_fields=[*changed, "updated_at"])
    return task


@transaction.atomic
def task_delete(*, task: Task) -> None:
    """Delete a task (a done task's points stay with whoever earned them)."""
    task.delete()


@transaction.atomic
def task_complete(*, task: Task, user: User) -> Task:
    """Mark a pending or overdue task done and award its points exactly once.

    A conditional UPDATE (status still pending/overdue → done) decides who wins: of two
    completions at once, one changes the row and awards the points with an F() increment;
    the other gets 409. The points go to the assignee, or to whoever completed an
    unassigned task.
    """
    now = timezone.now()
    awarded_to = task.assignee_id or user.pk
    won = Task.objects.filter(
        pk=task.pk, status__in=[Task.Status.PENDING, Task.Status.OVERDUE]
    ).update(
        status=Task.Status.DONE,
        completed_at=now,
        completed_by=user,
        points_awarded_to_id=awarded_to,
        updated_at=now,
    )
    if not won:
        raise Conflict(_("This task is already done."), code="task_done", status="done")
    task.refresh_from_db()
    HomeMember.objects.filter(home_id=task.home_id, user_id=awarded_to).update(
        points=F("points") + task.points, updated_at=now
    )
    return task
