"""Which company a message is for, who sent it, and which order it belongs to.

Headers and subject tokens are hints, never identity: a candidate order is accepted only
when the sender takes part in it; otherwise the message starts an order of its own.
"""

import re

from django.conf import settings
from django.db.models import Q
from django.db.models.functions import Lower

from accounts.models import User
from companies.models import Company, Membership
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


def company_for_recipients(addresses: list[str]) -> Company | None:
    """The company whose support address is among the recipients (first one listed wins)."""
    wanted = [base_address(address) for address in addresses if address]
    if not wanted:
        return None
    companies = {
        company.support_lower: company
        for company in Company.objects.annotate(support_lower=Lower("support_email")).filter(
            support_lower__in=wanted
        )
    }
    return next((companies[address] for address in wanted if address in companies), None)


def is_own_address(address: str) -> bool:
    """Mail from one of our addresses (a support address or our sender) is our own echo."""
    address = base_address(address)
    from_address = normalise_address(settings.DEFAULT_FROM_EMAIL.rsplit("<", 1)[-1])
    if address == from_address:
        return True
    return (
        Company.objects.annotate(support_lower=Lower("support_email"))
        .filter(support_lower=address)
        .exists()
    )


def user_by_address(address: str) -> User | None:
    return User.objects.filter(email=normalise_address(address)).first()


def is_participant(user: User, order: Order) -> bool:
    """Requester, assignee, or an admin or agent of the order's company."""
    return bool(order_roles(user, order) & PARTICIPANT_ROLES)


def _order_by_message_ids(company: Company, ids: list[str]) -> Order | None:
    if not ids:
        return None
    received = dict(
        InboundEmail.objects.filter(company=company, message_id__in=ids, order__isnull=False)
        .values_list("message_id", "order_id")
        .order_by("id")
    )
    sent = dict(
        OrderOutboundEmail.objects.filter(
            order__company=company, outbound__message_id__in=ids
        ).values_list("outbound__message_id", "order_id")
    )
    for message_id in ids:  # nearest ancestor first
        order_id = received.get(message_id) or sent.get(message_id)
        if order_id:
            return Order.objects.select_related("company", "team", "requester").get(pk=order_id)
    return None


def _order_by_subject(company: Company, subject: str) -> Order | None:
    for token in SUBJECT_TOKEN_RE.findall(subject):
        order = (
            Order.objects.select_related("company", "team", "requester")
            .filter(company=company, pk=int(token))
            .first()
        )
        if order is not None:
            return order
    return None


def _open_order_of(company: Company, sender: User) -> Order | None:
    return (
        Order.objects.select_related("company", "team", "requester")
        .filter(company=company, requester=sender)
        .filter(Q(status=Order.Status.OPEN) | Q(status=Order.Status.IN_PROGRESS))
        .order_by("-created_at", "-id")
        .first()
    )


def order_for(parsed: ParsedEmail, *, company: Company, sender: User) -> tuple[Order | None, str]:
    """The order the message belongs to and how it was found, in this order: a Message-ID
    we received or sent, the `[#id]` subject token, the sender's open order. The first
    hint that names an order decides: if the sender is not a participant of it, the
    answer is (None, "not_participant"), a new order, never someone else's."""
    for how, candidate in (
        ("headers", lambda: _order_by_message_ids(company, parsed.thread_ids)),
        ("subject", lambda: _order_by_subject(company, parsed.subject)),
    ):
        order = candidate()
        if order is not None:
            if is_participant(sender, order):
                return order, how
            return None, "not_participant"
    order = _open_order_of(company, sender)
    return (order, "open_order") if order else (None, "")
