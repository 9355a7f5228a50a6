import time
from concurrent.futures import ThreadPoolExecutor
from threading import Event

import pytest
from django.db import connection, connections
from rest_framework.test import APIClient

from accounts.tests.factories import UserFactory
from accounts.tokens import token_pair_for
from core.models import IdempotencyRecord
from ongs.models import LedgerEntry
from ongs.tests.factories import OngFactory
from payments import gateway as gateway_module
from payments import services
from payments.models import Donation


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_duplicates_of_one_donation_charge_once(monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("RACE TEST SKIPPED: needs PostgreSQL row locks (set DATABASE_URL)")
    donor = UserFactory()
    ong = OngFactory()
    card = services.payment_method_create(
        user=donor,
        number="4242424242424242",
        exp_month=12,
        exp_year=2099,
        cvc="123",
        holder_name="Donor",
    )
    charges = []
    original = gateway_module.SandboxGateway.charge

    def slow_charge(self, **kwargs):
        charges.append(kwargs["idempotency_key"])
        time.sleep(0.5)  # keep the first request in flight while the duplicates arrive
        return original(self, **kwargs)

    monkeypatch.setattr(gateway_module.SandboxGateway, "charge", slow_charge)
    token = token_pair_for(donor).access
    start = Event()

    def donate(_):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        start.wait()
        try:
            response = client.post(
                f"/api/v1/ongs/{ong.pk}/donations",
                {"amount": "10.00", "payment_method": card.pk},
                HTTP_IDEMPOTENCY_KEY="retry-storm",
            )
            return response.status_code, response.headers.get("Idempotent-Replayed")
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=10) as pool:
        futures = [pool.submit(donate, n) for n in range(10)]
        start.set()
        codes = [future.result() for future in futures]

    # One request charges; each duplicate finds it in flight (409) or, on a slow machine,
    # already answered (its 201 replayed).
    assert codes.count((201, None)) == 1
    assert codes.count((409, None)) + codes.count((201, "true")) == 9
    assert len(charges) == 1
    assert Donation.objects.count() == 1
    assert LedgerEntry.objects.count() == 1
    assert IdempotencyRecord.objects.get().state == "completed"
    # once settled, a retry replays the stored answer
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    replay = client.post(
        f"/api/v1/ongs/{ong.pk}/donations",
        {"amount": "10.00", "payment_method": card.pk},
        HTTP_IDEMPOTENCY_KEY="retry-storm",
    )
    assert replay.status_code == 201
    assert len(charges) == 1
