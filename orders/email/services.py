"""Receiving one e-mail: record it once, find its company, sender and order, and act.

Every message ends as exactly one InboundEmail row (created, joined, ignored or parked) or
as a duplicate of one; none of them is an error the sender sees, because a provider that
gets an error retries the same message forever.
"""

import logging
from contextlib import nullcontext
from dataclasses import asdict, dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import OperationalError, transaction
from django.utils import timezone
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _

from accounts.models import User
from companies.models import Company, Membership
from core.db import WriteFailed, insert, insert_unless_conflict, update_columns, writes_deferred
from core.exceptions import DomainError
from orders import notifications
from orders import services as order_services
from orders.email import routing
from orders.email.compose import acknowledgement_email
from orders.email.outbound import (
    order_email_enqueue,
    thread_received,
    threads_read_once,
)
from orders.email.parsing import (
    ParsedEmail,
    UnreadableEmail,
    normalise_address,
    parse_mime,
    sanitize_html,
)
from orders.models import InboundAttachment, InboundEmail, Message, Order

logger = logging.getLogger(__name__)
Status = InboundEmail.Status
DUPLICATE = "duplicate"


@dataclass(frozen=True)
class InboundResult:
    """What became of one message: `status` is created, joined, ignored, parked or
    duplicate; `inbound` the stored row's id; `order` the order it created or joined."""

    status: str
    inbound: int | None
    order: int | None = None
    reason: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class Incoming:
    """One message as it arrived: its raw content (kept when it must be parked), what the
    parser made of it, or why it could not be read."""

    raw: bytes
    parsed: ParsedEmail | None = None
    unreadable: str = ""
    source: str = "api"


def inbound_park(*, raw: bytes, reason: str, source: str = "api") -> InboundResult:
    """Keep a message nobody could read, with its raw content, for a person in the admin."""
    inbound = insert(
        InboundEmail(
            status=Status.PARKED, reason=reason[:300], source=source[:30], content_hash="", raw=raw
        )
    )
    logger.warning("Parked inbound e-mail %s: %s", inbound.pk, reason)
    return InboundResult(Status.PARKED, inbound.pk, reason=inbound.reason)


def inbound_receive_raw(
    *, raw: bytes, source: str = "api", envelope_recipient: str = ""
) -> InboundResult:
    """Receive one raw MIME message (the webhook's message/rfc822 body, or a provider's)."""
    return inbound_receive_many([incoming_from_raw(raw, source, envelope_recipient)])[0]


def incoming_from_raw(raw: bytes, source: str = "api", envelope_recipient: str = "") -> Incoming:
    try:
        parsed = parse_mime(raw, envelope_recipient=envelope_recipient)
    except UnreadableEmail as exc:
        return Incoming(raw=raw, unreadable=str(exc), source=source)
    return Incoming(raw=raw, parsed=parsed, source=source)


def inbound_receive(*, parsed: ParsedEmail, raw: bytes, source: str = "api") -> InboundResult:
    """Receive one parsed message. Never raises for anything the message contains: a fault
    while handling it parks the message (its raw content kept) instead of failing."""
    return inbound_receive_many([Incoming(raw=raw, parsed=parsed, source=source)])[0]


def inbound_receive_many(messages: list[Incoming]) -> list[InboundResult]:
    """Receive a batch of messages, one result each, in the order given.

    The batch is one transaction (one commit, which is what a message costs most on a real
    disk). A message that fails is rolled back alone and parked, the others are kept
    whole: the batch is first received straight through, and only if one of its messages
    fails is it rolled back and received again with each message in its own savepoint
    (`_receive_all`). Companies, senders and memberships are read once for the batch
    (`routing.Directory`).

    If the batch meets a lock conflict (a deadlock with another batch holding the same
    messages or orders), it is rolled back whole and every message is received again in
    its own transaction, so the outcome is the same as one message at a time.
    """
    if not messages:
        return []
    try:
        with transaction.atomic(), notifications.people_read_once():
            return _receive_all(messages)
    except OperationalError:
        if len(messages) == 1 or transaction.get_connection().in_atomic_block:
            raise
        logger.warning("Inbound batch met a lock conflict; receiving its messages one by one")
        results = []
        for message in messages:
            with transaction.atomic():
                results.extend(_receive_all([message]))
        return results


class _Retry(Exception):
    """A message failed in a batch received without a savepoint per message."""


def _receive_all(messages: list[Incoming]) -> list[InboundResult]:
    # Almost every batch goes through whole, so it is first received without a savepoint
    # per message (two statements fewer each), inside one savepoint for the batch, with
    # its rows queued and written together (`writes_deferred`). When a message fails, or
    # the rows cannot be written, that attempt is rolled back and the batch is received
    # again with a savepoint per message, so that only the failed one is parked. A batch
    # with attachments goes straight to savepoints: files stored by a rolled-back attempt
    # would stay behind.
    if _may_receive_straight(messages):
        # A single message reads and writes as it goes: reading ahead and taking ids ahead
        # would cost it more round trips than they save.
        together = len(messages) > 1
        try:
            with transaction.atomic(), writes_deferred() if together else nullcontext():
                directory = _directory(messages, read_orders=together)
                with _threads_read_once(directory) if together else nullcontext():
                    return [_receive_straight(message, directory) for message in messages]
        except (_Retry, WriteFailed) as exc:
            logger.info("Inbound batch received again message by message: %r", exc.__cause__)
    directory = _directory(messages)
    return [_receive_isolated(message, directory) for message in messages]


def _may_receive_straight(messages: list[Incoming]) -> bool:
    return not any(message.parsed and message.parsed.attachments for message in messages)


def _directory(messages: list[Incoming], *, read_orders: bool = False) -> routing.Directory:
    parsed = [m.parsed for m in messages if m.parsed is not None]
    return routing.Directory(parsed, read_orders=read_orders)


def _threads_read_once(directory: routing.Directory):
    # The threads of the orders the batch may join, and the automatic e-mails of the
    # people it may write to: its senders and those orders' requesters.
    orders = directory.orders.orders.values()
    addresses = {*directory.senders, *(order.requester.email for order in orders)}
    return threads_read_once([order.pk for order in orders], addresses)


class _Refused(Exception):
    """A service refused the message's action: its writes are rolled back and the message
    is recorded as ignored, with the reason."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _receive_straight(message: Incoming, directory: routing.Directory) -> InboundResult:
    if message.parsed is None:
        return inbound_park(raw=message.raw, reason=message.unreadable, source=message.source)
    try:
        result = _receive(message.parsed, message.raw, message.source, directory)
    except OperationalError:
        raise  # a lock conflict or a lost connection: the batch decides (see above)
    except Exception as exc:  # refused or failed: the batch is received again, isolated
        raise _Retry from exc
    directory.keep()
    return result


def _receive_isolated(message: Incoming, directory: routing.Directory) -> InboundResult:
    if message.parsed is None:
        with transaction.atomic():
            return inbound_park(raw=message.raw, reason=message.unreadable, source=message.source)
    parsed, raw, source = message.parsed, message.raw, message.source
    try:
        with transaction.atomic():
            result = _receive(parsed, raw, source, directory)
        directory.keep()
        return result
    except _Refused as refused:
        directory.forget()
        with transaction.atomic():
            return _record_refused(parsed, raw, source, directory, refused.reason)
    except OperationalError:
        directory.forget()
        raise  # a lock conflict or a lost connection: the batch decides (see above)
    except Exception as exc:  # a message must never turn into a 500 and a retry storm
        directory.forget()
        logger.exception("Inbound e-mail could not be handled; parking it")
        with transaction.atomic():
            return inbound_park(raw=raw, reason=f"{type(exc).__name__}: {exc}", source=source)


def _fields(parsed: ParsedEmail, raw: bytes, source: str) -> dict:
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


def _receive(
    parsed: ParsedEmail, raw: bytes, source: str, directory: routing.Directory
) -> InboundResult:
    company = directory.company_for_recipients([*parsed.to, *parsed.cc])
    if company is None:
        inbound = insert(
            InboundEmail(
                **_fields(parsed, raw, source), status=Status.IGNORED, reason="unknown_recipient"
            )
        )
        return InboundResult(Status.IGNORED, inbound.pk, reason=inbound.reason)
    if directory.orders is not None:
        earlier = directory.orders.received_before(company, parsed.message_id)
        if earlier is not None:
            return InboundResult(DUPLICATE, earlier.pk, earlier.order_id, "already received")
    try:
        plan = _plan(parsed, company, directory)
    except DomainError as exc:  # e.g. a service refused: roll the message back, record why
        raise _Refused(str(exc.message)) from exc
    # The unique constraints make this insert the deduplication: a concurrent copy waits
    # here for the first one's commit, then inserts nothing and reports the duplicate.
    # Everything before it only reads, or creates the sender's account and membership
    # (which a copy finds already there); nothing the message does happens before it.
    inbound = InboundEmail(
        **_fields(parsed, raw, source),
        company=company,
        sender=plan.sender,
        order=plan.order,  # linked first, so the e-mails announcing it answer this message
        status=plan.status,
        reason=plan.reason[:300],
    )
    if not insert_unless_conflict(inbound):
        return _duplicate_of(company, parsed)
    if directory.orders is not None:
        directory.orders.recorded(inbound)
    if plan.status == Status.IGNORED:
        return InboundResult(Status.IGNORED, inbound.pk, reason=inbound.reason)
    try:
        _carry_out(plan, inbound, parsed, company, directory.orders)
    except DomainError as exc:
        raise _Refused(str(exc.message)) from exc
    _store_attachments(inbound, parsed)
    order = inbound.order
    return InboundResult(inbound.status, inbound.pk, order.pk if order else None, inbound.reason)


def _record_refused(
    parsed: ParsedEmail, raw: bytes, source: str, directory: routing.Directory, reason: str
) -> InboundResult:
    company = directory.company_for_recipients([*parsed.to, *parsed.cc])
    inbound = InboundEmail(
        **_fields(parsed, raw, source), company=company, status=Status.IGNORED, reason=reason[:300]
    )
    if not insert_unless_conflict(inbound):
        return _duplicate_of(company, parsed)
    return InboundResult(Status.IGNORED, inbound.pk, reason=inbound.reason)


def _duplicate_of(company: Company, parsed: ParsedEmail) -> InboundResult:
    rows = InboundEmail.objects.filter(company=company)
    if parsed.message_id:
        rows = rows.filter(message_id=parsed.message_id)
    else:
        rows = rows.filter(message_id="", content_hash=parsed.content_hash)
    first = rows.values("pk", "order_id").first() or {"pk": None, "order_id": None}
    return InboundResult(DUPLICATE, first["pk"], first["order_id"], "already received")


@dataclass
class _Plan:
    """What a message will do, decided before it is recorded: ignored (and why), join
    `order` (reopening it first when `reopen`), or open a new order."""

    status: str
    reason: str
    sender: User | None = None
    role: str | None = None
    order: Order | None = None
    previous_order: Order | None = None
    reopen: bool = False
    automatic: str = ""


def _plan(parsed: ParsedEmail, company: Company, directory: routing.Directory) -> _Plan:
    if directory.is_own_address(parsed.from_address):
        return _Plan(Status.IGNORED, "own_address")
    if not company.is_active:
        return _Plan(Status.IGNORED, "company_inactive")
    automatic = parsed.automatic_reason
    sender, role, is_new = _sender_of(parsed, company, directory, automatic=bool(automatic))
    if sender is None:
        reason = f"automatic ({automatic}), unknown sender" if automatic else "unknown_sender"
        return _Plan(Status.IGNORED, reason)
    order, how = routing.order_for(
        parsed,
        company=company,
        sender=sender,
        company_role=role,
        is_new_sender=is_new,
        orders=directory.orders,
    )
    previous_order, reopen = None, False
    # Only the requester's own (human) mail decides the fate of a closed order; anybody
    # else's, or a machine's, is kept on it without reopening it.
    is_requester = order is not None and order.requester_id == sender.pk
    if is_requester and order.status == Order.Status.CLOSED and not automatic:
        if company.closed_order_reply == Company.ClosedOrderReply.REOPEN:
            reopen, how = True, "reopened"
        else:
            previous_order, order, how = order, None, "follow_up"
    if order is not None:
        return _Plan(
            Status.JOINED_ORDER,
            _reason(how, automatic),
            sender,
            role,
            order=order,
            reopen=reopen,
            automatic=automatic,
        )
    if automatic:
        return _Plan(Status.IGNORED, f"automatic ({automatic})", sender)
    return _Plan(Status.CREATED_ORDER, how, sender, role, previous_order=previous_order)


def _carry_out(
    plan: _Plan,
    inbound: InboundEmail,
    parsed: ParsedEmail,
    company: Company,
    orders: routing.BatchOrders | None,
) -> None:
    body = parsed.display_text or parsed.title or _("(no text)")
    sender = plan.sender
    if plan.order is not None:
        order = plan.order
        thread_received(order, inbound.created_at, inbound.message_id)
        if plan.reopen:
            order = order_services.order_reopen(order=order, actor=sender)
            if orders is not None:
                orders.reopened(order)
        inbound.order_message = order_services.message_add_within_savepoint(
            order=order,
            author=sender,
            body=body,
            channel=Message.Channel.EMAIL,
            notify=not plan.automatic,
        )
        update_columns(inbound, ["order_message"])
        return
    order = order_services.order_create_within_savepoint(
        requester=sender,
        company=company,
        title=parsed.title or _("(no subject)"),
        description=body,
        channel=Order.Channel.EMAIL,
        previous_order=plan.previous_order,
        requester_role=plan.role,
    )
    if orders is not None:
        orders.created(order)
    inbound.order = order
    update_columns(inbound, ["order"])
    thread_received(order, inbound.created_at, inbound.message_id)
    _acknowledge(order, sender)


def _reason(how: str, automatic: str) -> str:
    return f"{how}; automatic ({automatic}): nobody notified" if automatic else how


def _sender_of(
    parsed: ParsedEmail, company: Company, directory: routing.Directory, *, automatic: bool
) -> tuple[User | None, str | None, bool]:
    """The sender's account and role in the company (made a requester when the company
    allows that), and whether this message created the account. A machine (bounce,
    auto-reply) never gets an account or a membership."""
    sender = directory.user(parsed.from_address)
    role = directory.role(company, sender) if sender is not None else None
    if role is not None:
        return sender, role, False
    if automatic or not company.accepts_new_requesters_by_email:
        return None, None, False
    is_new = False
    if sender is None:
        address = normalise_address(parsed.from_address)
        sender = User(email=address, name=parsed.from_name or address.split("@")[0])
        sender.set_unusable_password()  # they take part by e-mail
        # Another message from the same new sender may have got there first.
        is_new = insert_unless_conflict(sender)
        if not is_new:
            sender = User.objects.get(email=address)
        directory.add_user(sender)
    membership = Membership(company=company, user=sender, role=Membership.Role.REQUESTER)
    if insert_unless_conflict(membership):
        role = membership.role
    else:  # a member already, concurrently made
        role = Membership.objects.filter(company=company, user=sender).values_list(
            "role", flat=True
        )[0]
    directory.add_role(company, sender, role)
    return sender, role, is_new


def _acknowledge(order: Order, requester: User) -> None:
    email = acknowledgement_email(order=order, recipient=requester)
    order_email_enqueue(
        order=order,
        key=f"order-ack-{order.pk}",
        to=requester.email,
        email=email,
        is_automatic=True,
    )


def _store_attachments(inbound: InboundEmail, parsed: ParsedEmail) -> None:
    limit = settings.INBOUND_EMAIL_ATTACHMENT_MAX_BYTES
    for attachment in parsed.attachments:
        size = len(attachment.content)
        row = InboundAttachment(
            email=inbound,
            filename=attachment.filename,
            content_type=attachment.content_type,
            size=size,
        )
        if size > limit:
            row.is_skipped = True
            row.skip_reason = f"larger than {limit} bytes"
        else:
            name = get_valid_filename(attachment.filename) or "attachment"
            row.file.save(name, ContentFile(attachment.content), save=False)
        row.save()
