from collections.abc import Iterable

from rest_framework import permissions

from core.exceptions import NotFound


class RolePermission(permissions.BasePermission):
    """Grants an action when the user holds one of the roles the view declares for it.

    Views declare `required_roles = {"partial_update": {"admin"}, ...}`; actions not
    listed need no role beyond what the queryset already lets the user see. Subclasses
    say how to read a user's roles on an object (from the database, never from the token).
    Visibility is the selector's job: this class only runs on objects the user can see,
    so a refusal here is a 403, never a leak. Actions listed in the view's
    `private_actions` read data that only the role holders may see (an NGO's balance, say):
    for anyone else that data does not exist, so they get a 404.
    """

    def roles_on(self, request, obj) -> Iterable[str]:
        raise NotImplementedError

    def has_object_permission(self, request, view, obj) -> bool:
        required = getattr(view, "required_roles", {}).get(view.action)
        if not required:
            return True
        if request.user.is_staff or set(required) & set(self.roles_on(request, obj)):
            return True
        if view.action in getattr(view, "private_actions", ()):
            raise NotFound()
        return False
