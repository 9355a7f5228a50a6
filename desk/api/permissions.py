from core.permissions import RolePermission
from desk.selectors import canned_reply_roles, serves_any_company


class CannedReplyRolePermission(RolePermission):
    """What the user is to a canned reply (its company's admin, its team's lead, an agent
    who may post it), from the database; the view's `required_roles` says which of those
    may run each action. Lists and new replies need an admin or agent role somewhere
    (requesters: 403); the service then checks the company and team of a new one."""

    def has_permission(self, request, view) -> bool:
        if view.action in ("list", "create"):
            return serves_any_company(request.user)
        return True

    def roles_on(self, request, obj):
        return canned_reply_roles(request.user, obj)
