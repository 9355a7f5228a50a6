"""Equipment a user may see, and the orders of one item. Views start every queryset here."""

from django.db.models import Exists, OuterRef, QuerySet

from accounts.models import User
from companies.models import Company
from companies.selectors import STAFF_ROLES, company_ids_where
from core.exceptions import NotFound
from equipment.models import Equipment
from orders.models import Order
from orders.selectors import order_list_visible_to

OPEN_STATUSES = (Order.Status.OPEN, Order.Status.IN_PROGRESS)
# How many of an item's orders its detail shows; `equipment/{id}/orders` pages the rest.
HISTORY_LENGTH = 10


def open_orders_of_item() -> Exists:
    """Whether the item has an order still open or in progress, any requester's: the
    company's people see that an item is being looked after (one EXISTS per row, on the
    orders' (equipment_item, status) index)."""
    return Exists(Order.objects.filter(equipment_item=OuterRef("pk"), status__in=OPEN_STATUSES))


def equipment_list_visible_to(user: User) -> QuerySet[Equipment]:
    """Staff see every item; everyone else the items of the companies they belong to, in
    any role (requesters read their company's equipment). Each row says whether it has
    open orders and carries its company, in the same query."""
    items = Equipment.objects.select_related("company").annotate(
        has_open_orders=open_orders_of_item()
    )
    if user.is_staff:
        return items
    return items.filter(company_id__in=company_ids_where(user))


def equipment_get_visible_to(user: User, pk: int) -> Equipment:
    try:
        return equipment_list_visible_to(user).get(pk=pk)
    except (Equipment.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound() from exc


def companies_managed_by(user: User) -> QuerySet[Company]:
    """The companies whose equipment the user manages as an admin or agent (an import goes
    to the only one when the file names none)."""
    return Company.objects.filter(pk__in=company_ids_where(user, STAFF_ROLES)).order_by("id")


def equipment_order_list_for(user: User, item: Equipment) -> QuerySet[Order]:
    """The item's orders among those the user sees (a requester: their own), newest
    first. Read as plain values: a history row is id, title, status and two times."""
    return (
        order_list_visible_to(user)
        .filter(equipment_item=item)
        .order_by("-created_at", "-id")
        .values("id", "title", "status", "created_at", "closed_at")
    )


def equipment_history_for(user: User, item: Equipment) -> list[dict]:
    """The item's latest orders for its detail (at most `HISTORY_LENGTH`), one query."""
    return list(equipment_order_list_for(user, item)[:HISTORY_LENGTH])
