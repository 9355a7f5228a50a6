import pytest
from django.core import mail

from orders.models import Message
from orders.tests.factories import MessageFactory

pytestmark = pytest.mark.django_db


def messages_url(order):
    return f"/api/v1/orders/{order.id}/messages"


def test_agent_reply_is_emailed_to_the_requester(
    client_for, tenant, in_progress_order, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(in_progress_order.assignee).post(
            messages_url(in_progress_order), {"body": "Arriving at 3 pm."}
        )

    assert response.status_code == 201
    assert response.data["is_internal"] is False
    assert [m.to[0] for m in mail.outbox] == [tenant.requester.email]
    sent = mail.outbox[0]
    assert "Arriving at 3 pm." in sent.body
    assert sent.subject == f"[#{in_progress_order.id}] {in_progress_order.title}"
    assert sent.reply_to == [tenant.company.support_email]
    assert "Auto-Submitted" not in sent.extra_headers  # a person wrote it


def test_requester_reply_goes_to_the_technician(
    client_for, tenant, in_progress_order, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client_for(tenant.requester).post(messages_url(in_progress_order), {"body": "Thanks!"})

    assert [m.to[0] for m in mail.outbox] == [in_progress_order.assignee.email]


def test_internal_notes_are_hidden_from_requesters_and_not_emailed(
    client_for, tenant, in_progress_order, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        note = client_for(tenant.agent).post(
            messages_url(in_progress_order), {"body": "Needs a new fuser", "is_internal": True}
        )
    MessageFactory(order=in_progress_order, author=tenant.requester, body="Any news?")

    as_requester = client_for(tenant.requester).get(messages_url(in_progress_order))
    as_agent = client_for(tenant.agent).get(messages_url(in_progress_order))
    requester_events = client_for(tenant.requester).get(
        f"/api/v1/orders/{in_progress_order.id}/events"
    )

    assert note.status_code == 201
    assert mail.outbox == []
    assert [row["body"] for row in as_requester.data["results"]] == ["Any news?"]
    assert [row["body"] for row in as_agent.data["results"]] == ["Needs a new fuser", "Any news?"]
    assert requester_events.data["count"] == 0


def test_requester_cannot_write_internal_notes(client_for, tenant, order):
    response = client_for(tenant.requester).post(
        messages_url(order), {"body": "x", "is_internal": True}
    )

    assert response.status_code == 403
    assert not Message.objects.exists()


def test_empty_message_is_400(client_for, tenant, order):
    response = client_for(tenant.agent).post(messages_url(order), {"body": "  "})

    assert response.status_code == 400
    assert not Message.objects.exists()


def test_message_list_query_budget(client_for, tenant, order, django_assert_max_num_queries):
    MessageFactory.create_batch(30, order=order, author=tenant.agent)
    client = client_for(tenant.agent)

    with django_assert_max_num_queries(6):
        response = client.get(messages_url(order), {"page_size": 100})

    assert response.data["count"] == 30


def test_event_list_query_budget(client_for, tenant, order, django_assert_max_num_queries):
    admin = client_for(tenant.admin)
    for priority in ["high", "low"] * 10:
        admin.post(f"/api/v1/orders/{order.id}/priority", {"priority": priority})

    with django_assert_max_num_queries(6):
        response = admin.get(f"/api/v1/orders/{order.id}/events", {"page_size": 100})

    assert response.data["count"] == 20


def test_email_in_the_recipients_language(
    client_for, tenant, in_progress_order, django_capture_on_commit_callbacks
):
    tenant.requester.language = "pt-br"
    tenant.requester.save()

    with django_capture_on_commit_callbacks(execute=True):
        client_for(in_progress_order.assignee).post(
            f"/api/v1/orders/{in_progress_order.id}/close", {"solution": "Trocado."}
        )

    assert "Olá" in mail.outbox[0].body
    assert "Solução" in mail.outbox[0].body


def _headers(email) -> dict:
    return {key: str(value) for key, value in email.message().items()}


def _reply(client, order, django_capture_on_commit_callbacks, **body):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(messages_url(order), {"body": "Passo aí amanhã.", **body}, format="json")


def test_an_agents_reply_carries_its_own_subject_and_keeps_the_thread(
    api_client,
    client_for,
    tenant,
    in_progress_order,
    inbound_secret,
    django_capture_on_commit_callbacks,
):
    from orders.models import InboundEmail, Order
    from orders.tests.factories import OrderFactory
    from orders.tests.mail import mime, post_mime, result_of

    agent = client_for(in_progress_order.assignee)
    _reply(agent, in_progress_order, django_capture_on_commit_callbacks)
    (plain,) = mail.outbox
    mail.outbox.clear()

    response = _reply(
        agent,
        in_progress_order,
        django_capture_on_commit_callbacks,
        subject="  Visita técnica amanhã às 9h  ",
    )

    assert response.status_code == 201
    assert response.data["subject"] == "Visita técnica amanhã às 9h"
    assert Message.objects.get(pk=response.data["id"]).subject == "Visita técnica amanhã às 9h"
    (sent,) = mail.outbox
    assert sent.to == [tenant.requester.email]
    assert sent.subject == f"[#{in_progress_order.id}] Visita técnica amanhã às 9h"
    headers = _headers(sent)
    assert headers["In-Reply-To"] == _headers(plain)["Message-ID"]
    assert headers["References"].split() == [_headers(plain)["Message-ID"]]
    listed = client_for(tenant.requester).get(messages_url(in_progress_order)).data["results"]
    assert [row["subject"] for row in listed] == ["", "Visita técnica amanhã às 9h"]

    # the customer answers that e-mail: it joins the same order, by its headers...
    mail.outbox.clear()
    newer = OrderFactory(company=tenant.company, requester=tenant.requester)  # also open
    answer = result_of(
        post_mime(
            api_client,
            mime(
                sender=tenant.requester.email,
                to=tenant.company.support_email,
                subject=f"Re: {sent.subject}",
                text="Combinado, estarei lá.",
                in_reply_to=headers["Message-ID"],
                references=f"{headers['References']} {headers['Message-ID']}",
            ),
        )
    )
    # ...and by the order's tag alone, when a mail client drops the headers
    tag_only = result_of(
        post_mime(
            api_client,
            mime(
                sender=tenant.requester.email,
                to=tenant.company.support_email,
                subject=f"RES: {sent.subject}",
                text="Levo a nota fiscal.",
            ),
        )
    )

    assert (answer["status"], answer["order"]) == ("joined", in_progress_order.id)
    assert (tag_only["status"], tag_only["order"]) == ("joined", in_progress_order.id)
    assert list(
        Message.objects.filter(order=in_progress_order, channel="email").values_list(
            "body", flat=True
        )
    ) == ["Combinado, estarei lá.", "Levo a nota fiscal."]
    assert not newer.messages.exists()
    assert InboundEmail.objects.filter(order=in_progress_order).count() == 2
    listed = client_for(tenant.requester).get(messages_url(in_progress_order)).data["results"]
    assert [row["subject"] for row in listed] == [
        "",
        "Visita técnica amanhã às 9h",
        f"Re: {sent.subject}",
        f"RES: {sent.subject}",
    ]
    assert Order.objects.get(pk=in_progress_order.pk).title == in_progress_order.title


def test_a_reply_without_subject_uses_the_orders_subject(
    client_for, tenant, in_progress_order, django_capture_on_commit_callbacks
):
    for body in ({}, {"subject": ""}, {"subject": "   "}):
        mail.outbox.clear()
        response = _reply(
            client_for(in_progress_order.assignee),
            in_progress_order,
            django_capture_on_commit_callbacks,
            **body,
        )
        assert response.status_code == 201
        assert response.data["subject"] == ""
        assert mail.outbox[0].subject == f"[#{in_progress_order.id}] {in_progress_order.title}"


def test_the_orders_tag_is_never_repeated_in_a_subject(
    client_for, tenant, in_progress_order, django_capture_on_commit_callbacks
):
    token = f"[#{in_progress_order.id}]"

    response = _reply(
        client_for(in_progress_order.assignee),
        in_progress_order,
        django_capture_on_commit_callbacks,
        subject=f"Sobre {token} e o [#99999]",
    )

    assert response.status_code == 201
    assert mail.outbox[0].subject == f"{token} Sobre e o [#99999]"


@pytest.mark.parametrize(
    "subject",
    [
        "Visita\r\nBcc: everyone@example.com",
        "Visita\nBcc: everyone@example.com",
        "Visita\rBcc: everyone@example.com",
        "Visita amanhã\r\n",
        "Visita\u2028amanhã",
        "Visita\x00amanhã",
        "Visita\tamanhã",
    ],
)
def test_a_subject_with_a_line_break_or_control_character_is_400(
    client_for, tenant, in_progress_order, django_capture_on_commit_callbacks, subject
):
    response = _reply(
        client_for(in_progress_order.assignee),
        in_progress_order,
        django_capture_on_commit_callbacks,
        subject=subject,
    )

    assert response.status_code == 400
    assert response.data["errors"] == {
        "subject": ["The subject must be one line, without control characters."]
    }
    assert response.data["errors"]["subject"][0].code == "invalid_subject"
    assert not Message.objects.exists() and not in_progress_order.events.exists()
    assert mail.outbox == []


@pytest.mark.parametrize("subject, error", [("x" * 201, "max_length"), (["a"], "invalid")])
def test_a_subject_too_long_or_not_text_is_400(
    client_for, tenant, in_progress_order, django_capture_on_commit_callbacks, subject, error
):
    response = _reply(
        client_for(in_progress_order.assignee),
        in_progress_order,
        django_capture_on_commit_callbacks,
        subject=subject,
    )

    assert response.status_code == 400
    assert response.data["errors"]["subject"][0].code == error
    assert not Message.objects.exists()
    assert mail.outbox == []


def test_a_subject_of_200_characters_is_taken(
    client_for, tenant, in_progress_order, django_capture_on_commit_callbacks
):
    response = _reply(
        client_for(in_progress_order.assignee),
        in_progress_order,
        django_capture_on_commit_callbacks,
        subject="ç" * 200,
    )

    assert response.status_code == 201
    assert mail.outbox[0].subject == f"[#{in_progress_order.id}] {'ç' * 200}"
