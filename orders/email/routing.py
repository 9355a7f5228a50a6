"""Which company a message is for, who sent it, and which order it belongs to.

Headers and subject tokens are hints, never identity: a candidate order is accepted only
when the sender takes part in it; otherwise the message starts an order of its own.
"""

import re

from django.conf import settings
from django.db import connection
from django.db.models import Q
from django.db.models.functions import Lower

from accounts.models import User
from companies.models import Company, Membership
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

    def __init__(self, messages: list[ParsedEmail]):
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


ORDER_RELATED = ("team", "requester", "assignee")


def _order_by_message_ids(company: Company, ids: list[str]) -> Order | None:
    if not ids:
        return None
    # What we received and what we sent with these Message-IDs, in one hand-written query
    # (it runs for every reply; the ORM's union of two joined querysets cost more to
    # compile than to run). Received before sent, nearest ancestor first.
    marks = ", ".join(["%s"] * len(ids))
    sql = f"""
        SELECT message_id, order_id, 0 FROM {_INBOUND}
        WHERE company_id = %s AND order_id IS NOT NULL AND message_id IN ({marks})
        UNION ALL
        SELECT outbound.message_id, link.order_id, 1
        FROM {_LINK} link
        JOIN {_OUTBOUND} outbound ON outbound.id = link.outbound_id
        JOIN {_ORDER} o ON o.id = link.order_id
        WHERE o.company_id = %s AND outbound.message_id IN ({marks})
    """  # noqa: S608 - table names from the models, values as parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, [company.pk, *ids, company.pk, *ids])
        orders = {(message_id, sent): order_id for message_id, order_id, sent in cursor}
    for message_id in ids:
        order_id = orders.get((message_id, 0)) or orders.get((message_id, 1))
        if order_id:
            return _with_company(
                Order.objects.select_related(*ORDER_RELATED).get(pk=order_id), company
            )
    return None


_INBOUND = InboundEmail._meta.db_table
_LINK = OrderOutboundEmail._meta.db_table
_OUTBOUND = OutboundEmail._meta.db_table
_ORDER = Order._meta.db_table


def _with_company(order: Order | None, company: Company) -> Order | None:
    if order is not None:
        order.company = company  # the same row, already read: not joined again
    return order


def _order_by_subject(company: Company, subject: str) -> Order | None:
    tokens = [int(token) for token in SUBJECT_TOKEN_RE.findall(subject)]
    if not tokens:
        return None
    found = {
        order.pk: order
        for order in Order.objects.select_related(*ORDER_RELATED).filter(
            company=company, pk__in=tokens
        )
    }
    return _with_company(next((found[token] for token in tokens if token in found), None), company)


def _open_order_of(company: Company, sender: User) -> Order | None:
    order = (
        Order.objects.select_related("team", "assignee")
        .filter(company=company, requester=sender)
        .filter(Q(status=Order.Status.OPEN) | Q(status=Order.Status.IN_PROGRESS))
        .order_by("-created_at", "-id")
        .first()
    )
    if order is not None:
        order.requester = sender  # the sender, already read
    return _with_company(order, company)


def order_for(
    parsed: ParsedEmail,
    *,
    company: Company,
    sender: User,
    company_role: str | None = None,
    is_new_sender: bool = False,
) -> tuple[Order | None, str]:
    """The order the message belongs to and how it was found, in this order: a Message-ID
    we received or sent, the `[#id]` subject token, the sender's open order. The first
    hint that names an order decides: if the sender is not a participant of it, the
    answer is (None, "not_participant"), a new order, never someone else's. A sender whose
    account this message created (`is_new_sender`) has no open order to look for."""
    for how, candidate in (
        ("headers", lambda: _order_by_message_ids(company, parsed.thread_ids)),
        ("subject", lambda: _order_by_subject(company, parsed.subject)),
    ):
        order = candidate()
        if order is not None:
            if is_participant(sender, order, company_role):
                return order, how
            return None, "not_participant"
    order = None if is_new_sender else _open_order_of(company, sender)
    return (order, "open_order") if order else (None, "")
