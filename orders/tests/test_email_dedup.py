"""One message is stored once, however many times (and however concurrently) it arrives."""

import json
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest
from django.db import connection

from orders.models import InboundEmail, Message, Order
from orders.tests.mail import SECRET, URL, message, mime, post_json, post_mime, signed_headers

pytestmark = pytest.mark.usefixtures("inbound_secret")

DELIVERIES = 10


@pytest.mark.django_db
def test_the_same_message_id_twice_stores_one_message(api_client, tenant):
    payload = message("ana@client.example", tenant.company.support_email, message_id="<a.1@x>")

    # a provider's retry is signed anew (another timestamp), so it is not a replay
    now = int(time.time())
    first = post_json(api_client, payload, timestamp=now).json()["results"][0]
    again = post_json(api_client, payload, timestamp=now - 1).json()["results"][0]

    assert first["status"] == "created"
    assert again == {
        "status": "duplicate",
        "inbound": first["inbound"],
        "order": first["order"],
        "reason": "already received",
    }
    assert InboundEmail.objects.count() == Order.objects.count() == 1


@pytest.mark.django_db
def test_the_same_message_id_as_json_and_as_mime_is_one_message(api_client, tenant):
    support = tenant.company.support_email
    post_json(api_client, message(tenant.requester.email, support, message_id="<same@x>"))

    result = post_mime(
        api_client, mime(sender=tenant.requester.email, to=support, message_id="<same@x>")
    ).json()["results"][0]

    assert result["status"] == "duplicate"
    assert not Message.objects.exists()


@pytest.mark.django_db
def test_without_a_message_id_the_same_content_is_one_message(api_client, tenant):
    payload = message(
        "ana@client.example",
        tenant.company.support_email,
        message_id="",
        date="Mon, 23 Nov 2026 10:00:00 -0300",
    )

    now = int(time.time())
    first = post_json(api_client, payload, timestamp=now).json()["results"][0]
    again = post_json(api_client, payload, timestamp=now - 1).json()["results"][0]
    other = post_json(api_client, {**payload, "text": "Something else."}).json()["results"][0]

    assert (first["status"], again["status"], other["status"]) == (
        "created",
        "duplicate",
        "joined",
    )
    assert InboundEmail.objects.filter(message_id="").count() == 2


@pytest.mark.django_db
def test_the_same_message_id_to_two_companies_reaches_both(api_client, tenant, other_tenant):
    for company in (tenant.company, other_tenant.company):
        payload = message("ana@client.example", company.support_email, message_id="<cc@x>")
        assert post_json(api_client, payload).json()["results"][0]["status"] == "created"


def _deliver(url: str, body: bytes, timestamp: int, barrier: Barrier) -> dict:
    # Each delivery is signed anew, as a provider's retry is: the signature is not replayed.
    headers = {"Content-Type": "message/rfc822", **signed_headers(body, timestamp=timestamp)}
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    barrier.wait()
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())["results"][0]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_ten_concurrent_deliveries_of_one_message_store_one(live_server, tenant_factory, settings):
    if connection.vendor != "postgresql":
        pytest.skip(
            "RACE TEST SKIPPED: concurrent inserts need PostgreSQL; run with DATABASE_URL=postgres://..."
        )
    settings.INBOUND_EMAIL_SECRET = SECRET
    tenant = tenant_factory()
    # a new sender: the account, the membership and the order are all created once
    raw = mime(
        sender="Nova Pessoa <nova@client.example>",
        to=tenant.company.support_email,
        message_id="<race.1@client.example>",
    )
    now = int(time.time())
    barrier = Barrier(DELIVERIES)

    with ThreadPoolExecutor(max_workers=DELIVERIES) as pool:
        results = list(
            pool.map(
                lambda n: _deliver(f"{live_server.url}{URL}", raw, now - n, barrier),
                range(DELIVERIES),
            )
        )

    statuses = sorted(result["status"] for result in results)
    assert statuses == ["created"] + ["duplicate"] * (DELIVERIES - 1)
    assert {result["order"] for result in results} == {Order.objects.get().pk}
    assert InboundEmail.objects.count() == 1
    assert Message.objects.count() == 0
    assert Order.objects.get().requester.email == "nova@client.example"
