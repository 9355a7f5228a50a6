"""Machines answering machines: auto-replies, bulk mail, bounces and our own echo never
trigger mail or reopen an order, and automatic mail to one address is rate-limited."""

from email.message import EmailMessage

import pytest
from django.core import mail

from accounts.models import User
from core.models import OutboundEmail
from orders import services
from orders.models import InboundEmail, Order, SuppressedEmail
from orders.tests.mail import message, mime, post_json, post_mime, result_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("inbound_secret")]

AUTOMATIC_HEADERS = [
    ({"Auto-Submitted": "auto-replied"}, "Auto-Submitted: auto-replied"),
    (
        {"Auto-Submitted": "auto-generated; owner-email=x@y"},
        "Auto-Submitted: auto-generated; owner-email=x@y",
    ),
    ({"Precedence": "bulk"}, "Precedence: bulk"),
    ({"Precedence": "list"}, "Precedence: list"),
    ({"Precedence": "junk"}, "Precedence: junk"),
    ({"X-Autoreply": "yes"}, "X-Autoreply"),
]


@pytest.mark.parametrize(("headers", "reason"), AUTOMATIC_HEADERS)
def test_an_automatic_message_from_a_stranger_creates_nothing_and_sends_nothing(
    api_client, tenant, headers, reason, django_capture_on_commit_callbacks
):
    raw = mime(sender="vacation@client.example", to=tenant.company.support_email, headers=headers)

    with django_capture_on_commit_callbacks(execute=True):
        result = result_of(post_mime(api_client, raw))

    assert (result["status"], result["reason"]) == (
        "ignored",
        f"automatic ({reason}), unknown sender",
    )
    assert InboundEmail.objects.get().is_automatic is True
    assert not Order.objects.exists()
    assert not User.objects.filter(email="vacation@client.example").exists()
    assert mail.outbox == []


def test_auto_submitted_no_is_a_person(api_client, tenant):
    raw = mime(
        sender="ana@client.example",
        to=tenant.company.support_email,
        headers={"Auto-Submitted": "no"},
    )

    assert result_of(post_mime(api_client, raw))["status"] == "created"


def test_an_auto_reply_from_the_requester_to_a_closed_order_neither_reopens_nor_mails(
    api_client, tenant, closed_order, django_capture_on_commit_callbacks
):
    tenant.company.closed_order_reply = "reopen"
    tenant.company.save()
    raw = mime(
        sender=tenant.requester.email,
        to=tenant.company.support_email,
        subject=f"Out of office: [#{closed_order.pk}] {closed_order.title}",
        text="I am on holiday until Monday.",
        headers={"Auto-Submitted": "auto-replied"},
    )

    with django_capture_on_commit_callbacks(execute=True):
        result = result_of(post_mime(api_client, raw))

    assert (result["status"], result["order"]) == ("joined", closed_order.pk)
    assert result["reason"].startswith("subject; automatic")
    closed_order.refresh_from_db()
    assert closed_order.status == "closed"
    assert closed_order.messages.get().body == "I am on holiday until Monday."
    assert mail.outbox == []


def test_an_auto_reply_to_an_open_order_is_kept_but_announced_to_nobody(
    api_client, tenant, in_progress_order, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        result = result_of(
            post_json(
                api_client,
                message(
                    tenant.requester.email,
                    tenant.company.support_email,
                    headers={"Precedence": "bulk"},
                ),
            )
        )

    assert (result["status"], result["order"]) == ("joined", in_progress_order.pk)
    assert mail.outbox == []


def test_a_bounce_is_never_answered(api_client, tenant, order, django_capture_on_commit_callbacks):
    report = EmailMessage()
    report["From"] = "Mail Delivery System <MAILER-DAEMON@mx.client.example>"
    report["To"] = tenant.company.support_email
    report["Subject"] = f"Undelivered Mail Returned to Sender [#{order.pk}]"
    report["Message-ID"] = "<bounce.1@mx.client.example>"
    report.set_content("This is the mail system at host mx.client.example.")
    report.make_mixed()
    report.replace_header(
        "Content-Type", 'multipart/report; report-type=delivery-status; boundary="b1"'
    )

    with django_capture_on_commit_callbacks(execute=True):
        result = result_of(post_mime(api_client, report.as_bytes()))

    assert (result["status"], result["reason"]) == (
        "ignored",
        "automatic (delivery-status report), unknown sender",
    )
    assert mail.outbox == []
    assert not order.messages.exists()


def test_a_delivery_status_report_in_json_is_automatic(api_client, tenant):
    result = result_of(
        post_json(
            api_client,
            message(
                "postmaster@client.example",
                tenant.company.support_email,
                headers={"Content-Type": "multipart/report; report-type=delivery-status"},
            ),
        )
    )

    assert result["status"] == "ignored"
    assert InboundEmail.objects.get().is_automatic is True


@pytest.mark.parametrize("own", ["support", "no-reply@mutirao.localhost"])
def test_mail_from_our_own_addresses_is_ignored(api_client, tenant, other_tenant, own):
    sender = other_tenant.company.support_email if own == "support" else own

    result = result_of(post_json(api_client, message(sender, tenant.company.support_email)))

    assert (result["status"], result["reason"]) == ("ignored", "own_address")
    assert not Order.objects.exists()
    assert mail.outbox == []


def test_automatic_mail_to_one_address_is_rate_limited_and_recorded(
    tenant, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_AUTOMATIC_MAX_PER_HOUR = 2
    orders = [
        services.order_create(requester=tenant.requester, company=tenant.company, title=f"O{n}")
        for n in range(3)
    ]

    with django_capture_on_commit_callbacks(execute=True):
        for order in orders:
            services.order_take(order=order, agent=tenant.agent)  # tells the requester

    to_requester = [email for email in mail.outbox if email.to == [tenant.requester.email]]
    assert len(to_requester) == 2
    assert OutboundEmail.objects.filter(to=tenant.admin.email).count() == 3  # staff: never
    suppressed = SuppressedEmail.objects.get()
    assert (suppressed.to, suppressed.reason, suppressed.order) == (
        tenant.requester.email,
        "rate_limited",
        orders[2],
    )
    assert OutboundEmail.objects.filter(to=tenant.requester.email).count() == 2


def test_the_acknowledgement_counts_towards_the_limit(api_client, tenant, settings):
    settings.EMAIL_AUTOMATIC_MAX_PER_HOUR = 1
    for subject in ("First", "Second"):
        result = result_of(
            post_json(
                api_client,
                message("ana@client.example", tenant.company.support_email, subject=subject),
            )
        )
        services.order_close(
            order=Order.objects.get(pk=result["order"]), actor=tenant.admin, solution="Done."
        )

    assert (
        OutboundEmail.objects.filter(to="ana@client.example", key__startswith="order-ack").count()
        == 1
    )
    assert SuppressedEmail.objects.filter(to="ana@client.example").count() >= 1


def test_personal_replies_are_not_rate_limited(
    tenant, order, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_AUTOMATIC_MAX_PER_HOUR = 1
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(3):
            services.message_add(order=order, author=tenant.agent, body=f"Reply {n}")

    assert len(mail.outbox) == 3
    assert not SuppressedEmail.objects.exists()
