from core.permissions import RolePermission
from fieldservice.models import TimeEntry
from orders.models import Order
from orders.selectors import order_roles

# The person who logged a time entry.
AUTHOR = "author"


class FieldServiceRolePermission(RolePermission):
    """What the user is to the order a visit or time entry belongs to (admin, agent,
    requester... as `orders.selectors.order_roles` reads them from the database), and the
    author of a time entry; the view's `required_roles` says who may run each action."""

    def roles_on(self, request, obj):
        order = obj if isinstance(obj, Order) else obj.order
        roles = {str(role) for role in order_roles(request.user, order)}
        if isinstance(obj, TimeEntry) and obj.agent_id == request.user.pk:
            roles.add(AUTHOR)
        return roles
