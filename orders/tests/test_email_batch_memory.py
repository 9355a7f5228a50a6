"""A batch received all at once reads what its messages need once (`routing.known_read`,
`outbound.threads_read`), decides what each message does in memory, each one seeing what
the ones before it decided (`routing.decide`), and writes its rows together, one statement
per table (`services.inbound_batch_write`). None of that may change what a message does:
the same messages, received as one batch and received message by message reading the
database each time (the path a failed batch takes), must leave the same results, orders,
messages, events and e-mails, threading headers included."""

import re

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from companies.models import Company
from core.models import OutboundEmail
from orders.email import services
from orders.models import InboundEmail, Message, Order, OrderEvent, SuppressedEmail
from orders.tests.factories import OrderFactory
from orders.tests.mail import message, post_json

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("inbound_secret")]

NEW = "nina@client.example"
ORDER_ID_RE = re.compile(r"(\[#|/orders/|[Oo]rder #)(\d+)")
STRANGER = "intruder@evil.example"


class _Undo(Exception):
    pass


@pytest.fixture
def world(tenant, settings):
    """The requester's open order (with an e-mail we sent about it) and an older closed
    one; two automatic e-mails already went to the new sender's address this hour."""
    settings.EMAIL_AUTOMATIC_MAX_PER_HOUR = 3
    closed = OrderFactory(
        company=tenant.company,
        requester=tenant.requester,
        team=tenant.team,
        status="closed",
        solution="Replaced the fuser.",
        assignee=tenant.agent,
    )
    order = OrderFactory(company=tenant.company, requester=tenant.requester, team=tenant.team)
    sent = OutboundEmail.objects.create(
        key="sent", to=tenant.requester.email, subject="s", body_text="b", message_id="<sent@us>"
    )
    order.outbound_emails.create(outbound=sent)
    for n in range(2):
        OutboundEmail.objects.create(
            key=f"earlier-{n}", to=NEW, subject="s", body_text="b", message_id=f"<e{n}@us>"
        )
    InboundEmail.objects.create(
        company=tenant.company, message_id="<old@c>", status="ignored", reason="unknown_sender"
    )
    return tenant, order, closed


def _messages(tenant, order: Order, closed: Order) -> list[dict]:
    support, requester = tenant.company.support_email, tenant.requester.email
    return [
        # a new sender opens an order, answers their own message, then writes again
        message(NEW, support, subject="Scanner", message_id="<n1@c>"),
        message(NEW, support, subject="Re: Scanner", in_reply_to="<n1@c>", message_id="<n2@c>"),
        message(NEW, support, subject="Scanner again", text="Still.", message_id="<n3@c>"),
        # the requester answers our e-mail, then the closed order, then writes plainly
        message(requester, support, in_reply_to="<sent@us>", text="Thanks.", message_id="<r1@c>"),
        message(requester, support, subject=f"Re: [#{closed.pk}] x", message_id="<r2@c>"),
        message(requester, support, subject="Hello", text="Plain.", message_id="<r3@c>"),
        message(requester, support, subject=f"[#{closed.pk}] again", message_id="<r4@c>"),
        # the company's agent answers by the subject token
        message(tenant.agent.email, support, subject=f"[#{order.pk}] x", message_id="<g1@c>"),
        # strangers forging our Message-ID start orders of their own; the new sender's
        # second acknowledgement this batch is over the hourly limit
        message(STRANGER, support, in_reply_to="<sent@us>", message_id="<x1@c>"),
        message(NEW, support, in_reply_to="<sent@us>", text="Me too.", message_id="<n4@c>"),
        # an auto-reply is filed and announced to nobody
        message(
            requester,
            support,
            subject="Out of office",
            headers={"Auto-Submitted": "auto-replied"},
            message_id="<a1@c>",
        ),
        # copies of a message received before the batch and of one received in it
        message(requester, support, message_id="<old@c>"),
        message(NEW, support, subject="Scanner", message_id="<n1@c>"),
    ]


def _outcome(api_client, tenant, order, closed, *, straight: bool, monkeypatch) -> dict:
    """Receive the messages as one batch, describe what they left, and undo it all."""
    if not straight:
        monkeypatch.setattr(services, "_may_receive_together", lambda messages: False)
    ids = {model: _last_id(model) for model in (Order, OutboundEmail, InboundEmail)}
    try:
        with transaction.atomic():
            with CaptureQueriesContext(connection) as captured:
                response = post_json(api_client, _messages(tenant, order, closed))
            assert response.status_code == 200, response.content
            outcome = _describe(response.json()["results"], ids, order, closed)
            outcome["savepoints"] = sum(q["sql"].startswith("SAVEPOINT") for q in captured)
            raise _Undo
    except _Undo:
        pass
    monkeypatch.undo()
    return outcome


def _last_id(model) -> int:
    return model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def _describe(results: list[dict], ids: dict, order: Order, closed: Order) -> dict:
    # Ids differ between the two runs: orders and our Message-IDs are named by position.
    new_orders = list(Order.objects.filter(pk__gt=ids[Order]).order_by("pk"))
    names = {order.pk: "order", closed.pk: "closed"}
    names |= {o.pk: f"new {n}" for n, o in enumerate(new_orders)}
    outbound = list(OutboundEmail.objects.filter(pk__gt=ids[OutboundEmail]).order_by("pk"))
    ours = {email.message_id: f"<out {n}>" for n, email in enumerate(outbound)}

    def thread(value: str) -> str:
        return " ".join(ours.get(mid, mid) for mid in value.split())

    def named(text: str) -> str:  # "[#12]", "order #12" and ".../orders/12" name it
        return ORDER_ID_RE.sub(lambda m: m[1] + names.get(int(m[2]), m[2]), text)

    email = User.objects.in_bulk(field_name="pk")
    return {
        "results": [(r["status"], r["reason"], names.get(r["order"])) for r in results],
        "orders": [
            {
                "order": names[o.pk],
                "title": o.title,
                "requester": email[o.requester_id].email,
                "status": o.status,
                "channel": o.channel,
                "previous": names.get(o.previous_order_id),
            }
            for o in Order.objects.filter(pk__in=names).order_by("pk")
        ],
        "messages": [
            (names[m.order_id], email[m.author_id].email, m.body)
            for m in Message.objects.order_by("pk")
        ],
        "events": [
            (names[e.order_id], e.kind, e.actor_id and email[e.actor_id].email)
            for e in OrderEvent.objects.order_by("pk")
        ],
        "emails": [
            {
                "to": e.to,
                "subject": named(e.subject),
                "text": named(e.body_text),
                "automatic": e.is_automatic,
                "reply_to": e.reply_to,
                "in_reply_to": thread(e.headers.get("In-Reply-To", "")),
                "references": thread(e.headers.get("References", "")),
            }
            for e in outbound
        ],
        "suppressed": sorted((s.to, named(s.subject)) for s in SuppressedEmail.objects.all()),
        "inbound": [
            (i.message_id, i.status, i.reason, names.get(i.order_id), bool(i.order_message_id))
            for i in InboundEmail.objects.filter(pk__gt=ids[InboundEmail]).order_by("pk")
        ],
    }


@pytest.mark.parametrize("closed_reply", ["new_order", "reopen"])
def test_one_batch_does_what_the_same_messages_do_one_by_one(
    api_client, world, closed_reply, monkeypatch
):
    tenant, order, closed = world
    Company.objects.filter(pk=tenant.company.pk).update(closed_order_reply=closed_reply)

    batch = _outcome(api_client, tenant, order, closed, straight=True, monkeypatch=monkeypatch)
    one_by_one = _outcome(
        api_client, tenant, order, closed, straight=False, monkeypatch=monkeypatch
    )

    # straight through: one savepoint for the batch instead of one per message
    extra = one_by_one.pop("savepoints") - batch.pop("savepoints")
    assert extra == len(batch["results"]) - 1
    assert batch == one_by_one
    # and what both did is what the messages ask for
    reasons = [(status, reason) for status, reason, _order in batch["results"]]
    # the closed order: a new linked order each time, or reopened once and joined after
    to_closed = (
        [("created", "follow_up")] * 2
        if closed_reply == "new_order"
        else [("joined", "reopened"), ("joined", "subject")]
    )
    assert reasons[:8] == [
        ("created", ""),
        ("joined", "headers"),
        ("joined", "open_order"),
        ("joined", "headers"),
        to_closed[0],
        ("joined", "open_order"),
        to_closed[1],
        ("joined", "subject"),
    ]
    assert reasons[8:10] == [("created", "not_participant")] * 2
    assert batch["results"][10][:1] == ("joined",)
    assert reasons[11:] == [("duplicate", "already received")] * 2
    assert batch["results"][12][2] == "new 0"  # the copy answers with its original's order
    # the new sender's second acknowledgement was one over the hourly limit
    assert [to for to, _subject in batch["suppressed"]] == [NEW]
