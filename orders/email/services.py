"""Receiving e-mail: one path for one message and for a batch (a message is a batch of
one). `routing` reads what the messages need and decides what each one does; this module
writes it, table by table, and the e-mails that announce it.

Every message ends as exactly one InboundEmail row (created, joined, ignored or parked) or
as a duplicate of one; none of them is an error the sender sees, because a provider that
gets an error retries the same message forever.
"""

import logging
from dataclasses import asdict, dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, OperationalError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from companies.models import Membership
from core.inserts import insert_unless_conflict
from desk.notifications import watchers_read_once
from desk.services import watchers_add_copied
from orders import notifications
from orders.email import routing
from orders.email.compose import acknowledgement_email
from orders.email.outbound import Outgoing, Threads, outgoing_write, threads_read
from orders.email.parsing import ParsedEmail, UnreadableEmail, parse_mime
from orders.email.routing import DUPLICATE, Decision, Incoming
from orders.files import clean_filename, storage_name
from orders.models import Attachment, InboundEmail, Message, Order, OrderEvent
from orders.services import order_resume, transition_refusal
from sla import services as sla_services
from webhooks.services import webhook_deliveries_enqueue_many

logger = logging.getLogger(__name__)
Status = InboundEmail.Status
Kind = OrderEvent.Kind


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


def inbound_park(*, raw: bytes, reason: str, source: str = "api") -> InboundResult:
    """Keep a message nobody could read, with its raw content, for a person in the admin."""
    inbound = InboundEmail.objects.create(
        status=Status.PARKED, reason=reason[:300], source=source[:30], content_hash="", raw=raw
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
    whole: the batch is first received all at once, and only if one of its messages fails
    is it rolled back and received again one message at a time (`_receive_all`).

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


def _receive_all(messages: list[Incoming]) -> list[InboundResult]:
    # Almost every batch goes through whole, in one savepoint. When a message fails, or a
    # row meets one a concurrent delivery wrote, that attempt is rolled back and each
    # message is received alone, in its own savepoint, so that only the failed one is
    # parked. A batch with attachments goes one at a time from the start: files stored
    # by a rolled-back attempt would stay behind.
    if len(messages) > 1 and _may_receive_together(messages):
        try:
            with transaction.atomic():
                return _receive(messages)
        except OperationalError:
            raise  # a lock conflict or a lost connection: the batch decides (see above)
        except Exception as exc:
            logger.info("Inbound batch received again message by message: %r", exc)
    return [_receive_alone(message) for message in messages]


def _may_receive_together(messages: list[Incoming]) -> bool:
    return not any(message.parsed and message.parsed.attachments for message in messages)


class _Refused(Exception):
    """The message cannot do what it was decided to do (its order changed meanwhile):
    its writes are rolled back and it is recorded as ignored, with the reason."""

    def __init__(self, reason: str, decision: Decision):
        super().__init__(reason)
        self.reason = reason
        self.decision = decision


def _receive_alone(message: Incoming) -> InboundResult:
    failure = None
    for attempt in (1, 2):
        try:
            with transaction.atomic():
                return _receive([message])[0]
        except _Refused as refused:
            with transaction.atomic():
                return _record_refused(message, refused)
        except OperationalError:
            raise  # a lock conflict or a lost connection: the batch decides (see above)
        except IntegrityError as exc:
            # A copy of the message (or its sender's new account) delivered concurrently
            # was written first: read again, and it is a duplicate.
            failure = exc
            if attempt == 1:
                continue
        except Exception as exc:  # a message must never turn into a 500 and a retry storm
            failure = exc
        break
    logger.error("Inbound e-mail could not be handled; parking it", exc_info=failure)
    with transaction.atomic():
        return inbound_park(
            raw=message.raw, reason=f"{type(failure).__name__}: {failure}", source=message.source
        )


def _record_refused(message: Incoming, refused: _Refused) -> InboundResult:
    company = refused.decision.inbound.company
    inbound = InboundEmail(
        **routing.inbound_fields(message.parsed, message.raw, message.source),
        company=company,
        status=Status.IGNORED,
        reason=refused.reason[:300],
    )
    if insert_unless_conflict(inbound):
        return InboundResult(Status.IGNORED, inbound.pk, reason=inbound.reason)
    first = InboundEmail.objects.filter(company=company, message_id=inbound.message_id)
    if not inbound.message_id:
        first = first.filter(content_hash=inbound.content_hash)
    row = first.values("pk", "order_id").first() or {"pk": None, "order_id": None}
    return InboundResult(DUPLICATE, row["pk"], row["order_id"], "already received")


def _receive(messages: list[Incoming]) -> list[InboundResult]:
    """Receive messages in the caller's transaction: read what they need, decide what each
    one does, and write it."""
    known = routing.known_read([m.parsed for m in messages if m.parsed is not None])
    decisions = routing.decide(messages, known)
    inbound_batch_write(decisions=decisions)
    return [_result(decision) for decision in decisions]


def _result(decision: Decision) -> InboundResult:
    if decision.status == DUPLICATE:
        original = decision.original
        return InboundResult(DUPLICATE, original.pk, original.order_id, "already received")
    inbound = decision.inbound
    acted = decision.status in (Status.CREATED_ORDER, Status.JOINED_ORDER)
    return InboundResult(
        decision.status, inbound.pk, inbound.order_id if acted else None, inbound.reason
    )


def inbound_batch_write(*, decisions: list[Decision]) -> None:
    """Write what the messages decided, in the caller's transaction, one statement per
    table: new accounts and memberships, new orders, reopened ones, messages, the
    InboundEmail rows, the orders' events, and the e-mails that announce them. Rows are
    written in the messages' order, so their ids are those a message at a time gives."""
    acting = [decision for decision in decisions if decision.inbound is not None]
    outgoing = Outgoing(_threads_before(acting))
    User.objects.bulk_create([d.new_user for d in acting if d.new_user is not None])
    Membership.objects.bulk_create(
        [d.new_membership for d in acting if d.new_membership is not None]
    )
    Order.objects.bulk_create([d.order for d in acting if d.creates_order])
    for decision in acting:
        if decision.reopened:
            _order_reopen(decision)
    _messages_write(acting)
    InboundEmail.objects.bulk_create([decision.inbound for decision in acting])
    for decision in acting:
        if decision.status == Status.PARKED:
            logger.warning("Parked inbound e-mail %s: %s", decision.inbound.pk, decision.reason)
        elif decision.parsed.attachments and decision.order is not None:
            _store_attachments(decision.inbound, decision.parsed)
    with watchers_read_once({d.order.pk for d in acting if d.order is not None and d.order.pk}):
        written = _events_write(acting)
        _clocks_follow(acting)
        _announce(written, outgoing)
    outgoing_write(outgoing)
    # After the announcements: people copied on a message already have it.
    watchers_add_copied(
        inbound_emails=[
            d.inbound for d in acting if d.status in (Status.CREATED_ORDER, Status.JOINED_ORDER)
        ]
    )


def _clocks_follow(acting: list[Decision]) -> None:
    """What the API's services do to SLA clocks and waiting orders, for e-mail, in a few
    statements per batch: new orders start their clocks, a reopen restarts resolution, a
    support reply is the first response, and the requester's answer takes a waiting order
    back to in progress. Auto-replies answer nothing."""
    created = [d.order for d in acting if d.status == Status.CREATED_ORDER]
    joined = [d for d in acting if d.status == Status.JOINED_ORDER]
    sla_services.order_slas_start(orders=created)
    for decision in joined:
        if decision.reopened:
            sla_services.order_sla_follow(order=decision.order, previous_status=Order.Status.CLOSED)
    answers = [d for d in joined if not d.automatic and d.sender is not None]
    sla_services.order_slas_first_response(
        replies=[(d.order, d.sender) for d in answers], at=timezone.now()
    )
    for decision in answers:
        order = decision.order
        if order.status == Order.Status.WAITING and decision.sender.pk == order.requester_id:
            order_resume(order=order, actor=decision.sender)


def _threads_before(acting: list[Decision]) -> Threads:
    """The threads of the orders the messages join, and the automatic e-mails their
    senders and those orders' requesters got this hour, read before anything is written."""
    joined = {d.order.pk for d in acting if d.status == Status.JOINED_ORDER and d.order.pk}
    people = {d.sender.email for d in acting if d.sender is not None}
    people |= {d.order.requester.email for d in acting if d.order is not None}
    return threads_read(sorted(joined), people)


def _order_reopen(decision: Decision) -> None:
    """`order_reopen` for a message from the requester, its fields already set on the order
    (`order_reopen_in_memory`): a conditional UPDATE, so that an order someone reopened
    meanwhile refuses the message."""
    order = decision.order
    reopened = Order.objects.filter(pk=order.pk, status=Order.Status.CLOSED).update(
        status=order.status,
        solution=order.solution,
        closed_at=order.closed_at,
        updated_at=timezone.now(),
    )
    if not reopened:
        current = Order.objects.get(pk=order.pk)
        raise _Refused(transition_refusal(current, _("reopen")), decision)


def _messages_write(acting: list[Decision]) -> None:
    """The message each joining e-mail adds to its order (its row's `order_message`); the
    orders are touched (`updated_at`), as `order_services.message_add` does."""
    for decision in acting:
        if decision.status == Status.JOINED_ORDER:
            body = decision.body.strip()
            if not body:
                raise _Refused(_("Write something."), decision)
            decision.inbound.order_message = Message(
                order=decision.order,
                author=decision.sender,
                body=body,
                channel=Message.Channel.EMAIL,
            )
    messages = [d.inbound.order_message for d in acting if d.inbound.order_message]
    Message.objects.bulk_create(messages)
    if messages:
        joined = sorted({message.order_id for message in messages})
        Order.objects.filter(pk__in=joined).update(updated_at=timezone.now())


def _events_write(acting: list[Decision]) -> list[tuple[Decision, list[OrderEvent]]]:
    """Each acting message's events on its order, in order: reopened, then created or
    message added."""
    written = []
    for decision in acting:
        order, sender = decision.order, decision.sender
        if decision.status not in (Status.CREATED_ORDER, Status.JOINED_ORDER):
            continue
        own = []
        if decision.reopened:
            data = decision.reopened
            own.append(OrderEvent(order=order, actor=sender, kind=Kind.REOPENED, data=data))
        if decision.creates_order:
            data = {"channel": Order.Channel.EMAIL}
            own.append(OrderEvent(order=order, actor=sender, kind=Kind.CREATED, data=data))
        else:
            data = {"message": decision.inbound.order_message.pk}
            own.append(OrderEvent(order=order, actor=sender, kind=Kind.MESSAGE_ADDED, data=data))
        written.append((decision, own))
    OrderEvent.objects.bulk_create([event for _decision, own in written for event in own])
    webhook_deliveries_enqueue_many(
        events=[
            (event, decision.inbound.order_message if event.kind == Kind.MESSAGE_ADDED else None)
            for decision, own in written
            for event in own
        ]
    )
    return written


def _announce(written: list[tuple[Decision, list[OrderEvent]]], outgoing: Outgoing) -> None:
    """The e-mails about what the messages did, threaded as if each message had been
    received alone: its team hears of a new order and the requester is acknowledged;
    the other side hears of a message (nobody, when a machine wrote it)."""
    threads = outgoing.threads
    for decision, events in written:
        order, message_id = decision.order, decision.inbound.message_id
        at = threads.position()  # the message was recorded before anything it caused
        if decision.creates_order:
            # Announced before the message is linked to it: the team's e-mail answers
            # nothing, the acknowledgement answers the message.
            _notify(outgoing, events[-1])
            threads.received(order, message_id, at)
            email = acknowledgement_email(order=order, recipient=decision.sender)
            key, to = f"order-ack-{order.pk}", decision.sender.email
            outgoing.add(order=order, key=key, to=to, email=email, is_automatic=True)
            continue
        threads.received(order, message_id, at)
        *reopened, added = events
        for event in reopened:
            _notify(outgoing, event)
        if not decision.automatic:
            _notify(outgoing, added, decision.inbound.order_message)


def _notify(outgoing: Outgoing, event: OrderEvent, message: Message | None = None) -> None:
    for email in notifications.event_emails(event, message=message):
        outgoing.add(**email)


def _store_attachments(inbound: InboundEmail, parsed: ParsedEmail) -> None:
    limit = settings.INBOUND_EMAIL_ATTACHMENT_MAX_BYTES
    for attachment in parsed.attachments:
        size = len(attachment.content)
        row = Attachment(
            order=inbound.order,
            message=inbound.order_message,
            source=Attachment.Source.EMAIL,
            email=inbound,
            uploaded_by=inbound.sender,
            filename=clean_filename(attachment.filename),
            content_type=attachment.content_type,
            size=size,
        )
        if size > limit:
            row.is_skipped = True
            row.skip_reason = f"larger than {limit} bytes"
        else:
            row.file.save(storage_name(row.filename), ContentFile(attachment.content), save=False)
        row.save()
