"""Creating, editing and deleting homes."""

from typing import Any

from django.db import transaction

from accounts.models import User
from core.services import model_update
from homes.models import Bill, Home, HomeMember
from homes.services._shared import ADMIN

HOME_FIELDS = ("name", "address", "rent", "photo", "time_zone", "tasks_need_review")


@transaction.atomic
def home_create(*, user: User, data: dict[str, Any]) -> Home:
    """Create a home; its creator becomes its first admin in the same transaction."""
    home = Home(created_by=user, **{key: data[key] for key in HOME_FIELDS if key in data})
    home.save()
    HomeMember.objects.create(home=home, user=user, role=ADMIN)
    return home


@transaction.atomic
def home_update(*, home: Home, data: dict[str, Any]) -> Home:
    """Change the home's own fields. A new time zone applies from the scheduler's next run;
    tasks already created keep their moment in time."""
    data = dict(data)
    if "photo" in data and data["photo"] is None:
        data["photo"] = ""  # a null photo clears it
    home, _changed = model_update(instance=home, data=data, fields=HOME_FIELDS)
    return home


@transaction.atomic
def home_delete(*, home: Home) -> None:
    """Delete the home with everything in it (members, rules, routines, tasks, bills)."""
    Bill.objects.filter(home=home).delete()
    home.delete()
