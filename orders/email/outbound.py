"""What every e-mail about an order carries so that answers thread back to it, and the
rate limit that keeps automatic mail from feeding a loop with an auto-responder."""

from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone

from core.db import insert
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
    ORM's union of two joined querysets cost more than the query itself."""
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
    if is_automatic and rate_limited:
        # Whether this e-mail was already written, and how many automatic ones the address
        # got in the last hour, in one query: an existing e-mail is never suppressed.
        existing, sent = _key_and_recent_count(key[:200], to, timezone.now() - timedelta(hours=1))
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
        insert(OrderOutboundEmail(outbound=outbound, order=order))
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
