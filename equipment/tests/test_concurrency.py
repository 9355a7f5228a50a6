"""Races that need real row locks and real connections: PostgreSQL only, live server."""

import json
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest
from django.db import connection

from accounts.tokens import token_pair_for
from equipment.models import Equipment
from equipment.tests.factories import EquipmentFactory
from orders.models import Order

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

CALLERS = 12


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip(
            "RACE TEST SKIPPED: row locks need PostgreSQL; run with DATABASE_URL=postgres://..."
        )


def _post(url: str, token: str, body: dict, barrier: Barrier) -> int:
    request = urllib.request.Request(
        url,
        method="POST",
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    barrier.wait()  # every thread fires at the same moment
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        json.loads(error.read())  # the refusal is a proper JSON error, not a crash page
        return error.code


def test_the_same_serial_number_registered_at_once_is_stored_once(live_server, tenant_factory):
    tenant = tenant_factory()
    token = token_pair_for(tenant.admin).access
    body = {"company": tenant.company.pk, "kind": "printer", "serial_number": "RACE-1"}
    barrier = Barrier(CALLERS)

    with ThreadPoolExecutor(max_workers=CALLERS) as pool:
        statuses = list(
            pool.map(
                lambda _: _post(f"{live_server.url}/api/v1/equipment", token, body, barrier),
                range(CALLERS),
            )
        )

    assert sorted(statuses) == [201] + [400] * (CALLERS - 1)
    assert Equipment.objects.filter(serial_number="RACE-1").count() == 1


def test_retiring_while_orders_are_opened_never_leaves_a_retired_item_with_an_open_order(
    live_server, tenant_factory
):
    tenant = tenant_factory()
    item = EquipmentFactory(company=tenant.company)
    admin = token_pair_for(tenant.admin).access
    requester = token_pair_for(tenant.requester).access
    order = {
        "company": tenant.company.pk,
        "equipment": "printer",
        "title": "Jams",
        "equipment_item": item.pk,
    }
    barrier = Barrier(CALLERS)
    calls = [
        (f"{live_server.url}/api/v1/equipment/{item.pk}/status", admin, {"status": "retired"})
    ] + [(f"{live_server.url}/api/v1/orders", requester, order)] * (CALLERS - 1)

    with ThreadPoolExecutor(max_workers=CALLERS) as pool:
        statuses = list(pool.map(lambda call: _post(*call, barrier), calls))

    item.refresh_from_db()
    opened = Order.objects.filter(equipment_item=item).count()
    if item.status == Equipment.Status.RETIRED:
        # the retirement went first: every order after it was refused
        assert (statuses[0], opened) == (200, 0)
        assert set(statuses[1:]) == {400}
    else:
        # an order went first: the retirement was refused, and no order was lost
        assert statuses[0] == 409
        assert opened == statuses[1:].count(201) >= 1
