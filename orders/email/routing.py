"""Which company a message is for, who sent it, and which order it belongs to.

Headers and subject tokens are hints, never identity: a candidate order is accepted only
when the sender takes part in it; otherwise the message starts an order of its own.
"""

import re

from django.conf import settings
from django.db import connection
from django.db.models.functions import Lower

from accounts.models import User
from companies.models import Company, Membership, Team
from core.db import placeholders
from core.models import OutboundEmail
from orders.email.parsing import ParsedEmail, normalise_address
from orders.models import InboundEmail, Order, OrderOutboundEmail
from orders.selectors import order_roles

SUBJECT_TOKEN_RE = re.compile(r"\[#(\d{1,18})\]")
PARTICIPANT_ROLES = {Membership.Role.ADMIN, Membership.Role.AGENT, "requester", "assignee"}


def base_address(address: str) -> str:
    """`support+anything@x` → `support@x`: plus-addressing reaches the same mailbox."""
    address = normalise_address(address)
    local, _at, domain = address.partition("@")
    return f"{local.split('+', 1)[0]}@{domain}" if domain else address


class Directory:
    """Who is who for a batch of messages, read in three queries instead of three per
    message: the companies whose support address appears as a recipient or a sender, the
    senders' accounts and their memberships in those companies.

    Lives inside the batch's transaction. What a message adds (an account, a membership)
    is kept only when the message's savepoint is released (`keep`), and forgotten when it
    is rolled back (`forget`), so a failed message never leaves a ghost for the next one.
    """

    def __init__(self, messages: list[ParsedEmail], *, read_orders: bool = False):
        recipients = {
            base_address(address) for parsed in messages for address in [*parsed.to, *parsed.cc]
        }
        senders = {base_address(parsed.from_address) for parsed in messages}
        wanted = {address for address in recipients | senders if address}
        self.companies: dict[str, Company] = (
            {
                company.support_lower: company
                for company in Company.objects.annotate(
                    support_lower=Lower("support_email")
                ).filter(support_lower__in=wanted)
            }
            if wanted
            else {}
        )
        addresses = {normalise_address(parsed.from_address) for parsed in messages}
        addresses.discard("")
        self.senders = addresses
        self.users: dict[str, User] = (
            {user.email: user for user in User.objects.filter(email__in=addresses)}
            if addresses
            else {}
        )
        self.roles: dict[tuple[int, int], str] = {}
        if self.users and self.companies:
            memberships = Membership.objects.filter(
                company__in=[company.pk for company in self.companies.values()],
                user__in=[user.pk for user in self.users.values()],
            ).values_list("company_id", "user_id", "role")
            self.roles = {(company, user): role for company, user, role in memberships}
        self._added: list[tuple[dict, object]] = []
        self.orders = (
            BatchOrders(messages, list(self.companies.values()), list(self.users.values()))
            if read_orders
            else None
        )

    def company_for_recipients(self, addresses: list[str]) -> Company | None:
        """The company whose support address is among the recipients (first listed wins)."""
        for address in addresses:
            company = self.companies.get(base_address(address)) if address else None
            if company is not None:
                return company
        return None

    def is_own_address(self, address: str) -> bool:
        address = base_address(address)
        return address == _our_sender_address() or address in self.companies

    def user(self, address: str) -> User | None:
        return self.users.get(normalise_address(address))

    def role(self, company: Company, user: User) -> str | None:
        return self.roles.get((company.pk, user.pk))

    def add_user(self, user: User) -> None:
        self._remember(self.users, user.email, user)

    def add_role(self, company: Company, user: User, role: str) -> None:
        self._remember(self.roles, (company.pk, user.pk), role)

    def _remember(self, table: dict, key, value) -> None:
        if key not in table:
            self._added.append((table, key))
        table[key] = value

    def keep(self) -> None:
        self._added.clear()

    def forget(self) -> None:
        for table, key in self._added:
            table.pop(key, None)
        self._added.clear()


def _our_sender_address() -> str:
    return normalise_address(settings.DEFAULT_FROM_EMAIL.rsplit("<", 1)[-1])


def is_participant(user: User, order: Order, company_role: str | None = None) -> bool:
    """Requester, assignee, or an admin or agent of the order's company. With the user's
    role in the company already known (`company_role`), no query is needed."""
    if company_role is None:
        return bool(order_roles(user, order) & PARTICIPANT_ROLES)
    return (
        company_role in (Membership.Role.ADMIN, Membership.Role.AGENT)
        or order.requester_id == user.pk
        or order.assignee_id == user.pk
    )


def _order_by_message_ids(company: Company, ids: list[str]) -> Order | None:
    if not ids:
        return None
    # What we received and what we sent with these Message-IDs, the nearest ancestor
    # first and received before sent, and that order's row, in one hand-written query (it
    # runs for every reply; the ORM's union of two joined querysets cost more to compile
    # than to run).
    marks = placeholders(ids)
    nearest = " ".join(["WHEN %s THEN %s"] * len(ids))
    found = f"""
        SELECT found.order_id FROM (
            SELECT message_id, order_id, 0 AS sent FROM {_INBOUND}
            WHERE company_id = %s AND order_id IS NOT NULL AND message_id IN ({marks})
            UNION ALL
            SELECT outbound.message_id, link.order_id, 1
            FROM {_LINK} link
            JOIN {_OUTBOUND} outbound ON outbound.id = link.outbound_id
            JOIN {_ORDER} linked ON linked.id = link.order_id
            WHERE linked.company_id = %s AND outbound.message_id IN ({marks})
        ) found
        ORDER BY CASE found.message_id {nearest} END, found.sent
        LIMIT 1
    """  # noqa: S608 - table names from the models, values as parameters
    positions = [
        value for position, message_id in enumerate(ids) for value in (message_id, position)
    ]
    orders = _orders_where(
        f"o.id = ({found})", [company.pk, *ids, company.pk, *ids, *positions], company
    )
    return orders[0] if orders else None


def _order_by_subject(company: Company, subject: str) -> Order | None:
    tokens = [int(token) for token in SUBJECT_TOKEN_RE.findall(subject)]
    if not tokens:
        return None
    where = f"o.company_id = %s AND o.id IN ({placeholders(tokens)})"
    found = {order.pk: order for order in _orders_where(where, [company.pk, *tokens], company)}
    return next((found[token] for token in tokens if token in found), None)


def _open_order_of(company: Company, sender: User) -> Order | None:
    orders = _orders_where(
        "o.company_id = %s AND o.requester_id = %s AND o.status IN (%s, %s)",
        [company.pk, sender.pk, *_OPEN],
        company,
        tail="ORDER BY o.created_at DESC, o.id DESC LIMIT 1",
        sender=sender,
    )
    return orders[0] if orders else None


# What routing, the services that act on the order and the e-mails announcing it read of
# an order and of the people and team on it; everything else (the requester's password
# hash among it) stays in the database. Another field, if ever read, loads on access.
def _in_model_order(model, names: set[str]) -> tuple[str, ...]:
    # `Model.from_db` takes a subset of the columns in the model's own field order.
    return tuple(field.attname for field in model._meta.concrete_fields if field.attname in names)


_ORDER_FIELDS = _in_model_order(
    Order,
    {"id", "company_id", "requester_id", "team_id", "assignee_id", "title", "status", "priority"},
)
_PERSON_FIELDS = _in_model_order(User, {"id", "email", "name", "language", "is_active"})
_TEAM_FIELDS = _in_model_order(Team, {"id", "company_id", "name", "lead_id"})


def _orders_where(
    where: str,
    params: list,
    company: Company | None,
    *,
    tail: str = "",
    sender: User | None = None,
    known: dict[int, User] | None = None,
) -> list[Order]:
    """Orders matching `where` (on the order, aliased `o`), each with its requester,
    assignee and team, in one hand-written query; `company` (and `sender`, when they are
    the requester, or any of the `known` people) are the rows already read, not joined again.
    Without `company` the caller sets each order's company."""
    columns = ", ".join(
        [
            *(f"o.{name}" for name in _ORDER_FIELDS),
            *(f"requester.{name}" for name in _PERSON_FIELDS),
            *(f"assignee.{name}" for name in _PERSON_FIELDS),
            *(f"team.{name}" for name in _TEAM_FIELDS),
        ]
    )
    sql = f"""
        SELECT {columns} FROM {_ORDER} o
        JOIN {_USER} requester ON requester.id = o.requester_id
        LEFT JOIN {_USER} assignee ON assignee.id = o.assignee_id
        LEFT JOIN {_TEAM} team ON team.id = o.team_id
        WHERE {where} {tail}
    """  # noqa: S608 - table and column names from the models, values as parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    orders = []
    alias = connection.alias
    people = len(_PERSON_FIELDS)
    for row in rows:
        order = Order.from_db(alias, _ORDER_FIELDS, row[: len(_ORDER_FIELDS)])
        rest = row[len(_ORDER_FIELDS) :]
        requester_row, assignee_row, team_row = (
            rest[:people],
            rest[people : 2 * people],
            rest[2 * people :],
        )
        if company is not None:
            order.company = company
        if sender is not None and order.requester_id == sender.pk:
            order.requester = sender
        elif known and order.requester_id in known:
            order.requester = known[order.requester_id]
        else:
            order.requester = User.from_db(alias, _PERSON_FIELDS, requester_row)
        order.assignee = (
            User.from_db(alias, _PERSON_FIELDS, assignee_row) if order.assignee_id else None
        )
        order.team = Team.from_db(alias, _TEAM_FIELDS, team_row) if order.team_id else None
        orders.append(order)
    return orders


_INBOUND = InboundEmail._meta.db_table
_LINK = OrderOutboundEmail._meta.db_table
_OUTBOUND = OutboundEmail._meta.db_table
_ORDER = Order._meta.db_table
_USER = User._meta.db_table
_TEAM = Team._meta.db_table
_OPEN = [Order.Status.OPEN, Order.Status.IN_PROGRESS]


# A batch's Message-IDs: what we received and sent with them, and their orders. (Table
# names from the models; the `{…}` are placeholder lists, values go as parameters.)
_MESSAGES_AND_ORDERS = f"""
    SELECT 0, id, company_id, message_id, order_id FROM {_INBOUND}
    WHERE company_id IN ({{companies}}) AND message_id IN ({{ids}})
    UNION ALL
    SELECT 1, outbound.id, linked.company_id, outbound.message_id, link.order_id
    FROM {_LINK} link
    JOIN {_OUTBOUND} outbound ON outbound.id = link.outbound_id
    JOIN {_ORDER} linked ON linked.id = link.order_id
    WHERE linked.company_id IN ({{companies}}) AND outbound.message_id IN ({{ids}})
"""  # noqa: S608

# A batch's senders' open orders in its companies, each sender's latest first.
_OPEN_ORDERS = f"""
    SELECT company_id, requester_id, id FROM {_ORDER}
    WHERE company_id IN ({{companies}}) AND requester_id IN ({{users}}) AND status IN (%s, %s)
    ORDER BY company_id, requester_id, created_at DESC, id DESC
"""  # noqa: S608


def order_for(
    parsed: ParsedEmail,
    *,
    company: Company,
    sender: User,
    company_role: str | None = None,
    is_new_sender: bool = False,
    orders: "BatchOrders | None" = None,
) -> tuple[Order | None, str]:
    """The order the message belongs to and how it was found, in this order: a Message-ID
    we received or sent, the `[#id]` subject token, the sender's open order. The first
    hint that names an order decides: if the sender is not a participant of it, the
    answer is (None, "not_participant"), a new order, never someone else's. A sender whose
    account this message created (`is_new_sender`) has no open order to look for.
    `orders`: what the batch read of them at once (see `BatchOrders`)."""
    if orders is None:
        by_ids = _order_by_message_ids
        by_subject = _order_by_subject
        open_order = _open_order_of
    else:
        by_ids, by_subject, open_order = orders.by_message_ids, orders.by_subject, orders.open_of
    for how, candidate in (
        ("headers", lambda: by_ids(company, parsed.thread_ids)),
        ("subject", lambda: by_subject(company, parsed.subject)),
    ):
        order = candidate()
        if order is not None:
            if is_participant(sender, order, company_role):
                return order, how
            return None, "not_participant"
    order = None if is_new_sender else open_order(company, sender)
    return (order, "open_order") if order else (None, "")


class BatchOrders:
    """The orders a batch of messages may join, read for the whole batch in three queries
    instead of one or two per message: what we received and sent with its Message-IDs
    (the messages themselves, to tell a copy received before, and those they answer),
    the senders' latest open orders, and these orders with their people and the ones its
    subject tokens name. What the batch does is added as it happens (`recorded`,
    `created`); an order the batch reopens is read again when next asked for.

    Only for a batch received all or nothing: nothing is forgotten when one message is
    rolled back. Read at the start of the batch, like the rest of the `Directory`.
    """

    def __init__(self, messages: list[ParsedEmail], companies: list[Company], users: list[User]):
        self.by_company = {company.pk: company for company in companies}
        # (company, Message-ID) → the message we received, with its order once it has one
        self.received: dict[tuple[int, str], InboundEmail] = {}
        self.sent: dict[str, tuple[int, int]] = {}  # Message-ID → (order, its company)
        self.open: dict[tuple[int, int], int | None] = {}  # (company, requester) → order
        self.orders: dict[int, Order] = {}
        self.stale: set[int] = set()  # orders the batch changed, read again when asked for
        if not companies:
            return
        company_ids = list(self.by_company)
        message_ids = sorted(
            {mid for parsed in messages for mid in [parsed.message_id, *parsed.thread_ids]} - {""}
        )
        tokens = sorted(
            {int(t) for parsed in messages for t in SUBJECT_TOKEN_RE.findall(parsed.subject)}
        )
        companies_in = placeholders(company_ids)
        with connection.cursor() as cursor:
            if message_ids:
                ids_in = placeholders(message_ids)
                sql = _MESSAGES_AND_ORDERS.format(companies=companies_in, ids=ids_in)
                cursor.execute(sql, [*company_ids, *message_ids] * 2)
                for sent, pk, company_id, message_id, order_id in cursor.fetchall():
                    if sent:
                        self.sent[message_id] = (order_id, company_id)
                    else:
                        self.received[(company_id, message_id)] = InboundEmail(
                            id=pk, company_id=company_id, message_id=message_id, order_id=order_id
                        )
            if users:
                user_ids = [user.pk for user in users]
                self.open = {(c, u): None for c in company_ids for u in user_ids}
                sql = _OPEN_ORDERS.format(companies=companies_in, users=placeholders(user_ids))
                cursor.execute(sql, [*company_ids, *user_ids, *_OPEN])
                for company_id, requester_id, order_id in cursor.fetchall():
                    if self.open[(company_id, requester_id)] is None:  # the latest first
                        self.open[(company_id, requester_id)] = order_id
        wanted = {inbound.order_id for inbound in self.received.values()} - {None}
        wanted |= {order_id for order_id, _company in self.sent.values()}
        wanted |= {order_id for order_id in self.open.values() if order_id} | set(tokens)
        if wanted:
            for order in _orders_where(
                f"o.id IN ({placeholders(wanted)}) AND o.company_id IN ({companies_in})",
                [*sorted(wanted), *company_ids],
                None,
                known={user.pk: user for user in users},
            ):
                order.company = self.by_company[order.company_id]
                self.orders[order.pk] = order

    def received_before(self, company: Company, message_id: str) -> InboundEmail | None:
        """The copy of this message already received (before or in this batch)."""
        return self.received.get((company.pk, message_id)) if message_id else None

    def by_message_ids(self, company: Company, ids: list[str]) -> Order | None:
        for message_id in ids:
            inbound = self.received.get((company.pk, message_id))
            order_id = inbound.order_id if inbound is not None else None
            if order_id is None:
                order_id, order_company = self.sent.get(message_id, (None, None))
                if order_company != company.pk:
                    order_id = None
            if order_id is not None:
                return self._order(company, order_id)
        return None

    def by_subject(self, company: Company, subject: str) -> Order | None:
        for token in SUBJECT_TOKEN_RE.findall(subject):
            order_id = int(token)
            if order_id in self.orders or order_id in self.stale:
                order = self._order(company, order_id)
                if order is not None and order.company_id == company.pk:
                    return order
        return None

    def open_of(self, company: Company, sender: User) -> Order | None:
        key = (company.pk, sender.pk)
        if key not in self.open:  # a sender the batch did not know: read it
            return _open_order_of(company, sender)
        order_id = self.open[key]
        return self._order(company, order_id) if order_id else None

    def created(self, order: Order) -> None:
        """The batch opened this order: it is its requester's latest open order."""
        self.orders[order.pk] = order
        self.open[(order.company_id, order.requester_id)] = order.pk

    def recorded(self, inbound: InboundEmail) -> None:
        """The batch recorded this message: a copy of it is a duplicate, and a reply to it
        joins its order once it has one."""
        if inbound.message_id:
            self.received[(inbound.company_id, inbound.message_id)] = inbound

    def reopened(self, order: Order) -> None:
        """The batch changed this order's status: read it again when asked for."""
        self.orders.pop(order.pk, None)
        self.stale.add(order.pk)
        self.open.pop((order.company_id, order.requester_id), None)

    def _order(self, company: Company, order_id: int) -> Order | None:
        order = self.orders.get(order_id)
        if order is None:
            found = _orders_where(
                "o.id = %s AND o.company_id = %s", [order_id, company.pk], company
            )
            if not found:
                return None
            order = self.orders[order_id] = found[0]
            self.stale.discard(order_id)
        return order
