from django.db.models import QuerySet

from accounts.models import User
from core.exceptions import NotFound


def user_list_visible_to(user: User) -> QuerySet[User]:
    """Staff see everyone; other people see themselves (company admins also see their
    companies' members once the companies app extends this)."""
    if user.is_staff:
        return User.objects.all()
    return User.objects.filter(pk=user.pk)


def user_get_visible_to(user: User, pk: int) -> User:
    try:
        return user_list_visible_to(user).get(pk=pk)
    except User.DoesNotExist as exc:
        raise NotFound() from exc
