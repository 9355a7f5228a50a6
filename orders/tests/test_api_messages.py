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
