"""Providers' inbound webhooks (django-anymail) take the same path as our own webhook."""

import base64
import json

import pytest
from django.core import mail

from orders.models import InboundEmail, Order
from orders.tests.mail import mime

pytestmark = pytest.mark.django_db

POSTMARK_URL = "/anymail/postmark/inbound/"


@pytest.fixture
def provider_client(client, settings):
    settings.ANYMAIL = {"WEBHOOK_SECRET": "relay:s3cret"}
    client.defaults["HTTP_AUTHORIZATION"] = "Basic " + base64.b64encode(b"relay:s3cret").decode()
    return client


def _post(client, payload: dict):
    return client.post(POSTMARK_URL, json.dumps(payload), content_type="application/json")


def test_a_postmark_raw_email_creates_an_order(
    provider_client, tenant, django_capture_on_commit_callbacks
):
    raw = mime(
        sender="Ana <ana@client.example>",
        to=tenant.company.support_email,
        subject="Nobreak apitando",
        message_id="<pm.1@client.example>",
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = _post(provider_client, {"RawEmail": raw.decode()})

    assert response.status_code == 200
    inbound = InboundEmail.objects.get()
    assert (inbound.source, inbound.status, inbound.message_id) == (
        "Postmark",
        "created",
        "<pm.1@client.example>",
    )
    order = Order.objects.get()
    assert (order.title, order.channel, order.requester.email) == (
        "Nobreak apitando",
        "email",
        "ana@client.example",
    )
    assert [email.to for email in mail.outbox if email.to == ["ana@client.example"]] == [
        ["ana@client.example"]
    ]


def test_a_postmark_parsed_payload_and_its_redelivery_store_one_message(provider_client, tenant):
    payload = {
        "FromFull": {"Email": "ana@client.example", "Name": "Ana"},
        "ToFull": [{"Email": tenant.company.support_email, "Name": ""}],
        "Subject": "Projetor",
        "TextBody": "Não liga.",
        "MessageID": "abc",
        "Headers": [{"Name": "Message-ID", "Value": "<pm.2@client.example>"}],
    }

    assert _post(provider_client, payload).status_code == 200
    assert _post(provider_client, payload).status_code == 200

    assert InboundEmail.objects.count() == Order.objects.count() == 1
    assert Order.objects.get().description == "Não liga."


def test_a_provider_call_without_its_credentials_is_refused(client, settings, tenant):
    settings.ANYMAIL = {"WEBHOOK_SECRET": "relay:s3cret"}

    response = _post(client, {"RawEmail": "From: a@x\r\n\r\nhi"})

    assert response.status_code == 400
    assert not InboundEmail.objects.exists()
