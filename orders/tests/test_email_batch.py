"""A JSON batch is one transaction with a savepoint per message: a message that fails is
rolled back alone, and a batch that meets a lock conflict is received again one message at
a time, with nothing of the first attempt left behind."""

import pytest
from django.db import OperationalError

from accounts.models import User
from core.models import OutboundEmail
from orders.email import services
from orders.models import InboundEmail, Order
from orders.tests.mail import message, post_json

pytestmark = pytest.mark.usefixtures("inbound_secret")


@pytest.mark.django_db
def test_a_failing_message_is_rolled_back_alone_and_parked(api_client, tenant, monkeypatch):
    support = tenant.company.support_email
    write = services.inbound_batch_write

    def fail_on_the_second(*, decisions):
        write(decisions=decisions)  # its order, event and e-mails are written, then it fails
        if any(d.order is not None and d.order.title == "Second" for d in decisions):
            raise RuntimeError("disk full")

    monkeypatch.setattr(services, "inbound_batch_write", fail_on_the_second)
    batch = [
        message(f"{name.lower()}@client.example", support, subject=name)
        for name in ("First", "Second", "Third")
    ]

    response = post_json(api_client, batch)

    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["created", "parked", "created"]
    assert results[1]["reason"] == "RuntimeError: disk full"
    assert sorted(Order.objects.values_list("title", flat=True)) == ["First", "Third"]
    # nothing of the failed message survives but its parked row: no account, no e-mail
    assert not User.objects.filter(email="second@client.example").exists()
    assert not OutboundEmail.objects.filter(to="second@client.example").exists()
    assert InboundEmail.objects.get(pk=results[1]["inbound"]).status == "parked"
    # the message after it still found its way, with its own new account
    assert User.objects.filter(email="third@client.example").exists()


@pytest.mark.django_db(transaction=True)
def test_a_lock_conflict_receives_the_batch_again_one_message_at_a_time(
    api_client, tenant, monkeypatch
):
    support = tenant.company.support_email
    receive_all = services._receive_all
    calls = []

    def deadlock_once(messages):
        calls.append(len(messages))
        results = receive_all(messages)  # the whole batch is written, then the commit fails
        if len(calls) == 1:
            raise OperationalError("deadlock detected")
        return results

    monkeypatch.setattr(services, "_receive_all", deadlock_once)
    batch = [message(f"p{n}@client.example", support, subject=f"Order {n}") for n in range(3)]

    response = post_json(api_client, batch)

    assert response.status_code == 200
    assert [r["status"] for r in response.json()["results"]] == ["created"] * 3
    assert calls == [3, 1, 1, 1]
    # the first attempt was rolled back whole: each message is stored exactly once
    assert Order.objects.count() == InboundEmail.objects.count() == 3
    acknowledged = OutboundEmail.objects.filter(to__endswith="@client.example")
    assert sorted(acknowledged.values_list("to", flat=True)) == [
        f"p{n}@client.example" for n in range(3)
    ]
