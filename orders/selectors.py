"""Orders, messages and events a user may see. Views start every queryset here."""

import json
import operator
from functools import reduce

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import (
    Avg,
    BooleanField,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    Func,
    Q,
    QuerySet,
    Subquery,
)

from accounts.models import User
from companies.models import Membership
from companies.selectors import STAFF_ROLES, company_ids_where, membership_role
from core.exceptions import NotFound
from orders.models import Message, Order, OrderEvent

Role = Membership.Role


def order_scopes(user: User) -> list[Q]:
    """What the user may see, as disjoint parts whose union is the scope: staff see every
    order; admins and agents the orders of their companies; everyone the orders they
    requested. Lists read each part separately (below), so each can walk its own index."""
    if user.is_staff:
        return [Q()]
    known_ids = getattr(user, "staff_company_ids", None)  # read with the user on PostgreSQL
    if known_ids is not None:
        # Literal ids: `company_id = ANY('{1,2}')` lets the planner walk an index on
        # (company_id, created_at, id) in order, instead of bitmap-scanning the rows.
        if not known_ids:
            return [Q(requester=user)]
        ours = Q(company_id__in=known_ids)
        return [ours, Q(requester=user) & ~ours]
    company_ids = company_ids_where(user, STAFF_ROLES).order_by()
    if connection.vendor == "postgresql":
        # `IN (subquery) OR requester = me` can only be checked row by row (a sequential
        # scan of every order); `= ANY(ARRAY(subquery))` is computed once, so both sides of
        # the OR use their indexes (a BitmapOr): 330 ms → 6 ms at a million orders.
        return [Q(_EqualsAnyOf(F("company_id"), Subquery(company_ids))) | Q(requester=user)]
    return [Q(company_id__in=company_ids) | Q(requester=user)]


def order_list_visible_to(user: User) -> QuerySet[Order]:
    """Every order the user may see (`order_scopes`). Related rows a list shows are joined
    in the same query."""
    orders = Order.objects.select_related("company", "requester", "team", "assignee")
    return orders.filter(reduce(operator.or_, order_scopes(user)))


def order_count_bounded(orders, bound: int) -> tuple[int, bool]:
    """How many orders the queryset holds: exact up to `bound` (counting stops there), else
    PostgreSQL's planner estimate, never below bound + 1. Returns (count, is_estimate).
    Costs one query when the answer is exact, two when it is an estimate.

    `orders` may also be a list of querysets over disjoint rows (`order_scopes`): each part
    is counted up to the bound in the same one query, on its own index."""
    parts = orders if isinstance(orders, list) else [orders]
    plain = [part.order_by().values("pk") for part in parts]
    if connection.vendor != "postgresql":
        exact = sum(part[: bound + 1].count() for part in plain)
        return (exact, False) if exact <= bound else (sum(p.count() for p in plain), False)
    # Each part is compiled once: its SQL serves the bounded count and the estimate.
    compiled = [sql for sql in map(_sql, plain) if sql is not None]  # parts that hold rows
    if not compiled:
        return 0, False
    counts, params = [], []
    for sql, part_params in compiled:
        counts.append(f"(SELECT COUNT(*) FROM ({sql} LIMIT {int(bound) + 1}) AS part)")  # noqa: S608
        params.extend(part_params)
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + " + ".join(counts), params)
        exact = cursor.fetchone()[0]
    if exact <= bound:
        return exact, False
    with connection.cursor() as cursor:
        cursor.execute(
            "EXPLAIN (FORMAT JSON) " + " UNION ALL ".join(sql for sql, _params in compiled),
            [param for _sql_text, part_params in compiled for param in part_params],
        )
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return max(bound + 1, int(plan[0]["Plan"]["Plan Rows"])), True


def order_page_ids_sql(parts: list[QuerySet[Order]], bottom: int, top: int) -> tuple[str, list]:
    """`SELECT id` of rows bottom..top of the union of disjoint, identically ordered parts:
    each part gives its first `top` rows (an ordered index scan, often index-only), and
    only those are merged, so no part's rows are ever all read and sorted together."""
    ordering = list(parts[0].query.order_by or Order._meta.ordering)
    keys = []
    for name in ordering:
        field = name.lstrip("-")
        column = "id" if field == "pk" else Order._meta.get_field(field).column
        keys.append((field, column, name.startswith("-")))
    fields = list(dict.fromkeys(field for field, _column, _desc in keys))
    if "pk" not in fields and "id" not in fields:
        fields.append("pk")
    sqls, params = [], []
    for part in parts:
        compiled = _sql(part.values(*fields)[:top])
        if compiled is None:  # a part that can hold no row (e.g. `status=` of nothing)
            continue
        sqls.append(f"({compiled[0]})")
        params.extend(compiled[1])
    if not sqls:
        return "SELECT NULL::bigint AS id WHERE FALSE", []
    order = ", ".join(f'"{column}" {"DESC" if desc else "ASC"}' for _f, column, desc in keys)
    union = " UNION ALL ".join(sqls)
    return (
        f'SELECT "id" FROM ({union}) AS parts ORDER BY {order} '  # noqa: S608 - our own SQL
        f"LIMIT {int(top) - int(bottom)} OFFSET {int(bottom)}",
        params,
    )


def _sql(queryset: QuerySet) -> tuple[str, tuple] | None:
    """The queryset's SQL and parameters, or None when it can hold no row at all."""
    try:
        return queryset.query.sql_with_params()
    except EmptyResultSet:
        return None


class _EqualsAnyOf(Func):
    """`field = ANY(ARRAY(subquery))` (PostgreSQL): the subquery runs once, as an InitPlan."""

    arg_joiner = " = ANY(ARRAY"
    template = "%(expressions)s)"
    output_field = BooleanField()


def order_get_visible_to(user: User, pk: int) -> Order:
    try:
        return order_list_visible_to(user).get(pk=pk)
    except (Order.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound() from exc


def order_roles(user: User, order: Order) -> set[str]:
    """What the user is to this order: staff, admin, agent (of its company), requester,
    assignee, lead (of its team). Read from the database, never from the token."""
    roles = set()
    if user.is_staff:
        roles.add("staff")
    company_role = membership_role(user, order.company_id)
    if company_role in STAFF_ROLES:
        roles.add(company_role)
    if order.requester_id == user.pk:
        roles.add("requester")
    if order.assignee_id == user.pk:
        roles.add("assignee")
    if order.team_id and order.team.lead_id == user.pk:
        roles.add("lead")
    return roles


def sees_internal_notes(roles: set[str]) -> bool:
    return bool(roles & {"staff", Role.ADMIN, Role.AGENT})


def message_list_for(user: User, order: Order) -> QuerySet[Message]:
    """The order's messages; internal notes only for its company's staff."""
    messages = order.messages.select_related("author")
    if not sees_internal_notes(order_roles(user, order)):
        messages = messages.filter(is_internal=False)
    return messages


def event_list_for(user: User, order: Order) -> QuerySet[OrderEvent]:
    """The order's audit timeline; events of internal notes only for its company's staff."""
    events = order.events.select_related("actor")
    if not sees_internal_notes(order_roles(user, order)):
        events = events.filter(is_internal=False)
    return events


def _duration(end: str) -> ExpressionWrapper:
    return ExpressionWrapper(F(end) - F("created_at"), output_field=DurationField())


def order_stats(orders: QuerySet[Order]) -> dict:
    """Counts by status, priority and team, and the mean time to take and to close, over
    the given (already scoped and filtered) orders. Four aggregate queries."""
    orders = orders.order_by()
    by_status = dict(orders.values_list("status").annotate(n=Count("id")))
    by_priority = dict(orders.values_list("priority").annotate(n=Count("id")))
    by_team = [
        {"team": row["team_id"], "name": row["team__name"], "count": row["n"]}
        for row in orders.values("team_id", "team__name")
        .annotate(n=Count("id"))
        .order_by("team__name")
    ]
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
    }
