"""Receiving one e-mail: record it once, find its company, sender and order, and act.

Every message ends as exactly one InboundEmail row (created, joined, ignored or parked) or
as a duplicate of one; none of them is an error the sender sees, because a provider that
gets an error retries the same message forever.
"""

import logging
from dataclasses import asdict, dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _

from accounts.models import User
from companies.models import Company, Membership
from core.emails import render_email
from core.exceptions import DomainError
from orders import services as order_services
from orders.email import routing
from orders.email.outbound import order_email_enqueue
from orders.email.parsing import ParsedEmail, UnreadableEmail, parse_mime, sanitize_html
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


def inbound_park(*, raw: bytes, reason: str, source: str = "api") -> InboundResult:
    """Keep a message nobody could read, with its raw content, for a person in the admin."""
    inbound = InboundEmail.objects.create(
        status=Status.PARKED,
        reason=reason[:300],
        source=source[:30],
        content_hash="",
        raw=raw,
    )
    logger.warning("Parked inbound e-mail %s: %s", inbound.pk, reason)
    return InboundResult(Status.PARKED, inbound.pk, reason=inbound.reason)


def inbound_receive_raw(
    *, raw: bytes, source: str = "api", envelope_recipient: str = ""
) -> InboundResult:
    """Receive one raw MIME message (the webhook's message/rfc822 body, or a provider's)."""
    try:
        parsed = parse_mime(raw, envelope_recipient=envelope_recipient)
    except UnreadableEmail as exc:
        return inbound_park(raw=raw, reason=str(exc), source=source)
    return inbound_receive(parsed=parsed, raw=raw, source=source)


def inbound_receive(*, parsed: ParsedEmail, raw: bytes, source: str = "api") -> InboundResult:
    """Receive one parsed message. Never raises for anything the message contains: a fault
    while handling it parks the message (its raw content kept) instead of failing."""
    try:
        return _receive(parsed, raw, source)
    except Exception as exc:  # a message must never turn into a 500 and a retry storm
        logger.exception("Inbound e-mail could not be handled; parking it")
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
        "sent_at": parsed.date,
        "headers": parsed.headers,
        "text": parsed.text,
        "html": parsed.html,
        "html_sanitized": sanitize_html(parsed.html),
        "is_automatic": bool(parsed.automatic_reason),
        "raw": raw,
    }


@transaction.atomic
def _receive(parsed: ParsedEmail, raw: bytes, source: str) -> InboundResult:
    company = routing.company_for_recipients([*parsed.to, *parsed.cc])
    if company is None:
        inbound = InboundEmail.objects.create(
            **_fields(parsed, raw, source), status=Status.IGNORED, reason="unknown_recipient"
        )
        return InboundResult(Status.IGNORED, inbound.pk, reason=inbound.reason)
    try:
        # The unique constraints make this insert the deduplication: a concurrent copy
        # waits here for the first one's commit, then fails and reports the duplicate.
        with transaction.atomic():
            inbound = InboundEmail.objects.create(
                **_fields(parsed, raw, source), company=company, status=Status.IGNORED
            )
    except IntegrityError:
        return _duplicate_of(company, parsed)
    try:
        with transaction.atomic():
            status, reason, order, message = _act(inbound, parsed, company)
    except DomainError as exc:  # e.g. a service refused; its writes were rolled back
        status, reason, order, message = Status.IGNORED, str(exc.message), None, None
        inbound.sender = None
    inbound.status, inbound.reason = status, reason[:300]
    inbound.order, inbound.order_message = order, message
    inbound.save(
        update_fields=["status", "reason", "order", "order_message", "sender", "updated_at"]
    )
    if status != Status.IGNORED:
        _store_attachments(inbound, parsed)
    return InboundResult(status, inbound.pk, order.pk if order else None, inbound.reason)


def _duplicate_of(company: Company, parsed: ParsedEmail) -> InboundResult:
    rows = InboundEmail.objects.filter(company=company)
    if parsed.message_id:
        rows = rows.filter(message_id=parsed.message_id)
    else:
        rows = rows.filter(message_id="", content_hash=parsed.content_hash)
    first = rows.values("pk", "order_id").first() or {"pk": None, "order_id": None}
    return InboundResult(DUPLICATE, first["pk"], first["order_id"], "already received")


def _act(
    inbound: InboundEmail, parsed: ParsedEmail, company: Company
) -> tuple[str, str, Order | None, Message | None]:
    if routing.is_own_address(parsed.from_address):
        return Status.IGNORED, "own_address", None, None
    if not company.is_active:
        return Status.IGNORED, "company_inactive", None, None
    automatic = parsed.automatic_reason
    sender = _sender_of(parsed, company, automatic=bool(automatic))
    if sender is None:
        reason = f"automatic ({automatic}), unknown sender" if automatic else "unknown_sender"
        return Status.IGNORED, reason, None, None
    inbound.sender = sender
    order, how = routing.order_for(parsed, company=company, sender=sender)
    body = parsed.display_text or parsed.title or _("(no text)")
    previous_order = None
    # Only the requester's own (human) mail decides the fate of a closed order; anybody
    # else's, or a machine's, is kept on it without reopening it.
    is_requester = order is not None and order.requester_id == sender.pk
    if is_requester and order.status == Order.Status.CLOSED and not automatic:
        if company.closed_order_reply == Company.ClosedOrderReply.REOPEN:
            order = order_services.order_reopen(order=order, actor=sender)
            how = "reopened"
        else:
            previous_order, order, how = order, None, "follow_up"
    if order is not None:
        _link(inbound, order)  # first, so the e-mails announcing it answer this message
        message = order_services.message_add(
            order=order,
            author=sender,
            body=body,
            channel=Message.Channel.EMAIL,
            notify=not automatic,
        )
        return Status.JOINED_ORDER, _reason(how, automatic), order, message
    if automatic:
        return Status.IGNORED, f"automatic ({automatic})", None, None
    order = order_services.order_create(
        requester=sender,
        company=company,
        title=parsed.title or _("(no subject)"),
        description=body,
        channel=Order.Channel.EMAIL,
        previous_order=previous_order,
    )
    _link(inbound, order)
    _acknowledge(order, sender)
    return Status.CREATED_ORDER, how, order, None


def _link(inbound: InboundEmail, order: Order) -> None:
    inbound.order = order
    inbound.save(update_fields=["order"])


def _reason(how: str, automatic: str) -> str:
    return f"{how}; automatic ({automatic}): nobody notified" if automatic else how


def _sender_of(parsed: ParsedEmail, company: Company, *, automatic: bool) -> User | None:
    """The sender's account, made a requester of the company when it allows that. A
    machine (bounce, auto-reply) never gets an account or a membership."""
    sender = routing.user_by_address(parsed.from_address)
    if sender is not None and Membership.objects.filter(company=company, user=sender).exists():
        return sender
    if automatic or not company.accepts_new_requesters_by_email:
        return None
    if sender is None:
        name = parsed.from_name or parsed.from_address.split("@")[0]
        try:
            with transaction.atomic():
                sender = User.objects.create_user(parsed.from_address, password=None, name=name)
        except IntegrityError:  # another message from the same new sender got there first
            sender = User.objects.get(email=parsed.from_address)
    Membership.objects.get_or_create(
        company=company, user=sender, defaults={"role": Membership.Role.REQUESTER}
    )
    return sender


def _acknowledge(order: Order, requester: User) -> None:
    email = render_email(
        "orders/email/acknowledgement",
        {"order": order, "recipient": requester, "site_url": settings.SITE_URL},
        language=requester.language,
    )
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
