from rest_framework import permissions


class IsSelfOrStaff(permissions.BasePermission):
    """Anyone may read the users they can see; only the person (or staff) changes them
    (and deactivates them). A company admin sees their members but gets 403 here."""

    def has_object_permission(self, request, view, obj) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return True
        return request.user.is_staff or obj.pk == request.user.pk
