from core.permissions import RolePermission
from orders.selectors import order_roles


class OrderRolePermission(RolePermission):
    """What the user is to the order (admin, agent, lead, assignee, requester), from the
    database; the view's `required_roles` says which of those may run each action."""

    def roles_on(self, request, obj):
        if not hasattr(request, "_order_roles"):
            request._order_roles = order_roles(request.user, obj)
        return request._order_roles
