"""Routines: the recurring chores tasks are generated from."""

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from core.exceptions import FieldError
from homes.models import Home, Routine
from homes.services._shared import check_members

ROUTINE_FIELDS = (
    "name",
    "description",
    "weekdays",
    "time_limit",
    "assignment",
    "responsible",
    "points",
    "penalty_amount",
    "valid_from",
    "valid_until",
)


def _check_routine(routine: Routine, rotation: list[User]) -> None:
    if routine.assignment == Routine.Assignment.FIXED:
        if routine.responsible is None:
            raise FieldError("responsible", _("Choose who is responsible."), code="required")
        check_members(routine.home, "responsible", [routine.responsible])
    elif routine.assignment == Routine.Assignment.ROTATION:
        if not rotation:
            raise FieldError(
                "rotation_members", _("Choose at least one person to rotate."), code="required"
            )
        check_members(routine.home, "rotation_members", rotation)
    if routine.valid_until is not None and routine.valid_until < routine.valid_from:
        raise FieldError(
            "valid_until", _("Valid until must not be before valid from."), code="invalid"
        )


@transaction.atomic
def routine_create(*, home: Home, user: User, data: dict[str, Any]) -> Routine:
    """Create a routine. Its people must live in the home; it starts producing tasks from
    the scheduler's next run (today's occurrence only if its time limit is still ahead)."""
    data = dict(data)
    rotation = list(data.pop("rotation_members", []))
    fields = {key: data[key] for key in ROUTINE_FIELDS if key in data}
    fields.setdefault("valid_from", timezone.now().astimezone(home.zone).date())
    routine = Routine(home=home, created_by=user, **fields)
    _check_routine(routine, rotation)
    routine.save()
    routine.rotation_members.set(rotation)
    return routine


@transaction.atomic
def routine_update(*, routine: Routine, data: dict[str, Any]) -> Routine:
    """Change a routine. Tasks already created keep their assignee and due time."""
    data = dict(data)
    rotation = data.pop("rotation_members", None)
    changed = [key for key in ROUTINE_FIELDS if key in data]
    for key in changed:
        setattr(routine, key, data[key])
    current_rotation = list(routine.rotation_members.all()) if rotation is None else rotation
    _check_routine(routine, current_rotation)
    if changed:
        routine.save(update_fields=[*changed, "updated_at"])
    if rotation is not None:
        routine.rotation_members.set(rotation)
    return routine


@transaction.atomic
def routine_delete(*, routine: Routine) -> None:
    """Delete a routine; the tasks it created stay, no longer linked to it."""
    routine.delete()
