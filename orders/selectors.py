"""Orders, messages and events a user may see. Views start every queryset here."""

import operator
from functools import reduce

from django.db.models import (
    Avg,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
)

from accounts.models import User
from companies.selectors import STAFF_ROLES, company_ids_where, membership_role
from core.exceptions import NotFound
from core.expressions import EqualsAnyOf
from desk.selectors import satisfaction_stats
from fieldservice.models import TimeEntry
from orders.models import Attachment, Message, Order, OrderEvent, OrderRole
from sla.selectors import sla_attainment


def order_scope_parts(user: User) -> list[Q]:
    """What the user may see, as disjoint parts whose union is the scope: staff see every
    order; admins and agents the orders of their companies; everyone the orders they
    requested. A long list reads each part on its own index (`BoundedCountPaginator`)."""
    if user.is_staff:
        return [Q()]
    requested = Q(requester=user)
    known_ids = getattr(user, "staff_company_ids", None)  # read with the user on PostgreSQL
    if known_ids is None:
        company_ids = company_ids_where(user, STAFF_ROLES).order_by()
        return [Q(EqualsAnyOf(F("company_id"), Subquery(company_ids))) | requested]
    if not known_ids:
        return [requested]
    # Literal ids: `company_id = ANY('{1,2}')` lets the planner walk an index on
    # (company_id, created_at, id) in order, instead of bitmap-scanning the rows.
    ours = Q(company_id__in=known_ids)
    return [ours, requested & ~ours]


def orders_of_person(person: User) -> Q:
    """A person's orders (`users/{id}/orders`): the ones they requested and the ones
    assigned to them, whatever their role; to be read within what the viewer sees."""
    return Q(requester=person) | Q(assignee=person)


def order_list_visible_to(user: User) -> QuerySet[Order]:
    """Every order the user may see (`order_scope_parts`). Related rows a list shows are
    joined in the same query."""
    orders = Order.objects.select_related("company", "requester", "team", "assignee", "sla")
    return orders.filter(reduce(operator.or_, order_scope_parts(user)))


def order_list_parts_visible_to(user: User) -> list[QuerySet[Order]]:
    """The orders the user may see as disjoint querysets (`order_scope_parts`), one per
    part, for a long list to count and page each on its own index."""
    return [Order.objects.filter(part) for part in order_scope_parts(user)]


def order_get_visible_to(user: User, pk: int) -> Order:
    try:
        return order_list_visible_to(user).get(pk=pk)
    except (Order.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound() from exc


def order_roles(user: User, order: Order) -> set[OrderRole]:
    """What the user is to this order: staff, admin, agent (of its company), requester,
    assignee, lead (of its team). Read from the database, never from the token."""
    roles = set()
    if user.is_staff:
        roles.add(OrderRole.STAFF)
    company_role = membership_role(user, order.company_id)
    if company_role in STAFF_ROLES:
        roles.add(OrderRole(company_role))
    if order.requester_id == user.pk:
        roles.add(OrderRole.REQUESTER)
    if order.assignee_id == user.pk:
        roles.add(OrderRole.ASSIGNEE)
    if order.team_id and order.team.lead_id == user.pk:
        roles.add(OrderRole.LEAD)
    return roles


# The support side of an order: they read and write internal notes (and their events) and
# edit the order at any stage.
SUPPORT_ROLES = frozenset({OrderRole.STAFF, OrderRole.ADMIN, OrderRole.AGENT})


def sees_internal_notes(roles: set[OrderRole]) -> bool:
    return bool(roles & SUPPORT_ROLES)


def order_assignable_people(order: Order) -> QuerySet[User]:
    """Who the order may be assigned to: the admins and agents of its company."""
    return User.objects.filter(
        memberships__company_id=order.company_id, memberships__role__in=STAFF_ROLES
    )


def message_list_for(user: User, order: Order) -> QuerySet[Message]:
    """The order's messages, with their files (uploaded or e-mailed); internal notes only
    for its company's staff."""
    files = Prefetch("attachments", queryset=Attachment.objects.select_related("uploaded_by"))
    messages = order.messages.select_related("author", "inbound_email").prefetch_related(files)
    if not sees_internal_notes(order_roles(user, order)):
        messages = messages.filter(is_internal=False)
    return messages


def attachment_list_for(user: User, order: Order) -> QuerySet[Attachment]:
    """Every file of the order, uploaded or e-mailed, with it or with one of its messages;
    those of an internal note only for its company's staff (as the note itself)."""
    attachments = order.attachments.select_related("uploaded_by")
    if not sees_internal_notes(order_roles(user, order)):
        attachments = attachments.exclude(message__is_internal=True)
    return attachments.order_by("id")


def attachment_get_for(user: User, order: Order, pk: int) -> Attachment:
    """One file of the order the user sees (`attachment_list_for`); any other is a 404."""
    try:
        return attachment_list_for(user, order).get(pk=pk)
    except (Attachment.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound() from exc


def event_list_for(user: User, order: Order) -> QuerySet[OrderEvent]:
    """The order's audit timeline; events of internal notes only for its company's staff."""
    events = order.events.select_related("actor")
    if not sees_internal_notes(order_roles(user, order)):
        events = events.filter(is_internal=False)
    return events


def _duration(end: str) -> ExpressionWrapper:
    return ExpressionWrapper(F(end) - F("created_at"), output_field=DurationField())


def order_stats(orders: QuerySet[Order]) -> dict:
    """Counts by status, priority and team, the mean time to take and to close, the minutes
    logged (in all and per team: total and per order), SLA attainment per team and priority
    (`sla.selectors.sla_attainment`) and satisfaction ratings, over the given (already scoped
    and filtered) orders. Nine aggregate queries."""
    orders = orders.order_by()
    by_status = dict(orders.values_list("status").annotate(n=Count("id")))
    by_priority = dict(orders.values_list("priority").annotate(n=Count("id")))
    by_team = [
        {"team": row["team_id"], "name": row["team__name"], "count": row["n"]}
        for row in orders.values("team_id", "team__name")
        .annotate(n=Count("id"))
        .order_by("team__name")
    ]
    minutes_by_team = _time_spent_by_team(orders)
    for row in by_team:
        minutes = minutes_by_team.get(row["team"], 0)
        row["time_spent_minutes"] = minutes
        row["mean_time_spent_minutes"] = minutes / row["count"] if row["count"] else None
    means = orders.aggregate(
        take=Avg(_duration("taken_at"), filter=Q(taken_at__isnull=False)),
        close=Avg(_duration("closed_at"), filter=Q(closed_at__isnull=False)),
    )
    return {
        "total": sum(by_status.values()),
        "by_status": {status: by_status.get(status, 0) for status in Order.Status.values},
        "by_priority": {p: by_priority.get(p, 0) for p in Order.Priority.values},
        "by_team": by_team,
        "mean_seconds_to_take": means["take"].total_seconds() if means["take"] else None,
        "mean_seconds_to_close": means["close"].total_seconds() if means["close"] else None,
        "time_spent_minutes": sum(minutes_by_team.values()),
        "sla": sla_attainment(orders),
        "satisfaction": satisfaction_stats(orders),
    }


def _time_spent_by_team(orders: QuerySet[Order]) -> dict[int | None, int]:
    """Minutes logged on these orders, by the order's team (None: no team). One query."""
    entries = TimeEntry.objects.filter(order__in=orders.values("pk")).order_by()
    rows = entries.values_list("order__team_id").annotate(total=Sum("minutes"))
    return dict(rows)
