"""The e-mail support desk end to end, through the HTTP API and the mail that leaves."""

import pytest
from django.core import mail

from companies.models import Membership
from core.models import OutboundEmail
from orders.models import InboundEmail, Message, Order
from orders.tests.mail import mime, post_mime, result_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("inbound_secret")]

MARIA = "maria@client.example"


def _sent_to(address: str) -> list:
    return [email for email in mail.outbox if email.to == [address]]


def _headers(email) -> dict:
    return {key: str(value) for key, value in email.message().items()}


def test_the_email_support_desk_flow(
    api_client, client_for, tenant, django_capture_on_commit_callbacks
):
    support = tenant.company.support_email
    agent = client_for(tenant.agent)

    # an e-mail creates an order and an acknowledgement is sent
    first_id = "<first.1@client.example>"
    with django_capture_on_commit_callbacks(execute=True):
        response = post_mime(
            api_client,
            mime(
                sender=f"Maria Souza <{MARIA}>",
                to=support,
                subject="Impressora não imprime",
                text="A impressora do 2º andar parou.\n\n-- \nMaria Souza\nFinanceiro",
                message_id=first_id,
            ),
        )
    created = result_of(response)
    order = Order.objects.get(pk=created["order"])
    assert created == {
        "status": "created",
        "inbound": InboundEmail.objects.get(message_id=first_id).pk,
        "order": order.pk,
        "reason": "",
    }
    assert (order.channel, order.title, order.description, order.status) == (
        "email",
        "Impressora não imprime",
        "A impressora do 2º andar parou.",
        "open",
    )
    assert (order.requester.email, order.requester.name) == (MARIA, "Maria Souza")
    assert Membership.objects.get(user=order.requester).role == "requester"
    (ack,) = _sent_to(MARIA)
    ack_row = OutboundEmail.objects.get(to=MARIA)
    assert ack.subject == f"[#{order.pk}] Impressora não imprime"
    assert ack.reply_to == [support]
    assert _headers(ack)["Message-ID"] == ack_row.message_id
    assert _headers(ack)["In-Reply-To"] == first_id
    assert _headers(ack)["References"] == first_id
    assert _headers(ack)["Auto-Submitted"] == "auto-generated"
    assert f"#{order.pk}" in ack.body
    assert [email.to for email in mail.outbox if email is not ack] == [[tenant.admin.email]]

    # a second e-mail from the same person joins it (her open order)
    mail.outbox.clear()
    second_id = "<second.2@client.example>"
    with django_capture_on_commit_callbacks(execute=True):
        joined = result_of(
            post_mime(
                api_client,
                mime(
                    sender=MARIA,
                    to=support,
                    subject="Esqueci",
                    text="É a HP LaserJet.",
                    message_id=second_id,
                ),
            )
        )
    assert (joined["status"], joined["order"]) == ("joined", order.pk)
    assert list(order.messages.values_list("body", "channel", "author__email")) == [
        ("É a HP LaserJet.", "email", MARIA)
    ]
    assert [email.to for email in mail.outbox] == [[tenant.admin.email]]
    assert _sent_to(MARIA) == []

    # an agent takes it: the requester is told by e-mail
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert agent.post(f"/api/v1/orders/{order.pk}/take").status_code == 200
    (taken,) = _sent_to(MARIA)
    assert taken.subject == f"[#{order.pk}] Impressora não imprime"
    assert _headers(taken)["Auto-Submitted"] == "auto-generated"
    taken_id = _headers(taken)["Message-ID"]

    # the agent replies through the API: e-mailed with the thread's headers
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = agent.post(
            f"/api/v1/orders/{order.pk}/messages", {"body": "Passo aí às 14h."}, format="json"
        )
    assert response.status_code == 201
    (reply,) = _sent_to(MARIA)
    headers = _headers(reply)
    reply_id = headers["Message-ID"]
    assert OutboundEmail.objects.get(message_id=reply_id).order_link.order == order
    assert reply.subject == f"[#{order.pk}] Impressora não imprime"
    assert reply.reply_to == [support]
    assert headers["In-Reply-To"] == taken_id
    assert headers["References"].split() == [
        first_id,
        OutboundEmail.objects.get(key=f"order-ack-{order.pk}").message_id,
        second_id,
        taken_id,
    ]
    assert "Auto-Submitted" not in headers  # a person's words, not a machine's
    assert "Passo aí às 14h." in reply.body

    # the person answers by e-mail: it joins the same order and reaches the technician
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        answered = result_of(
            post_mime(
                api_client,
                mime(
                    sender=MARIA,
                    to=support,
                    subject=f"Re: [#{order.pk}] Impressora não imprime",
                    text="Combinado, obrigada!\n\nEm seg., 23 de nov., Suporte escreveu:\n"
                    "> Passo aí às 14h.",
                    in_reply_to=reply_id,
                    references=f"{first_id} {reply_id}",
                ),
            )
        )
    assert (answered["status"], answered["order"], answered["reason"]) == (
        "joined",
        order.pk,
        "headers",
    )
    assert order.messages.last().body == "Combinado, obrigada!"
    assert [email.to for email in mail.outbox] == [[tenant.agent.email]]

    # the agent closes it: e-mail
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = agent.post(
            f"/api/v1/orders/{order.pk}/close", {"solution": "Fusor trocado."}, format="json"
        )
    assert response.status_code == 200
    closed, rating_request = _sent_to(MARIA)
    assert "Fusor trocado." in closed.body
    assert "/rate/" in rating_request.body

    # the person's next e-mail, even as a reply to the closing one, starts a new order
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        follow_up = result_of(
            post_mime(
                api_client,
                mime(
                    sender=MARIA,
                    to=support,
                    subject=f"Re: [#{order.pk}] Impressora não imprime",
                    text="Parou de novo.",
                    in_reply_to=_headers(closed)["Message-ID"],
                ),
            )
        )
    assert follow_up["status"] == "created"
    new_order = Order.objects.get(pk=follow_up["order"])
    assert new_order.pk != order.pk
    assert (new_order.previous_order, new_order.status, new_order.channel) == (
        order,
        "open",
        "email",
    )
    assert new_order.title == "Impressora não imprime"
    order.refresh_from_db()
    assert order.status == "closed"
    (new_ack,) = _sent_to(MARIA)
    assert new_ack.subject.startswith(f"[#{new_order.pk}] ")
    assert Message.objects.filter(order=new_order).count() == 0
