"""Which company and which order a message goes to; headers and tokens are only hints."""

import pytest
from django.core import mail

from accounts.models import User
from accounts.tests.factories import UserFactory
from companies.models import Company, Membership
from core.models import OutboundEmail
from orders.models import InboundEmail, Order
from orders.tests.factories import OrderFactory
from orders.tests.mail import message, mime, post_json, post_mime, result_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("inbound_secret")]


def _receive(client, **fields):
    sender = fields.pop("sender")
    to = fields.pop("to")
    return result_of(post_json(client, message(sender, to, **fields)))


def test_plus_addressing_and_case_reach_the_company(api_client, tenant):
    local, domain = tenant.company.support_email.split("@")

    result = _receive(
        api_client, sender="ana@client.example", to=f"{local.upper()}+urgente@{domain}"
    )

    assert result["status"] == "created"
    assert Order.objects.get(pk=result["order"]).company == tenant.company


def test_cc_to_the_support_address_counts(api_client, tenant):
    result = _receive(
        api_client,
        sender="ana@client.example",
        to="someone@else.example",
        cc=[tenant.company.support_email],
    )

    assert result["status"] == "created"


def test_an_unknown_recipient_is_recorded_as_ignored_not_an_error(api_client, tenant):
    result = _receive(api_client, sender="ana@client.example", to="nobody@nowhere.example")

    assert (result["status"], result["order"], result["reason"]) == (
        "ignored",
        None,
        "unknown_recipient",
    )
    row = InboundEmail.objects.get(pk=result["inbound"])
    assert (row.company, row.from_address) == (None, "ana@client.example")
    assert not User.objects.filter(email="ana@client.example").exists()


def test_a_company_that_refuses_new_requesters_ignores_strangers(api_client, tenant):
    Company.objects.filter(pk=tenant.company.pk).update(accepts_new_requesters_by_email=False)

    stranger = _receive(api_client, sender="ana@client.example", to=tenant.company.support_email)
    member = _receive(api_client, sender=tenant.requester.email, to=tenant.company.support_email)

    assert (stranger["status"], stranger["reason"]) == ("ignored", "unknown_sender")
    assert not User.objects.filter(email="ana@client.example").exists()
    assert member["status"] == "created"


def test_an_existing_user_of_another_company_becomes_a_requester_here(
    api_client, tenant, other_tenant
):
    result = _receive(api_client, sender=other_tenant.agent.email, to=tenant.company.support_email)

    assert result["status"] == "created"
    assert Membership.objects.get(user=other_tenant.agent, company=tenant.company).role == (
        "requester"
    )


def test_an_inactive_company_ignores_mail(api_client, tenant):
    Company.objects.filter(pk=tenant.company.pk).update(is_active=False)

    result = _receive(api_client, sender="ana@client.example", to=tenant.company.support_email)

    assert (result["status"], result["reason"]) == ("ignored", "company_inactive")
    assert not Order.objects.exists()


def test_the_subject_token_joins_the_senders_order(api_client, tenant, order):
    result = _receive(
        api_client,
        sender=tenant.requester.email,
        to=tenant.company.support_email,
        subject=f"RE: [#{order.pk}] {order.title}",
    )

    assert (result["status"], result["order"], result["reason"]) == ("joined", order.pk, "subject")


def test_an_agent_of_the_company_answering_by_email_joins_and_reaches_the_requester(
    api_client, tenant, order, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        result = _receive(
            api_client,
            sender=tenant.agent.email,
            to=tenant.company.support_email,
            subject=f"[#{order.pk}] {order.title}",
            text="I'll be there at 2pm.",
        )

    assert (result["status"], result["order"]) == ("joined", order.pk)
    assert [email.to for email in mail.outbox] == [[tenant.requester.email]]


def test_a_stranger_forging_in_reply_to_starts_a_new_order(api_client, tenant, order):
    sent = OutboundEmail.objects.create(
        key="x", to=tenant.requester.email, subject="s", body_text="b", message_id="<ours@x>"
    )
    order.outbound_emails.create(outbound=sent)

    result = _receive(
        api_client,
        sender="intruder@evil.example",
        to=tenant.company.support_email,
        in_reply_to="<ours@x>",
        references=["<ours@x>"],
        subject=f"Re: [#{order.pk}] {order.title}",
        text="Close this, please.",
    )

    assert (result["status"], result["reason"]) == ("created", "not_participant")
    assert result["order"] != order.pk
    assert not order.messages.exists()
    assert Order.objects.get(pk=result["order"]).requester.email == "intruder@evil.example"


def test_a_stranger_forging_a_subject_token_starts_a_new_order(api_client, tenant, order):
    other_requester = _another_requester(tenant)

    result = _receive(
        api_client,
        sender=other_requester.email,
        to=tenant.company.support_email,
        subject=f"Re: [#{order.pk}] {order.title}",
    )

    assert (result["status"], result["reason"]) == ("created", "not_participant")
    assert not order.messages.exists()


def _another_requester(tenant) -> User:
    person = UserFactory()
    Membership.objects.create(user=person, company=tenant.company, role="requester")
    return person


def test_a_token_of_another_companys_order_is_not_followed(api_client, tenant, other_tenant):
    foreign = OrderFactory(company=other_tenant.company, requester=tenant.requester)

    result = _receive(
        api_client,
        sender=tenant.requester.email,
        to=tenant.company.support_email,
        subject=f"[#{foreign.pk}] hello",
    )

    assert result["status"] == "created"
    assert Order.objects.get(pk=result["order"]).company == tenant.company
    assert not foreign.messages.exists()


def test_message_ids_of_another_company_are_not_followed(api_client, tenant, other_tenant):
    first = _receive(
        api_client,
        sender=tenant.requester.email,
        to=other_tenant.company.support_email,
        message_id="<shared@client.example>",
    )

    second = _receive(
        api_client,
        sender=tenant.requester.email,
        to=tenant.company.support_email,
        in_reply_to="<shared@client.example>",
    )

    assert first["status"] == second["status"] == "created"
    assert Order.objects.get(pk=second["order"]).company == tenant.company


def test_headers_win_over_the_subject_token_and_the_open_order(api_client, tenant):
    first = _receive(
        api_client,
        sender=tenant.requester.email,
        to=tenant.company.support_email,
        message_id="<root@client.example>",
        subject="New problem",
    )
    # a newer open order of the same requester, named by the subject token
    newer = OrderFactory(company=tenant.company, requester=tenant.requester)

    reply = _receive(
        api_client,
        sender=tenant.requester.email,
        to=tenant.company.support_email,
        subject=f"[#{newer.pk}] mixed up",
        references="<unknown@x> <root@client.example>",
    )

    assert (reply["status"], reply["order"], reply["reason"]) == (
        "joined",
        first["order"],
        "headers",
    )


def test_a_reply_to_a_closed_order_reopens_it_when_the_company_says_so(
    api_client, tenant, closed_order, django_capture_on_commit_callbacks
):
    Company.objects.filter(pk=tenant.company.pk).update(closed_order_reply="reopen")

    with django_capture_on_commit_callbacks(execute=True):
        result = _receive(
            api_client,
            sender=tenant.requester.email,
            to=tenant.company.support_email,
            subject=f"Re: [#{closed_order.pk}] {closed_order.title}",
            text="Still broken.",
        )

    assert (result["status"], result["order"], result["reason"]) == (
        "joined",
        closed_order.pk,
        "reopened",
    )
    closed_order.refresh_from_db()
    assert closed_order.status == "in_progress"  # back to its technician
    assert closed_order.messages.get().body == "Still broken."
    assert {email.to[0] for email in mail.outbox} == {closed_order.assignee.email}


def test_a_reply_to_a_closed_order_starts_a_linked_order_by_default(
    api_client, tenant, closed_order
):
    result = _receive(
        api_client,
        sender=tenant.requester.email,
        to=tenant.company.support_email,
        subject=f"Re: [#{closed_order.pk}] {closed_order.title}",
    )

    assert (result["status"], result["reason"]) == ("created", "follow_up")
    assert Order.objects.get(pk=result["order"]).previous_order == closed_order
    closed_order.refresh_from_db()
    assert closed_order.status == "closed"


def test_an_agent_writing_to_a_closed_order_adds_a_message_without_reopening(
    api_client, tenant, closed_order
):
    result = _receive(
        api_client,
        sender=tenant.agent.email,
        to=tenant.company.support_email,
        subject=f"[#{closed_order.pk}] note",
    )

    assert (result["status"], result["order"]) == ("joined", closed_order.pk)
    closed_order.refresh_from_db()
    assert closed_order.status == "closed"


def test_a_batch_reports_each_message(api_client, tenant):
    support = tenant.company.support_email
    batch = [
        message("a@client.example", support),
        message("b@client.example", "nobody@nowhere.example"),
        {"to": [support]},  # no sender: parked, the rest still handled
    ]

    response = post_json(api_client, batch)

    assert response.status_code == 200
    assert [row["status"] for row in response.json()["results"]] == [
        "created",
        "ignored",
        "parked",
    ]


def test_raw_mime_and_json_reach_the_same_order(api_client, tenant):
    support = tenant.company.support_email
    first = result_of(
        post_mime(api_client, mime(sender=tenant.requester.email, to=support, subject="Hi"))
    )
    second = _receive(api_client, sender=tenant.requester.email, to=support)

    assert (second["status"], second["order"]) == ("joined", first["order"])
