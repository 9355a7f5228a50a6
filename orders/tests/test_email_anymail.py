"""Providers' inbound webhooks (django-anymail) take the same path as our own webhook, and
answer only for listed providers, only to calls that carry their credentials."""

import base64
import hashlib
import hmac
import json
import time

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from accounts.models import User
from orders.models import InboundEmail, Order
from orders.tests.mail import mime

pytestmark = pytest.mark.django_db

POSTMARK_URL = "/anymail/postmark/inbound/"
MAILGUN_URL = "/anymail/mailgun/inbound_mime/"
BASIC_AUTH = "Basic " + base64.b64encode(b"relay:s3cret").decode()
SIGNING_KEY = "mailgun-signing-key"


@pytest.fixture
def provider_client(client, settings):
    settings.INBOUND_EMAIL_PROVIDERS = ["postmark"]
    settings.ANYMAIL = {"WEBHOOK_SECRET": "relay:s3cret"}
    client.defaults["HTTP_AUTHORIZATION"] = BASIC_AUTH
    return client


def mailgun_form(raw: bytes, *, key: str = SIGNING_KEY) -> dict:
    """What Mailgun's forward(…/inbound_mime/) posts: the message whole, and its signature."""
    timestamp, token = str(int(time.time())), "a" * 50
    signature = hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256)
    return {
        "body-mime": raw.decode("utf-8"),
        "recipient": "",
        "timestamp": timestamp,
        "token": token,
        "signature": signature.hexdigest(),
    }


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


def _raw_to(tenant) -> bytes:
    return mime(
        sender="Intruder <boss@client.example>",
        to=tenant.company.support_email,
        subject="Pay this invoice",
    )


def _nothing_stored() -> bool:
    return not (
        InboundEmail.objects.exists()
        or Order.objects.exists()
        or User.objects.filter(email="boss@client.example").exists()
    )


@pytest.mark.parametrize(
    "url",
    ["/anymail/postmark/inbound/", "/anymail/mailgun/inbound/", "/anymail/sendgrid/inbound/"],
)
def test_with_no_provider_configured_every_door_is_404(client, tenant, url):
    response = client.post(url, {"RawEmail": _raw_to(tenant).decode()})

    assert response.status_code == 404
    assert _nothing_stored()


def test_a_provider_that_is_not_listed_is_404_even_with_credentials(provider_client, tenant):
    response = provider_client.post(MAILGUN_URL, mailgun_form(_raw_to(tenant)))

    assert response.status_code == 404
    assert _nothing_stored()


def test_a_listed_provider_without_the_webhook_secret_refuses_everyone(client, settings, tenant):
    settings.INBOUND_EMAIL_PROVIDERS = ["postmark"]
    settings.ANYMAIL = {}

    response = _post(client, {"RawEmail": _raw_to(tenant).decode()})

    assert (response.status_code, response.json()["code"]) == (403, "not_configured")
    assert _nothing_stored()


@pytest.mark.parametrize("authorization", [None, "Basic " + base64.b64encode(b"relay:x").decode()])
def test_a_call_without_the_right_basic_auth_is_401(provider_client, tenant, authorization):
    if authorization is None:
        del provider_client.defaults["HTTP_AUTHORIZATION"]
    else:
        provider_client.defaults["HTTP_AUTHORIZATION"] = authorization

    response = _post(provider_client, {"RawEmail": _raw_to(tenant).decode()})

    assert (response.status_code, response.json()["code"]) == (401, "not_authenticated")
    assert response["WWW-Authenticate"].startswith("Basic")
    assert _nothing_stored()


def test_a_provider_checking_the_url_with_head_gets_200(provider_client):
    assert provider_client.head(POSTMARK_URL).status_code == 200


@pytest.fixture
def mailgun(settings, client):
    settings.INBOUND_EMAIL_PROVIDERS = ["mailgun"]
    settings.ANYMAIL = {
        "WEBHOOK_SECRET": "relay:s3cret",
        "MAILGUN_WEBHOOK_SIGNING_KEY": SIGNING_KEY,
    }
    client.defaults["HTTP_AUTHORIZATION"] = BASIC_AUTH
    return client


def test_mailgun_with_basic_auth_and_its_signature_creates_an_order(mailgun, tenant):
    response = mailgun.post(MAILGUN_URL, mailgun_form(_raw_to(tenant)))

    assert response.status_code == 200
    inbound = InboundEmail.objects.get()
    assert (inbound.source, inbound.status) == ("Mailgun", "created")
    assert Order.objects.get().title == "Pay this invoice"


def test_mailgun_with_a_wrong_signature_is_403(mailgun, tenant):
    response = mailgun.post(MAILGUN_URL, mailgun_form(_raw_to(tenant), key="guessed"))

    assert (response.status_code, response.json()["code"]) == (403, "signature_invalid")
    assert _nothing_stored()


def test_mailgun_without_its_signing_key_refuses_even_with_basic_auth(mailgun, settings, tenant):
    settings.ANYMAIL = {"WEBHOOK_SECRET": "relay:s3cret"}

    response = mailgun.post(MAILGUN_URL, mailgun_form(_raw_to(tenant)))

    assert (response.status_code, response.json()["code"]) == (403, "not_configured")
    assert _nothing_stored()


def test_mailgun_with_the_signing_key_but_no_basic_auth_is_401(mailgun, tenant):
    del mailgun.defaults["HTTP_AUTHORIZATION"]

    response = mailgun.post(MAILGUN_URL, mailgun_form(_raw_to(tenant)))

    assert response.status_code == 401
    assert _nothing_stored()


@pytest.mark.parametrize(
    ("providers", "anymail", "expected"),
    [
        ([], {}, []),
        (["postmark"], {"WEBHOOK_SECRET": "relay:s3cret"}, []),
        (["postmark"], {}, ["orders.W001"]),
        (["mailgun"], {"WEBHOOK_SECRET": "relay:s3cret"}, ["orders.W001"]),
        (
            ["mailgun"],
            {"WEBHOOK_SECRET": "relay:s3cret", "MAILGUN_WEBHOOK_SIGNING_KEY": "k"},
            [],
        ),
        (["postmrak"], {"WEBHOOK_SECRET": "relay:s3cret"}, ["orders.W002"]),
    ],
)
def test_check_deploy_warns_about_a_door_without_credentials(
    settings, providers, anymail, expected
):
    from orders.checks import provider_doors_have_credentials

    settings.INBOUND_EMAIL_PROVIDERS = providers
    settings.ANYMAIL = anymail

    assert [warning.id for warning in provider_doors_have_credentials(None)] == expected


def test_check_deploy_fails_on_the_warning(settings):
    settings.INBOUND_EMAIL_PROVIDERS = ["postmark"]
    settings.ANYMAIL = {}

    with pytest.raises(SystemCheckError, match=r"orders\.W001"):
        call_command("check", "--deploy", "--fail-level", "WARNING", "--tag", "security")
