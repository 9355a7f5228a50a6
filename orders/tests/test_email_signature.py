"""The inbound webhook accepts only fresh, correct signatures of its body, and answers a
re-delivery of the same signed request as it answered the first."""

import json
import time

import pytest
from django.core import mail

from accounts.models import User
from orders.models import InboundEmail, InboundSignature, Order
from orders.tasks import inbound_signatures_purge
from orders.tests.mail import URL, message, post_json, signed_headers

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("inbound_secret")]


@pytest.fixture
def body(tenant) -> bytes:
    return json.dumps(message("new.person@client.example", tenant.company.support_email)).encode()


def _post(client, body: bytes, headers: dict):
    return client.generic("POST", URL, body, content_type="application/json", headers=headers)


def _nothing_created():
    return (
        not InboundEmail.objects.exists()
        and not Order.objects.exists()
        and not User.objects.filter(email="new.person@client.example").exists()
        and mail.outbox == []
    )


def test_a_signed_message_is_accepted(api_client, body):
    response = _post(api_client, body, signed_headers(body))

    assert response.status_code == 200
    assert response.json()["results"][0]["status"] == "created"
    assert InboundSignature.objects.count() == 1


NOW = object()  # replaced by the current time in the test


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({}, "signature_missing"),
        ({"X-Mutirao-Timestamp": NOW}, "signature_missing"),
        ({"X-Mutirao-Signature": "sha256=00"}, "signature_missing"),
        ({"X-Mutirao-Timestamp": NOW, "X-Mutirao-Signature": "sha256=0f"}, "signature_invalid"),
        ({"X-Mutirao-Timestamp": "yesterday", "X-Mutirao-Signature": "x"}, "signature_invalid"),
    ],
)
def test_a_missing_or_malformed_signature_is_refused(api_client, body, headers, code):
    # The time is read when the test runs, not when it is collected: a slow run would
    # otherwise send an expired timestamp.
    now = str(int(time.time()))
    headers = {name: now if value is NOW else value for name, value in headers.items()}

    response = _post(api_client, body, headers)

    assert response.status_code == 403
    assert response.json()["code"] == code
    assert _nothing_created()


def test_a_signature_with_another_secret_is_refused(api_client, body):
    response = _post(api_client, body, signed_headers(body, secret="not-the-secret"))

    assert (response.status_code, response.json()["code"]) == (403, "signature_invalid")
    assert _nothing_created()


def test_a_signature_of_another_body_is_refused(api_client, body):
    headers = signed_headers(body)
    tampered = body.replace(b"It does not print.", b"Send me the admin password.")

    response = _post(api_client, tampered, headers)

    assert (response.status_code, response.json()["code"]) == (403, "signature_invalid")
    assert _nothing_created()


# A margin past the 300 s window, so a slow machine cannot move a case back inside it.
@pytest.mark.parametrize("seconds", [-330, -3600, 330])
def test_a_stale_or_future_signature_is_refused(api_client, body, seconds):
    response = _post(api_client, body, signed_headers(body, timestamp=int(time.time()) + seconds))

    assert (response.status_code, response.json()["code"]) == (403, "signature_expired")
    assert _nothing_created()


def test_a_signature_four_minutes_old_is_accepted(api_client, body):
    response = _post(api_client, body, signed_headers(body, timestamp=int(time.time()) - 240))

    assert response.status_code == 200


def test_a_fast_retry_of_the_same_signed_request_gets_the_same_answer(
    api_client, body, django_capture_on_commit_callbacks
):
    # given a relay that re-sends within the same second: same timestamp, same signature
    headers = signed_headers(body)
    with django_capture_on_commit_callbacks(execute=True):
        first = _post(api_client, body, headers)
    assert first.status_code == 200
    (created,) = first.json()["results"]
    sent = len(mail.outbox)

    # when
    with django_capture_on_commit_callbacks(execute=True):
        retry = _post(api_client, body, headers)

    # then it is answered like the first, as a duplicate, and nothing is stored twice
    assert retry.status_code == 200
    assert retry.json() == {
        "results": [{**created, "status": "duplicate", "reason": "already received"}]
    }
    assert InboundEmail.objects.count() == Order.objects.count() == 1
    assert sent > 0 and len(mail.outbox) == sent  # the retry e-mails nobody


def test_a_retry_of_a_parked_message_stores_no_second_row(api_client):
    body = b"garbage that is no e-mail"
    headers = signed_headers(body)
    post = lambda: api_client.generic(  # noqa: E731
        "POST", URL, body, content_type="message/rfc822", headers=headers
    )
    (first,) = post().json()["results"]

    (retry,) = post().json()["results"]

    assert (first["status"], retry["status"]) == ("parked", "duplicate")
    assert retry["inbound"] == first["inbound"]
    assert InboundEmail.objects.count() == 1


def test_a_replayed_signature_with_another_body_is_refused(api_client, body, tenant):
    headers = signed_headers(body)
    assert _post(api_client, body, headers).status_code == 200
    other = json.dumps(message("intruder@evil.example", tenant.company.support_email)).encode()

    replay = _post(api_client, other, headers)

    assert (replay.status_code, replay.json()["code"]) == (403, "signature_invalid")
    assert InboundEmail.objects.count() == Order.objects.count() == 1
    assert not User.objects.filter(email="intruder@evil.example").exists()


def test_a_signed_request_still_being_received_answers_409(api_client, body):
    headers = signed_headers(body)
    from orders.email.security import _digest

    InboundSignature.objects.create(digest=_digest(headers["X-Mutirao-Signature"]))

    response = _post(api_client, body, headers)

    assert (response.status_code, response.json()["code"]) == (409, "signature_in_flight")
    assert not InboundEmail.objects.exists()


def test_a_request_that_failed_can_be_delivered_again_with_its_signature(
    api_client, body, monkeypatch
):
    from orders.api import inbound

    headers = signed_headers(body)
    real = inbound.inbound_receive_many

    def fail_once(messages):
        monkeypatch.setattr(inbound, "inbound_receive_many", real)
        raise RuntimeError("worker lost")

    monkeypatch.setattr(inbound, "inbound_receive_many", fail_once)
    api_client.raise_request_exception = False
    assert _post(api_client, body, headers).status_code == 500

    retry = _post(api_client, body, headers)

    assert retry.status_code == 200
    assert retry.json()["results"][0]["status"] == "created"
    assert InboundEmail.objects.count() == 1


def test_without_a_configured_secret_everything_is_refused(api_client, body, settings):
    settings.INBOUND_EMAIL_SECRET = ""

    response = _post(api_client, body, signed_headers(body))

    assert (response.status_code, response.json()["code"]) == (403, "not_configured")
    assert _nothing_created()


def test_a_signed_body_that_is_not_json_is_a_clear_400(api_client):
    body = b"{not json"
    response = _post(api_client, body, signed_headers(body))

    assert response.status_code == 400
    assert response.json()["errors"] == {"body": ["Send JSON or a message/rfc822 body."]}
    assert not InboundEmail.objects.exists()


def test_a_batch_larger_than_allowed_is_refused_whole(api_client, tenant, settings):
    settings.INBOUND_EMAIL_BATCH_MAX = 2
    batch = [message(f"p{n}@client.example", tenant.company.support_email) for n in range(3)]

    response = post_json(api_client, batch)

    assert response.status_code == 400
    assert not InboundEmail.objects.exists()


def test_a_body_over_the_size_limit_is_refused(api_client, body, settings):
    settings.INBOUND_EMAIL_MAX_BYTES = 100

    response = _post(api_client, body, signed_headers(body))

    assert (response.status_code, response.json()["code"]) == (413, "too_large")
    assert _nothing_created()


def test_old_signatures_are_purged(api_client, body):
    assert _post(api_client, body, signed_headers(body)).status_code == 200
    InboundSignature.objects.update(created_at="2020-01-01T00:00:00Z")

    assert inbound_signatures_purge.apply().get() == 1
    assert not InboundSignature.objects.exists()
