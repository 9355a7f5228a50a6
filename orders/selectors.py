"""Orders, messages and events a user may see. Views start every queryset here."""

import functools
import hashlib
import json
import operator
from functools import reduce

from django.core.cache import cache
from django.core.exceptions import EmptyResultSet, FullResultSet
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
from orders.models import InboundAttachment, Message, Order, OrderEvent

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


def orders_of_person(person: User) -> Q:
    """A person's orders (`users/{id}/orders`): the ones they requested and the ones
    assigned to them, whatever their role; to be read within what the viewer sees."""
    return Q(requester=person) | Q(assignee=person)


def order_list_visible_to(user: User) -> QuerySet[Order]:
    """Every order the user may see (`order_scopes`). Related rows a list shows are joined
    in the same query."""
    orders = Order.objects.select_related("company", "requester", "team", "assignee")
    return orders.filter(reduce(operator.or_, order_scopes(user)))


# How long an estimated count is reused (seconds); exact counts are never cached.
ESTIMATE_REUSED_FOR = 60


def order_count_bounded(orders, bound: int) -> tuple[int, bool]:
    """How many rows the queryset holds: exact up to `bound` (counting stops there), else
    PostgreSQL's planner estimate, never below bound + 1. Returns (count, is_estimate)."""
    if connection.vendor != "postgresql":
        plain = orders.order_by().values("pk")
        exact = plain[: bound + 1].count()
        return (exact, False) if exact <= bound else (plain.count(), False)
    compiled = _sql(orders.order_by().values("pk"))
    return _count_bounded([compiled] if compiled else [], bound)


def _count_bounded(parts: list[tuple[str, list]], bound: int) -> tuple[int, bool]:
    """The bounded count of disjoint parts, each a `SELECT` and its parameters, on
    PostgreSQL: every part is counted up to the bound in one query, on its own index; past
    the bound, a second query asks the planner for its estimate.

    An estimate is kept in the cache for `ESTIMATE_REUSED_FOR` seconds under the count's
    SQL and parameters: it is approximate anyway, and reaching the bound is what a count
    costs most (ten thousand index entries), so the same list asked again within that time
    costs no count query at all. A count that came out exact is counted again every time."""
    if not parts:
        return 0, False
    counts, params = [], []
    for sql, part_params in parts:
        counts.append(f"(SELECT COUNT(*) FROM ({sql} LIMIT {int(bound) + 1}) AS part)")  # noqa: S608
        params.extend(part_params)
    count_sql = "SELECT " + " + ".join(counts)
    key = "orders:count-estimate:" + hashlib.sha256(repr((count_sql, params)).encode()).hexdigest()
    estimate = cache.get(key)
    if estimate is not None:
        return estimate, True
    with connection.cursor() as cursor:
        cursor.execute(count_sql, params)
        exact = cursor.fetchone()[0]
    if exact <= bound:
        return exact, False
    with connection.cursor() as cursor:
        cursor.execute(
            "EXPLAIN (FORMAT JSON) " + " UNION ALL ".join(sql for sql, _params in parts),
            [param for _sql_text, part_params in parts for param in part_params],
        )
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    estimate = max(bound + 1, int(plan[0]["Plan"]["Plan Rows"]))
    cache.set(key, estimate, ESTIMATE_REUSED_FOR)
    return estimate, True


class OrderListQuery:
    """An order list over the disjoint parts of the user's scope (`order_scopes`), each a
    queryset of orders with the list's filters and ordering applied and no joins: its
    bounded count and its pages as tuples of columns.

    On PostgreSQL each part's WHERE clause is compiled once and the count and the page are
    written around it: compiling the same parts again for the count, for each part's page
    and for the joined rows was most of a list request's CPU (docs/performance.md). The
    page takes two steps in one query: each part gives the ids of its first `top` rows in
    the list's order (an ordered index scan, often index-only), only those are merged and
    cut to the page, and only the page's rows are read, with the names of their company,
    requester, team and technician (`_rows_sql`). Elsewhere (SQLite, one part) the ORM
    writes the SQL."""

    def __init__(self, parts: list[QuerySet[Order]]):
        self.parts = parts
        self.keys = _order_keys(parts[0].query.order_by or Order._meta.ordering)
        self.conditions = (
            _conditions(parts)
            if connection.vendor == "postgresql" and self.keys is not None
            else None
        )

    def count(self, bound: int) -> tuple[int, bool]:
        if self.conditions is None:
            return order_count_bounded(self._one_part(), bound)
        table = Order._meta.db_table
        return _count_bounded(
            [(f'SELECT 1 FROM "{table}"{where}', params) for where, params in self.conditions],  # noqa: S608
            bound,
        )

    def rows(self, bottom: int, top: int, columns: tuple[str, ...]) -> list[tuple]:
        """Rows bottom..top (0-based, top excluded) as tuples of `columns`, in order."""
        if self.conditions is None:
            part = self._one_part()
            if bottom:  # the page's ids first, from the index alone; then their rows
                part = part.filter(pk__in=part.values("pk")[bottom:top])
                bottom, top = 0, top - bottom
            return list(part[bottom:top].values_list(*columns))
        ids_sql, params = self._page_ids_sql(bottom, top)
        before, after = _rows_sql(columns)
        order = ", ".join(f'"{Order._meta.db_table}".{key}' for key in self.keys)
        with connection.cursor() as cursor:
            cursor.execute(f"{before}{ids_sql}{after} ORDER BY {order}", params)
            return cursor.fetchall()

    def _one_part(self) -> QuerySet[Order]:
        return self.parts[0] if len(self.parts) == 1 else reduce(operator.or_, self.parts)

    def _page_ids_sql(self, bottom: int, top: int) -> tuple[str, list]:
        if not self.conditions:
            return "SELECT NULL::bigint AS id WHERE FALSE", []
        order = ", ".join(self.keys)
        columns = ", ".join(dict.fromkeys(['"id"', *(key.split()[0] for key in self.keys)]))
        table = Order._meta.db_table
        if len(self.conditions) == 1:
            where, params = self.conditions[0]
            return (
                f'SELECT "id" FROM "{table}"{where} ORDER BY {order} '  # noqa: S608 - our own SQL
                f"LIMIT {int(top) - int(bottom)} OFFSET {int(bottom)}",
                params,
            )
        parts, params, limit = [], [], int(top)
        for where, part_params in self.conditions:
            parts.append(f'(SELECT {columns} FROM "{table}"{where} ORDER BY {order} LIMIT {limit})')  # noqa: S608
            params.extend(part_params)
        return (
            f'SELECT "id" FROM ({" UNION ALL ".join(parts)}) AS parts ORDER BY {order} '  # noqa: S608
            f"LIMIT {int(top) - int(bottom)} OFFSET {int(bottom)}",
            params,
        )


def _order_keys(ordering) -> list[str] | None:
    """The list's ORDER BY terms (`-created_at`, `id`) as `"column" DESC` SQL; None when
    one is not a column of the orders table (a technician's name), for which the ORM
    writes the SQL with its join."""
    keys = []
    for name in ordering:
        if not isinstance(name, str) or "__" in name:
            return None
        field = name.lstrip("-")
        column = "id" if field == "pk" else Order._meta.get_field(field).column
        keys.append(f'"{column}" {"DESC" if name.startswith("-") else "ASC"}')
    return keys


def _conditions(parts: list[QuerySet[Order]]) -> list[tuple[str, list]] | None:
    """Each part's ` WHERE …` clause and parameters ("" when it matches every order), parts
    that can hold no row left out; None when a part needs another table (a join), for which
    the ORM must write the whole SQL."""
    conditions = []
    for part in parts:
        query = part.query
        joined = [
            alias
            for alias, count in query.alias_refcount.items()
            if count and alias != Order._meta.db_table
        ]
        if joined or query.annotations:
            return None
        try:
            sql, params = query.get_compiler(part.db).compile(query.where)
        except EmptyResultSet:
            continue
        except FullResultSet:
            sql, params = "", ()
        conditions.append((f" WHERE {sql}" if sql else "", list(params)))
    return conditions


@functools.cache
def _rows_sql(columns: tuple[str, ...]) -> tuple[str, str]:
    """`SELECT columns FROM orders WHERE id IN (` and `)`, to put around a page's ids.

    A related column (`company__legal_name`) is a correlated subquery by primary key rather
    than a join: with four joins PostgreSQL spent longer planning the page than running it
    (~1 ms more per list request, docs/performance.md)."""
    table = Order._meta.db_table
    selected = []
    for name in columns:
        if "__" not in name:
            selected.append(f'"{table}"."{Order._meta.get_field(name).column}"')
            continue
        relation, field = name.split("__")
        foreign_key = Order._meta.get_field(relation)
        model = foreign_key.related_model
        selected.append(
            f'(SELECT related."{model._meta.get_field(field).column}" '  # noqa: S608 - names from models
            f'FROM "{model._meta.db_table}" AS related '
            f'WHERE related."{model._meta.pk.column}" = "{table}"."{foreign_key.column}")'
        )
    return f'SELECT {", ".join(selected)} FROM "{table}" WHERE "{table}"."id" IN (', ")"  # noqa: S608


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
    """The order's messages, with the files of the e-mails they came from; internal notes
    only for its company's staff."""
    messages = order.messages.select_related("author", "inbound_email").prefetch_related(
        "inbound_email__attachments"
    )
    if not sees_internal_notes(order_roles(user, order)):
        messages = messages.filter(is_internal=False)
    return messages


def attachment_list_for(user: User, order: Order) -> QuerySet[InboundAttachment]:
    """The files that came by e-mail with the order or with one of its messages; those of
    an internal note only for its company's staff (as the note itself)."""
    attachments = InboundAttachment.objects.filter(email__order=order).select_related("email")
    if not sees_internal_notes(order_roles(user, order)):
        attachments = attachments.exclude(email__order_message__is_internal=True)
    return attachments.order_by("id")


def attachment_get_for(user: User, order: Order, pk: int) -> InboundAttachment:
    try:
        return attachment_list_for(user, order).get(pk=pk)
    except (InboundAttachment.DoesNotExist, ValueError, TypeError) as exc:
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
