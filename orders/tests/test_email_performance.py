"""What receiving e-mail costs the database. A batch costs a fixed number of SQL
statements whatever its length: it reads once what its messages need and writes its rows
together, one statement per table (on SQLite a long batch's rows take a few statements
per table). The throughput target (100 messages a second into one process, in batches of
100) rests on these budgets; `manage.py bench_inbound_email` measures the rest."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.models import OutboundEmail
from orders.models import InboundEmail, Message, Order
from orders.tests.mail import message, post_json

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("inbound_secret")]

# PostgreSQL: SQL statements per request of 10 to 80 messages (measured: 21 to 24). The
# signature's record and the savepoints; the reads of companies, senders, memberships,
# what was received and sent, open orders, orders, threads, recent e-mails and the
# team's people; the rows, one statement per table.
BATCH_BUDGET = 34
# Elsewhere: SQL statements per message, savepoints included, in batches of 10 to 80
# (measured on SQLite: 0.3 to 1.9).
NEW_SENDER_NEW_ORDER_BUDGET = 12  # account, membership, order, event, 2 e-mails
REPLY_BUDGET = 9  # message, event, order touched, the e-mail to the company's admin
# The benchmark's mix: a fifth of the messages open orders, the rest reply.
MIX_BUDGET = 9


def _rows_written_together() -> bool:
    return connection.vendor == "postgresql"


def _batch(support: str, senders: int, replies_per_sender: int, start: int = 0) -> list[dict]:
    first = [
        message(f"person{n}@client.example", support, message_id=f"<first.{n}@client.example>")
        for n in range(start, start + senders)
    ]
    replies = [
        message(
            f"person{n}@client.example",
            support,
            subject="Re: Printer broken",
            text=f"Reply {r}.",
            message_id=f"<reply.{n}.{r}@client.example>",
            # every other reply is threaded by In-Reply-To, the rest by the open order
            **({"in_reply_to": f"<first.{n}@client.example>"} if r % 2 else {}),
        )
        for r in range(replies_per_sender)
        for n in range(start, start + senders)
    ]
    return first + replies


def _statements(api_client, batch: list[dict]) -> tuple[int, list[dict]]:
    with CaptureQueriesContext(connection) as captured:
        response = post_json(api_client, batch)
    assert response.status_code == 200, response.content
    # The request's own statements: the signature record and the batch's reads of
    # companies, senders and memberships (and the test's outer transaction's savepoint).
    return len(captured), response.json()["results"]


def test_a_batch_costs_a_bounded_number_of_statements(api_client, tenant):
    support = tenant.company.support_email

    small, results = _statements(api_client, _batch(support, senders=4, replies_per_sender=4))
    large, more = _statements(
        api_client, _batch(support, senders=16, replies_per_sender=4, start=100)
    )

    statuses = [result["status"] for result in results + more]
    assert statuses.count("created") == 20 and statuses.count("joined") == 80
    assert {result["reason"] for result in more if result["status"] == "joined"} == {
        "headers",
        "open_order",
    }
    assert Order.objects.count() == 20 and Message.objects.count() == 80
    assert InboundEmail.objects.filter(status="joined").count() == 80
    # every order: its team hears of it and of each reply, the requester is acknowledged
    assert OutboundEmail.objects.count() >= 20 * 2 + 80
    if _rows_written_together():
        assert small <= BATCH_BUDGET and large <= BATCH_BUDGET, (small, large)
        assert large / 80 < small / 20 / 3  # four times the messages, not 4/3 the cost
    else:
        assert small / 20 <= MIX_BUDGET and large / 80 <= MIX_BUDGET, (small / 20, large / 80)
        # per message, a long batch costs no more than a short one
        assert large / 80 <= small / 20


def test_statements_per_new_order_and_per_reply(api_client, tenant):
    support = tenant.company.support_email
    post_json(api_client, [message("warmup@client.example", support)])  # reads, once

    new, _ = _statements(api_client, _batch(support, senders=10, replies_per_sender=0))
    replies, results = _statements(
        api_client,
        [message(f"person{n}@client.example", support, text=f"Again {n}.") for n in range(10)],
    )

    assert {result["status"] for result in results} == {"joined"}
    if _rows_written_together():
        assert new <= BATCH_BUDGET and replies <= BATCH_BUDGET, (new, replies)
    else:
        # the per-request statements (signature, the reads) are shared by the batch
        assert (new - 5) / 10 <= NEW_SENDER_NEW_ORDER_BUDGET, new
        assert (replies - 5) / 10 <= REPLY_BUDGET, replies
