"""What every e-mail about an order carries so that answers thread back to it, and the
rate limit that keeps automatic mail from feeding a loop with an auto-responder.

One e-mail (`order_email_enqueue`, for changes made through the API) and the e-mails of a
batch of inbound messages (`Outgoing`) follow the same rules: both read an order's thread
with `threads_read`, and the batch keeps what it reads up to date in memory as it writes.
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from itertools import count

from django.conf import settings
from django.db import models, transaction
from django.db.models import Count, Max, Q, Value
from django.utils import timezone

from core.emails import RenderedEmail
from core.models import OutboundEmail
from core.services import new_message_id, outbox_insert, outbox_schedule
from orders.models import InboundEmail, Order, OrderOutboundEmail, SuppressedEmail

# References is capped (the first message and the latest ones), as mail clients do.
MAX_REFERENCES = 20


@dataclass
class Threads:
    """The e-mail threads of some orders: what each received by e-mail (for everybody)
    and what it sent to whom, each entry sorted by when it was written. What the caller
    writes afterwards is added in the order it happens (`received`, `sent`). And how many
    automatic e-mails went to each of `addresses` in the last hour, read for all of them
    when first asked (most single replies never ask)."""

    entries: dict[int, list[tuple[tuple, str, str | None]]]  # order → (when, id, to)
    addresses: set[str] = field(default_factory=set)
    _automatic_read: dict[str, int] | None = None
    _automatic_added: Counter = field(default_factory=Counter)
    _positions: count = field(default_factory=count)

    def headers(self, order: Order, to: str) -> dict[str, str]:
        """In-Reply-To (the latest message of the thread this recipient knows) and
        References (the thread, oldest first: the first and the latest ones)."""
        rows = [row for row in self.entries.get(order.pk, []) if row[2] in (None, to)]
        ids = [message_id for _when, message_id, _to in sorted(rows)]
        if not ids:
            return {}
        if len(ids) > MAX_REFERENCES:
            ids = [ids[0], *ids[-(MAX_REFERENCES - 1) :]]
        return {"In-Reply-To": ids[-1], "References": " ".join(ids)}

    def position(self) -> tuple:
        """A place in the thread after everything read and everything added so far."""
        return (1, next(self._positions))

    def received(self, order: Order, message_id: str, at: tuple | None = None) -> None:
        """The order received this message by e-mail (`at`: where it was written)."""
        if message_id:
            entry = (at or self.position(), message_id, None)
            self.entries.setdefault(order.pk, []).append(entry)

    def sent(self, order: Order, outbound: OutboundEmail) -> None:
        entry = (self.position(), outbound.message_id, outbound.to)
        self.entries.setdefault(order.pk, []).append(entry)
        if outbound.is_automatic:
            self._automatic_added[outbound.to] += 1

    def automatic_this_hour(self, to: str) -> int:
        """Automatic e-mails to this address (one of `addresses`) in the last hour."""
        if self._automatic_read is None:
            self._automatic_read = _automatic_counts(self.addresses)
        return self._automatic_read.get(to, 0) + self._automatic_added[to]


def _automatic_counts(addresses: set[str]) -> dict[str, int]:
    since = timezone.now() - timedelta(hours=1)
    recent = OutboundEmail.objects.filter(
        to__in=addresses, is_automatic=True, created_at__gte=since
    ).order_by()
    return dict(recent.values("to").annotate(sent=Count("pk")).values_list("to", "sent"))


def threads_read(order_ids: list[int], addresses: set[str] = frozenset()) -> Threads:
    """The threads of these orders, in one query; the automatic e-mails each of these
    addresses got in the last hour are read when first asked for."""
    threads = Threads({order_id: [] for order_id in order_ids}, set(addresses))
    if order_ids:
        received = (
            InboundEmail.objects.filter(order__in=order_ids)
            .exclude(message_id="")
            .order_by()
            .values_list("order_id", "created_at", "message_id", Value(None, models.CharField()))
        )
        sent = (
            OrderOutboundEmail.objects.filter(order__in=order_ids)
            .order_by()
            .values_list("order_id", "created_at", "outbound__message_id", "outbound__to")
        )
        for order_id, created_at, message_id, to in received.union(sent, all=True):
            threads.entries[order_id].append(((0, created_at, message_id), message_id, to))
    return threads


def thread_headers(order: Order, recipient_email: str) -> dict[str, str]:
    return threads_read([order.pk]).headers(order, recipient_email)


def order_email_enqueue(
    *,
    order: Order,
    key: str,
    to: str,
    email: RenderedEmail,
    is_automatic: bool,
    rate_limited: bool = True,
    attachments: list[dict[str, str]] | None = None,
) -> OutboundEmail | None:
    """Put an e-mail about the order in the outbox with its own Message-ID, In-Reply-To and
    References into the order's thread and Reply-To the company's support address, and
    link it to the order. An automatic e-mail over the address's hourly limit is recorded
    as suppressed instead (returns None); `rate_limited=False` exempts the company's own
    staff, whose notifications must all arrive. The same `key` again returns the e-mail
    written the first time. Call inside the change's transaction."""
    if is_automatic and rate_limited:
        existing, sent = _key_and_recent_count(key[:200], to)
        if existing is not None:  # an e-mail already written is never suppressed
            return OutboundEmail.objects.get(pk=existing)
        if sent >= settings.EMAIL_AUTOMATIC_MAX_PER_HOUR:
            SuppressedEmail.objects.create(**_suppressed(order, key, to, email))
            return None
    outbound, created = outbox_insert(
        **_outbound(order, key, to, email, is_automatic), attachments=attachments
    )
    if created:
        OrderOutboundEmail.objects.create(outbound=outbound, order=order)
    return outbound


def _key_and_recent_count(key: str, to: str) -> tuple[int | None, int]:
    """The e-mail already written with this key, and how many automatic e-mails went to
    this address in the last hour, in one query."""
    recent = Q(to=to, is_automatic=True, created_at__gte=timezone.now() - timedelta(hours=1))
    found = OutboundEmail.objects.filter(Q(key=key) | recent).aggregate(
        existing=Max("pk", filter=Q(key=key)), sent=Count("pk", filter=recent)
    )
    return found["existing"], found["sent"]


def _outbound(order: Order, key: str, to: str, email: RenderedEmail, is_automatic: bool) -> dict:
    return {
        "key": key,
        "to": to,
        "email": email,
        "reply_to": order.company.support_email or "",
        "headers": thread_headers(order, to),
        "message_id": new_message_id(),
        "is_automatic": is_automatic,
    }


def _suppressed(order: Order, key: str, to: str, email: RenderedEmail) -> dict:
    return {
        "to": to,
        "key": key[:200],
        "subject": email.subject[:300],
        "reason": SuppressedEmail.Reason.RATE_LIMITED,
        "order": order,
    }


@dataclass
class Outgoing:
    """The e-mails about orders that a batch of inbound messages writes, in the order it
    writes them, threaded and rate-limited from `threads` as `order_email_enqueue` does
    from the database; written together by `outgoing_write`. Every key is new (they name
    events and orders the batch created)."""

    threads: Threads
    emails: list[OutboundEmail] = field(default_factory=list)
    links: list[OrderOutboundEmail] = field(default_factory=list)
    suppressed: list[SuppressedEmail] = field(default_factory=list)

    def add(
        self,
        *,
        order: Order,
        key: str,
        to: str,
        email: RenderedEmail,
        is_automatic: bool,
        rate_limited: bool = True,
    ) -> None:
        limit = settings.EMAIL_AUTOMATIC_MAX_PER_HOUR
        if is_automatic and rate_limited and self.threads.automatic_this_hour(to) >= limit:
            self.suppressed.append(SuppressedEmail(**_suppressed(order, key, to, email)))
            return
        outbound = OutboundEmail(
            key=key[:200],
            to=to,
            subject=email.subject[:300],
            body_text=email.text,
            body_html=email.html,
            reply_to=order.company.support_email or "",
            headers=self.threads.headers(order, to),
            message_id=new_message_id(),
            is_automatic=is_automatic,
        )
        self.emails.append(outbound)
        self.links.append(OrderOutboundEmail(outbound=outbound, order=order))
        self.threads.sent(order, outbound)


def outgoing_write(outgoing: Outgoing) -> None:
    """Write the batch's e-mails, their links to the orders and the suppressed ones (three
    statements), and send the e-mails after the commit."""
    OutboundEmail.objects.bulk_create(outgoing.emails)
    OrderOutboundEmail.objects.bulk_create(outgoing.links)
    SuppressedEmail.objects.bulk_create(outgoing.suppressed)
    if outgoing.emails:
        transaction.on_commit(partial(_send, [email.pk for email in outgoing.emails]))


def _send(email_ids: list[int]) -> None:
    for email_id in email_ids:
        outbox_schedule(email_id)
