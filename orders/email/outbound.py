"""What every e-mail about an order carries so that answers thread back to it, and the
rate limit that keeps automatic mail from feeding a loop with an auto-responder."""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone

from core.db import insert, placeholders
from core.emails import RenderedEmail
from core.models import OutboundEmail
from core.services import new_message_id, outbox_insert
from orders.models import InboundEmail, Order, OrderOutboundEmail, SuppressedEmail

# References is capped (the first message and the latest ones), as mail clients do.
MAX_REFERENCES = 20


def thread_message_ids(order: Order, recipient_email: str) -> list[str]:
    """Message-IDs of the order's thread as this recipient knows it, oldest first: what
    the order received by e-mail and what was sent to this recipient about it.

    One hand-written query: it runs for every e-mail about an order, and compiling the
    ORM's union of two joined querysets cost more than the query itself. Within
    `threads_read_once()`, the threads it read are answered from memory."""
    batch = _batch.get()
    if batch is not None and order.pk in batch.threads:
        rows = [row[:2] for row in batch.threads[order.pk] if row[2] in (None, recipient_email)]
        return [message_id for _created, message_id in sorted(rows)]
    sql = f"""
        SELECT created_at, message_id FROM {_INBOUND} WHERE order_id = %s AND message_id <> ''
        UNION ALL
        SELECT link.created_at, outbound.message_id
        FROM {_LINK} link JOIN {_OUTBOUND} outbound ON outbound.id = link.outbound_id
        WHERE link.order_id = %s AND outbound.{_TO} = %s
        ORDER BY 1, 2
    """  # noqa: S608 - table names from the models, values as parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, [order.pk, order.pk, recipient_email])
        return [message_id for _created, message_id in cursor.fetchall()]


_INBOUND = InboundEmail._meta.db_table
_LINK = OrderOutboundEmail._meta.db_table
_OUTBOUND = OutboundEmail._meta.db_table
_TO = connection.ops.quote_name(OutboundEmail._meta.get_field("to").column)


# The threads of a batch's orders, every recipient's. (Table and column names from the
# models; the `{…}` are placeholder lists, values go as parameters.)
_THREADS = f"""
    SELECT order_id, created_at, message_id, NULL FROM {_INBOUND}
    WHERE order_id IN ({{orders}}) AND message_id <> ''
    UNION ALL
    SELECT link.order_id, link.created_at, outbound.message_id, outbound.{_TO}
    FROM {_LINK} link JOIN {_OUTBOUND} outbound ON outbound.id = link.outbound_id
    WHERE link.order_id IN ({{orders}})
"""  # noqa: S608

# Automatic e-mails per address in the last hour, for a batch's addresses.
_AUTOMATIC_SINCE = f"""
    SELECT {_TO}, COUNT(*) FROM {_OUTBOUND}
    WHERE {_TO} IN ({{addresses}}) AND is_automatic = %s AND created_at >= %s
    GROUP BY {_TO}
"""  # noqa: S608


def _as_datetime(value) -> datetime:
    # SQLite hands a union's timestamps back as naive UTC text.
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if timezone.is_aware(value) else timezone.make_aware(value, UTC)


class BatchThreads:
    """What a batch of inbound messages reads once instead of once per e-mail it writes:
    the threads of the orders it may join (what each received by e-mail and what it sent
    to whom) and, per address, how many automatic e-mails went there in the last hour.
    What the batch adds is kept up to date as it happens.

    Only for a batch received all or nothing (nothing is forgotten when one message is
    rolled back). An order or an address it did not read is read as usual. An e-mail key
    is taken to be new: a taken one fails the batch's deferred insert, and the batch is
    received again without this memory.
    """

    def __init__(self, order_ids: Iterable[int], addresses: Iterable[str]):
        self.threads: dict[int, list[tuple[datetime, str, str | None]]] = {
            order_id: [] for order_id in order_ids
        }
        self.since = timezone.now() - timedelta(hours=1)
        self.automatic: dict[str, int] = {address: 0 for address in addresses if address}
        with connection.cursor() as cursor:
            if self.threads:
                ids = sorted(self.threads)
                cursor.execute(_THREADS.format(orders=placeholders(ids)), [*ids, *ids])
                for order_id, created_at, message_id, to in cursor.fetchall():
                    created_at = _as_datetime(created_at)
                    self.threads[order_id].append((created_at, message_id, to))
            if self.automatic:
                since = connection.ops.adapt_datetimefield_value(self.since)
                addresses = sorted(self.automatic)
                sql = _AUTOMATIC_SINCE.format(addresses=placeholders(addresses))
                cursor.execute(sql, [*addresses, True, since])
                self.automatic.update(cursor.fetchall())

    def sent(self, order: Order, link: OrderOutboundEmail, outbound: OutboundEmail) -> None:
        if order.pk in self.threads:
            self.threads[order.pk].append((link.created_at, outbound.message_id, outbound.to))
        if outbound.is_automatic and outbound.to in self.automatic:
            self.automatic[outbound.to] += 1


_batch: ContextVar[BatchThreads | None] = ContextVar("batch_threads", default=None)


@contextmanager
def threads_read_once(order_ids: Iterable[int], addresses: Iterable[str]) -> Iterator[None]:
    token = _batch.set(BatchThreads(order_ids, addresses))
    try:
        yield
    finally:
        _batch.reset(token)


def thread_begins(order: Order) -> None:
    """A new order's thread is empty: within `threads_read_once()` it is not read."""
    batch = _batch.get()
    if batch is not None:
        batch.threads.setdefault(order.pk, [])


def thread_received(order: Order, created_at: datetime, message_id: str) -> None:
    """The order received this message by e-mail: it is part of the thread from now on."""
    batch = _batch.get()
    if batch is not None and message_id and order.pk in batch.threads:
        batch.threads[order.pk].append((created_at, message_id, None))


def thread_headers(order: Order, recipient_email: str) -> dict[str, str]:
    ids = thread_message_ids(order, recipient_email)
    if not ids:
        return {}
    if len(ids) > MAX_REFERENCES:
        ids = [ids[0], *ids[-(MAX_REFERENCES - 1) :]]
    return {"In-Reply-To": ids[-1], "References": " ".join(ids)}


def order_email_enqueue(
    *,
    order: Order,
    key: str,
    to: str,
    email: RenderedEmail,
    is_automatic: bool,
    rate_limited: bool = True,
) -> OutboundEmail | None:
    """Put an e-mail about the order in the outbox with its own Message-ID, In-Reply-To and
    References into the order's thread and Reply-To the company's support address, and
    link it to the order. An automatic e-mail over the address's hourly limit is recorded
    as suppressed instead (returns None); `rate_limited=False` exempts the company's own
    staff, whose notifications must all arrive. Call inside the change's transaction."""
    batch = _batch.get()
    if is_automatic and rate_limited:
        # Whether this e-mail was already written, and how many automatic ones the address
        # got in the last hour, in one query: an existing e-mail is never suppressed.
        if batch is not None and to in batch.automatic:
            existing, sent = None, batch.automatic[to]
        else:
            since = timezone.now() - timedelta(hours=1)
            existing, sent = _key_and_recent_count(key[:200], to, since)
        if existing is not None:
            return OutboundEmail.objects.get(pk=existing)
        if sent >= settings.EMAIL_AUTOMATIC_MAX_PER_HOUR:
            SuppressedEmail.objects.create(
                to=to,
                key=key[:200],
                subject=email.subject[:300],
                reason=SuppressedEmail.Reason.RATE_LIMITED,
                order=order,
            )
            return None
    outbound, created = outbox_insert(
        key=key,
        to=to,
        email=email,
        reply_to=order.company.support_email or "",
        headers=thread_headers(order, to),
        message_id=new_message_id(),
        is_automatic=is_automatic,
    )
    if created:
        link = insert(OrderOutboundEmail(outbound=outbound, order=order))
        if batch is not None:
            batch.sent(order, link, outbound)
    return outbound


def _key_and_recent_count(key: str, to: str, since) -> tuple[int | None, int]:
    # Hand-written: it runs for every automatic e-mail to a requester, and the ORM's
    # filtered aggregate cost several times more to build than to run.
    sql = f"""
        SELECT MAX(CASE WHEN "key" = %s THEN id END),
               COUNT(CASE WHEN {_TO} = %s AND is_automatic = %s AND created_at >= %s THEN 1 END)
        FROM {_OUTBOUND}
        WHERE "key" = %s OR ({_TO} = %s AND is_automatic = %s AND created_at >= %s)
    """  # noqa: S608 - table and column names from the models, values as parameters
    since = connection.ops.adapt_datetimefield_value(since)
    with connection.cursor() as cursor:
        cursor.execute(sql, [key, to, True, since, key, to, True, since])
        existing, sent = cursor.fetchone()
    return existing, sent
