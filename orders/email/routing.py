"""Which company a batch of messages is for, who sent each one, and what each one does.

`known_read` reads what a batch of messages needs in a few queries; `decide` then goes
through the messages in order, in plain Python, and says what each one does: ignored (and
why), a copy of one received before, join an order (reopening it first or not), or open a
new one. A single message is a batch of one. What a message decides (an account, a
membership, an order) is added to what is known, so the next message of the batch sees it
exactly as if it had been written and read back.

Headers and subject tokens are hints, never identity: a candidate order is accepted only
when the sender takes part in it; otherwise the message starts an order of its own.
"""

import re
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from companies.models import Company, Membership
from orders.email.parsing import ParsedEmail, normalise_address, sanitize_html
from orders.models import InboundEmail, Order, OrderOutboundEmail
from orders.services import order_reopen_in_memory

SUBJECT_TOKEN_RE = re.compile(r"\[#(\d{1,18})\]")
PARTICIPANT_ROLES = {Membership.Role.ADMIN, Membership.Role.AGENT}
OPEN_STATUSES = (Order.Status.OPEN, Order.Status.IN_PROGRESS, Order.Status.WAITING)
DUPLICATE = "duplicate"
Status = InboundEmail.Status


def base_address(address: str) -> str:
    """`support+anything@x` → `support@x`: plus-addressing reaches the same mailbox."""
    address = normalise_address(address)
    local, _at, domain = address.partition("@")
    return f"{local.split('+', 1)[0]}@{domain}" if domain else address


@dataclass
class Known:
    """What the database holds that a batch of messages needs, read when the batch starts
    (`known_read`), plus what the batch's earlier messages decided. People are keyed by
    address and orders are objects, so that an account or an order the batch has not
    written yet is found like one read from the database."""

    companies: dict[str, Company]  # support address, lowercase → company
    users: dict[str, User]  # address → account
    roles: dict[tuple[int, str], str] = field(default_factory=dict)  # (company, address) → role
    # (company, Message-ID, or "#" + content hash without one) → the message received
    received: dict[tuple[int, str], InboundEmail] = field(default_factory=dict)
    # our Message-ID → (its order, the order's company)
    sent: dict[str, tuple[int, int]] = field(default_factory=dict)
    # (company, requester) → their latest open or in-progress order
    open_orders: dict[tuple[int, str], Order] = field(default_factory=dict)
    # the orders the batch may join, with their people and team
    orders: dict[int, Order] = field(default_factory=dict)

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


def known_read(messages: list[ParsedEmail]) -> Known:
    """Read, in at most seven queries, what the messages need: the companies they name, the
    senders' accounts and memberships, what we received and sent with the Message-IDs
    they carry and answer, the senders' latest open orders, and those orders (with the
    ones their `[#id]` tokens name) with their people and team."""
    addresses = {normalise_address(parsed.from_address) for parsed in messages} - {""}
    users = User.objects.filter(email__in=addresses).order_by()
    known = Known(_companies_named(messages), {user.email: user for user in users})
    company_ids = [company.pk for company in known.companies.values()]
    if not company_ids:
        return known
    user_ids = {user.pk: user.email for user in known.users.values()}
    open_ids = {}
    if user_ids:
        known.roles = _read_roles(company_ids, user_ids)
        open_ids = _read_open_orders(company_ids, user_ids)
    _read_messages(known, messages, company_ids)
    wanted = {inbound.order_id for inbound in known.received.values()} - {None}
    wanted |= {order_id for order_id, _company in known.sent.values()}
    wanted |= set(open_ids.values())
    wanted |= {int(t) for parsed in messages for t in SUBJECT_TOKEN_RE.findall(parsed.subject)}
    if wanted:
        _read_orders(known, wanted)
    known.open_orders = {key: known.orders[order_id] for key, order_id in open_ids.items()}
    return known


def _read_roles(company_ids: list[int], user_ids: dict[int, str]) -> dict[tuple[int, str], str]:
    memberships = Membership.objects.filter(company__in=company_ids, user__in=user_ids)
    rows = memberships.order_by().values_list("company_id", "user_id", "role")
    return {(company_id, user_ids[user_id]): role for company_id, user_id, role in rows}


def _read_orders(known: Known, order_ids: set[int]) -> None:
    """These orders of the batch's companies, each with its requester (the sender's own
    account object, when it is one of the senders), assignee and team."""
    by_pk = {company.pk: company for company in known.companies.values()}
    orders = (
        Order.objects.filter(pk__in=order_ids, company__in=by_pk)
        .select_related("requester", "assignee", "team")
        .order_by()
    )
    for order in orders:
        order.company = by_pk[order.company_id]
        order.requester = known.users.get(order.requester.email, order.requester)
        known.orders[order.pk] = order


def _companies_named(messages: list[ParsedEmail]) -> dict[str, Company]:
    # Senders too: mail from a company's own support address is ignored.
    addresses = {
        base_address(address)
        for parsed in messages
        for address in [*parsed.to, *parsed.cc, parsed.from_address]
    } - {""}
    if not addresses:
        return {}
    companies = Company.objects.annotate(support_lower=Lower("support_email"))
    named = companies.filter(support_lower__in=addresses).order_by()
    return {company.support_lower: company for company in named}


def _read_messages(known: Known, messages: list[ParsedEmail], company_ids: list[int]) -> None:
    """What we received (copies of these messages, and those they answer) and what we sent
    with the Message-IDs the messages answer."""
    answered = {mid for parsed in messages for mid in parsed.thread_ids} - {""}
    message_ids = answered | {parsed.message_id for parsed in messages} - {""}
    hashes = {parsed.content_hash for parsed in messages if not parsed.message_id}
    if message_ids or hashes:
        received = (
            InboundEmail.objects.filter(company__in=company_ids)
            .filter(Q(message_id__in=message_ids) | Q(message_id="", content_hash__in=hashes))
            .order_by()
            .values_list("pk", "company_id", "message_id", "content_hash", "order_id")
        )
        for pk, company_id, message_id, content_hash, order_id in received:
            inbound = InboundEmail(
                pk=pk, company_id=company_id, message_id=message_id, order_id=order_id
            )
            known.received[(company_id, message_id or f"#{content_hash}")] = inbound
    if answered:
        sent = (
            OrderOutboundEmail.objects.filter(
                order__company__in=company_ids, outbound__message_id__in=answered
            )
            .order_by()
            .values_list("outbound__message_id", "order_id", "order__company_id")
        )
        known.sent = {message_id: (order_id, company) for message_id, order_id, company in sent}


def _read_open_orders(
    company_ids: list[int], user_ids: dict[int, str]
) -> dict[tuple[int, str], int]:
    """Each sender's latest open or in-progress order in each company."""
    rows = (
        Order.objects.filter(
            company__in=company_ids, requester__in=user_ids, status__in=OPEN_STATUSES
        )
        .order_by("company_id", "requester_id", "-created_at", "-pk")
        .values_list("company_id", "requester_id", "pk")
    )
    latest: dict[tuple[int, str], int] = {}
    for company_id, requester_id, order_id in rows:
        latest.setdefault((company_id, user_ids[requester_id]), order_id)
    return latest


def _our_sender_address() -> str:
    return normalise_address(settings.DEFAULT_FROM_EMAIL.rsplit("<", 1)[-1])


@dataclass
class Decision:
    """What one message does. `inbound` is the row that records it (None for a copy of a
    message received before, `original`); `new_user` and `new_membership` are what it
    creates for its sender; `order` is the order it joins (reopened first when `reopened`,
    the reopen event's data)
    or, when `creates_order`, the new one it opens (its `previous_order` the closed order
    it follows up). Objects the batch has not written yet have no primary key."""

    status: str
    reason: str = ""
    inbound: InboundEmail | None = None
    original: InboundEmail | None = None
    sender: User | None = None
    new_user: User | None = None
    new_membership: Membership | None = None
    order: Order | None = None
    creates_order: bool = False
    reopened: dict | None = None
    automatic: str = ""
    body: str = ""
    parsed: ParsedEmail | None = field(default=None, repr=False)


@dataclass
class Incoming:
    """One message as it arrived: its raw content and what the parser made of it, or why
    it could not be read."""

    raw: bytes
    parsed: ParsedEmail | None = None
    unreadable: str = ""
    source: str = "api"


def decide(messages: list[Incoming], known: Known) -> list[Decision]:
    """What each message does, in order; each one sees what the ones before it decided."""
    return [_decide(message, known) for message in messages]


def _decide(message: Incoming, known: Known) -> Decision:
    parsed = message.parsed
    if parsed is None:
        inbound = InboundEmail(
            status=Status.PARKED,
            reason=message.unreadable[:300],
            source=message.source[:30],
            content_hash="",
            raw=message.raw,
        )
        return Decision(Status.PARKED, inbound.reason, inbound)
    company = known.company_for_recipients([*parsed.to, *parsed.cc])
    if company is None:
        return _recorded(Decision(Status.IGNORED, "unknown_recipient"), message, None, known)
    earlier = known.received.get(_received_key(company, parsed))
    if earlier is not None:
        return Decision(DUPLICATE, "already received", original=earlier)
    return _recorded(_decide_in(parsed, company, known), message, company, known)


def _received_key(company: Company, parsed: ParsedEmail) -> tuple[int, str]:
    return (company.pk, parsed.message_id or f"#{parsed.content_hash}")


def _recorded(
    decision: Decision, message: Incoming, company: Company | None, known: Known
) -> Decision:
    """The row that records the message, built; a later copy is its duplicate, and a reply
    to it joins its order."""
    parsed = message.parsed
    decision.parsed = parsed
    decision.inbound = InboundEmail(
        **inbound_fields(parsed, message.raw, message.source),
        company=company,
        sender=decision.sender,
        order=decision.order,
        status=decision.status,
        reason=decision.reason[:300],
    )
    if company is not None:
        known.received[_received_key(company, parsed)] = decision.inbound
    return decision


def inbound_fields(parsed: ParsedEmail, raw: bytes, source: str) -> dict:
    """The InboundEmail columns that say what the message was."""
    return {
        "source": source[:30],
        "message_id": parsed.message_id,
        "content_hash": parsed.content_hash,
        "from_address": parsed.from_address[:254],
        "from_name": parsed.from_name,
        "to_addresses": parsed.to,
        "cc_addresses": parsed.cc,
        "subject": parsed.subject,
        "in_reply_to": parsed.in_reply_to,
        "references": parsed.references,
        "sent_at": parsed.date or timezone.now(),  # an unreadable Date: the time of receipt
        "headers": parsed.headers,
        "text": parsed.text,
        "html": parsed.html,
        "html_sanitized": sanitize_html(parsed.html),
        "is_automatic": bool(parsed.automatic_reason),
        "raw": raw,
    }


def _decide_in(parsed: ParsedEmail, company: Company, known: Known) -> Decision:
    if known.is_own_address(parsed.from_address):
        return Decision(Status.IGNORED, "own_address")
    if not company.is_active:
        return Decision(Status.IGNORED, "company_inactive")
    automatic = parsed.automatic_reason
    decision = _sender_of(parsed, company, known, automatic=bool(automatic))
    if decision.sender is None:
        reason = f"automatic ({automatic}), unknown sender" if automatic else "unknown_sender"
        return Decision(Status.IGNORED, reason)
    sender, role = decision.sender, known.roles[(company.pk, decision.sender.email)]
    decision.automatic = automatic
    decision.body = parsed.display_text or parsed.title or _("(no text)")
    order, how = order_for(parsed, company=company, sender=sender, role=role, known=known)
    previous_order = None
    # Only the requester's own (human) mail decides the fate of a closed order; anybody
    # else's, or a machine's, is kept on it without reopening it.
    is_requester = order is not None and _same(order.requester, sender)
    if is_requester and order.status == Order.Status.CLOSED and not automatic:
        if company.closed_order_reply == Company.ClosedOrderReply.REOPEN:
            decision.reopened, how = _reopen(order, known), "reopened"
        else:
            previous_order, order, how = order, None, "follow_up"
    if order is not None:
        decision.status, decision.order = Status.JOINED_ORDER, order
        decision.reason = f"{how}; automatic ({automatic}): nobody notified" if automatic else how
        return decision
    if automatic:
        decision.status, decision.reason = Status.IGNORED, f"automatic ({automatic})"
        return decision
    decision.status, decision.reason, decision.creates_order = Status.CREATED_ORDER, how, True
    decision.order = _new_order(parsed, company, sender, decision.body, previous_order)
    known.open_orders[(company.pk, sender.email)] = decision.order
    return decision


def _sender_of(parsed: ParsedEmail, company: Company, known: Known, *, automatic: bool) -> Decision:
    """The sender's account, made a requester of the company when they are not a member
    and the company allows that (a new account when they have none). A machine (bounce,
    auto-reply) never gets an account or a membership: then `sender` is None."""
    address = normalise_address(parsed.from_address)
    decision = Decision(Status.IGNORED, sender=known.users.get(address))
    if (company.pk, address) in known.roles:
        return decision
    if automatic or not company.accepts_new_requesters_by_email:
        return Decision(Status.IGNORED)
    if decision.sender is None:
        user = User(email=address, name=parsed.from_name or address.split("@")[0])
        user.set_unusable_password()  # they take part by e-mail
        decision.sender = decision.new_user = known.users[address] = user
    decision.new_membership = Membership(
        company=company, user=decision.sender, role=Membership.Role.REQUESTER
    )
    known.roles[(company.pk, address)] = Membership.Role.REQUESTER
    return decision


def order_for(
    parsed: ParsedEmail, *, company: Company, sender: User, role: str, known: Known
) -> tuple[Order | None, str]:
    """The order the message belongs to and how it was found, in this order: a Message-ID
    we received or sent, the `[#id]` subject token, the sender's open order. The first
    hint that names an order decides: if the sender is not a participant of it, the
    answer is (None, "not_participant"), a new order, never someone else's."""
    for how, order in (
        ("headers", _order_by_message_ids(parsed.thread_ids, company, known)),
        ("subject", _order_by_subject(parsed.subject, company, known)),
    ):
        if order is not None:
            if is_participant(sender, order, role):
                return order, how
            return None, "not_participant"
    order = known.open_orders.get((company.pk, sender.email))
    return (order, "open_order") if order is not None else (None, "")


def is_participant(user: User, order: Order, company_role: str | None) -> bool:
    """Requester, assignee, or an admin or agent of the order's company."""
    return (
        company_role in PARTICIPANT_ROLES
        or _same(order.requester, user)
        or _same(order.assignee, user)
    )


def _same(person: User | None, user: User) -> bool:
    # By address: an account the batch has not written yet has no primary key.
    return person is not None and person.email == user.email


def _order_by_message_ids(ids: list[str], company: Company, known: Known) -> Order | None:
    for message_id in ids:
        inbound = known.received.get((company.pk, message_id))
        order = _order_of(inbound, known) if inbound is not None else None
        if order is None:
            order_id, order_company = known.sent.get(message_id, (None, None))
            if order_company == company.pk:
                order = known.orders.get(order_id)
        if order is not None:
            return order
    return None


def _order_of(inbound: InboundEmail, known: Known) -> Order | None:
    if inbound.pk is None:  # received earlier in this batch: its order is at hand
        return inbound.order
    return known.orders.get(inbound.order_id)


def _order_by_subject(subject: str, company: Company, known: Known) -> Order | None:
    for token in SUBJECT_TOKEN_RE.findall(subject):
        order = known.orders.get(int(token))
        if order is not None and order.company_id == company.pk:
            return order
    return None


def _reopen(order: Order, known: Known) -> dict:
    """The order as it will be once reopened (`order_reopen_in_memory`), maybe now its
    requester's latest open order. Returns the reopen event's data."""
    changes = order_reopen_in_memory(order)
    key = (order.company_id, order.requester.email)
    current = known.open_orders.get(key)
    if current is None or (
        current.pk is not None and (current.created_at, current.pk) < (order.created_at, order.pk)
    ):
        known.open_orders[key] = order
    return changes


def _new_order(
    parsed: ParsedEmail, company: Company, sender: User, body: str, previous: Order | None
) -> Order:
    return Order(
        company=company,
        requester=sender,
        team=None,
        assignee=None,
        title=parsed.title or _("(no subject)"),
        description=body,
        priority=Order.Priority.MEDIUM,
        channel=Order.Channel.EMAIL,
        previous_order=previous,
    )
