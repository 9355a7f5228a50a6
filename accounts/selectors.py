from django.db.models import Q, QuerySet

from accounts.models import User
from core.exceptions import NotFound


def user_list_visible_to(user: User) -> QuerySet[User]:
    """Staff see everyone; company admins see the members of their companies; everyone
    sees themselves."""
    from companies.selectors import user_ids_in_companies_administered_by

    if user.is_staff:
        return User.objects.all()
    return User.objects.filter(
        Q(pk=user.pk) | Q(pk__in=user_ids_in_companies_administered_by(user))
    )


def user_get_visible_to(user: User, pk: int) -> User:
    try:
        return user_list_visible_to(user).get(pk=pk)
    except User.DoesNotExist as exc:
        raise NotFound() from exc
