"""Checks the home services share."""

from django.utils.translation import gettext_lazy as _

from accounts.models import User
from core.exceptions import FieldError
from homes.models import Home, HomeMember

ADMIN = HomeMember.Role.ADMIN


def check_members(home: Home, field: str, users: list[User]) -> None:
    ids = {user.pk for user in users}
    found = set(
        HomeMember.objects.filter(home=home, user_id__in=ids).values_list("user_id", flat=True)
    )
    if ids - found:
        raise FieldError(field, _("Choose people who live in this home."), code="not_a_member")


def home_roles(home: Home, user: User) -> set[str]:
    return set(HomeMember.objects.filter(home=home, user=user).values_list("role", flat=True))
