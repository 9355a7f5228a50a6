"""What the e-mails about an order say, word for word: the acknowledgement of an order
opened by e-mail and the notification of a reply, in the recipient's language, with every
value escaped in the HTML part."""

import pytest

from core.models import OutboundEmail
from orders.tests.mail import message, post_json, result_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("inbound_secret")]

HTML_HEAD = (
    '<!DOCTYPE html>\n<html lang="en">\n'
    '<body style="font-family: sans-serif; line-height: 1.5; color: #222;">\n'
)


@pytest.fixture
def desk(tenant, settings):
    settings.SITE_URL = "https://desk.example"
    tenant.company.trading_name = "Souza & Filhos"
    tenant.company.save()
    tenant.admin.name = "Carla <Admin> Dias"
    tenant.admin.language = "pt-br"
    tenant.admin.save()
    return tenant


def test_the_acknowledgement_in_the_new_requesters_language(api_client, desk):
    # given a new sender (English, the default) and a subject with markup in it
    support = desk.company.support_email

    # when their e-mail opens an order
    created = result_of(
        post_json(
            api_client,
            message("Zé Lima <ze@client.example>", support, subject="Impressora  & <scanner>"),
        )
    )

    # then the acknowledgement says so, the HTML part escaped, the text part as written
    number = created["order"]
    ack = OutboundEmail.objects.get(to="ze@client.example")
    assert ack.subject == f"[#{number}] Impressora & <scanner>"  # a header is plain text
    assert ack.body_text == (
        "Hello Zé,\n\n"
        f"We received your request and opened the service order #{number}. "
        "A technician will get back to you.\n\n"
        "To add anything, reply to this e-mail and keep the order number in the subject.\n\n"
        f"Order #{number}: Impressora & <scanner>\n"
        f"https://desk.example/api/v1/orders/{number}\n\n"
        "-- \nSouza & Filhos\n\n"
    )
    assert ack.body_html == (
        f"{HTML_HEAD}<p>Hello Zé,</p>\n"
        f"<p>We received your request and opened the service order #{number}. "
        "A technician will get back to you.</p>\n"
        "<p>To add anything, reply to this e-mail and keep the order number in the subject.</p>\n"
        "<p><strong>Order</strong> "
        f'<a href="https://desk.example/api/v1/orders/{number}">#{number}</a> '
        "Impressora &amp; &lt;scanner&gt;</p>\n"
        '<p style="color: #666;">Souza &amp; Filhos</p>\n'
        "</body>\n</html>\n"
    )


def test_the_notification_of_a_reply_in_the_admins_language(api_client, desk):
    # given an order opened by e-mail
    support = desk.company.support_email
    sender = "Zé Lima <ze@client.example>"
    number = result_of(post_json(api_client, message(sender, support, subject="Scanner")))["order"]

    # when the requester writes again
    result_of(
        post_json(
            api_client,
            message(sender, support, subject="Re: Scanner", text="Vejam <isto>\r\n& aquilo"),
        )
    )

    # then the company's admin (Portuguese) reads who wrote what, and where the order stands
    _created, notification = OutboundEmail.objects.filter(to=desk.admin.email).order_by("pk")
    assert notification.subject == f"[#{number}] Scanner"
    assert notification.body_text == (
        "Olá, Carla,\n\n"
        "Zé Lima escreveu:\n\n\n"
        "Vejam <isto>\n& aquilo\n\n"
        f"Ordem #{number}: Scanner\n"
        "Situação: aberta · Prioridade: média\n"
        f"https://desk.example/api/v1/orders/{number}\n\n"
        "-- \nSouza & Filhos\n\n"
    )
    assert notification.body_html == (
        f"{HTML_HEAD}<p>Olá, Carla,</p>\n"
        "<p>Zé Lima escreveu:\n</p>\n"
        '<blockquote style="border-left: 3px solid #ccc; margin: 0; padding-left: 1em;">'
        "Vejam &lt;isto&gt;<br>&amp; aquilo</blockquote>\n\n"
        '<table style="border-collapse: collapse; margin-top: 1em;">\n'
        '<tr><th align="left">Ordem</th>'
        f'<td><a href="https://desk.example/api/v1/orders/{number}">#{number}</a>'
        " Scanner</td></tr>\n"
        '<tr><th align="left">Situação</th><td>aberta</td></tr>\n'
        '<tr><th align="left">Prioridade</th><td>média</td></tr>\n\n'
        '</table>\n<p style="color: #666;">Souza &amp; Filhos</p>\n'
        "</body>\n</html>\n"
    )
