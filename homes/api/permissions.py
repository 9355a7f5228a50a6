from core.permissions import RolePermission
from homes import selectors
from homes.models import Bill, Home, HomeMember, ObjectRole, Task


class HomeRolePermission(RolePermission):
    """Roles in a home, read from the database: the `HomeMember.Role` (`admin`, `resident`)
    plus the `ObjectRole`s the user holds on the object: `member` for anyone who lives
    there, `self` (one's own membership), `assignee` (a task assigned to the user, or an
    unassigned task of their home), `author` (who created the task), `creditor` (a bill
    owed to the user) and `debtor` (a bill the user owes).

    On nested routes (`homes/{home_id}/...`) the home is loaded first through the selector,
    so a home the user cannot see is a 404 before any role is checked.
    """

    def roles_on(self, request, obj) -> set[str]:
        user = request.user
        home_id = obj.pk if isinstance(obj, Home) else obj.home_id
        roles = selectors.home_roles_of(user, home_id)
        if roles:
            roles.add(ObjectRole.MEMBER)
        if isinstance(obj, HomeMember) and obj.user_id == user.pk:
            roles.add(ObjectRole.SELF)
        if isinstance(obj, Task):
            if obj.assignee_id == user.pk or (obj.assignee_id is None and roles):
                roles.add(ObjectRole.ASSIGNEE)
            if obj.created_by_id == user.pk and roles:
                roles.add(ObjectRole.AUTHOR)
        if isinstance(obj, Bill) and obj.creditor_id == user.pk:
            roles.add(ObjectRole.CREDITOR)
        if isinstance(obj, Bill) and obj.debtor_id == user.pk:
            roles.add(ObjectRole.DEBTOR)
        return roles

    def has_permission(self, request, view) -> bool:
        if "home_id" not in view.kwargs:
            return True
        home = view.get_home()
        if getattr(view, "detail", False):
            return True  # detail actions check roles on the object itself
        return self.has_object_permission(request, view, home)
