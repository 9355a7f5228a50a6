"""Routines: the recurring chores tasks are generated from."""

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from core.exceptions import FieldError
from core.services import model_update
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


def _with_changes(routine: Routine, data: dict[str, Any]) -> Routine:
    """An unsaved routine as it would be after the change, to check before anything is written
    (the table's own constraints would otherwise answer first, with a 500)."""
    values = {}
    for key in ROUTINE_FIELDS:
        if key in data:
            values[key] = data[key]
        else:
            attname = Routine._meta.get_field(key).attname  # an id: no query for a person
            values[attname] = getattr(routine, attname)
    return Routine(pk=routine.pk, home=routine.home, **values)


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
    current_rotation = list(routine.rotation_members.all()) if rotation is None else rotation
    _check_routine(_with_changes(routine, data), current_rotation)
    routine, _changed = model_update(instance=routine, data=data, fields=ROUTINE_FIELDS)
    if rotation is not None:
        routine.rotation_members.set(rotation)
    return routine


@transaction.atomic
def routine_delete(*, routine: Routine) -> None:
    """Delete a routine; the tasks it created stay, no longer linked to it."""
    routine.delete()
