"""The technician's agenda under concurrent schedules: PostgreSQL only, live server."""

import json
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from threading import Barrier

import pytest
from django.db import connection
from django.utils import timezone

from accounts.tokens import token_pair_for
from core.models import OutboundEmail
from fieldservice.models import Visit
from orders.tests.factories import OrderFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

REQUESTS = 12


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip(
            "RACE TEST SKIPPED: row locks need PostgreSQL; run with DATABASE_URL=postgres://..."
        )


def _post(url: str, token: str, body: dict, barrier: Barrier) -> tuple[int, dict]:
    request = urllib.request.Request(
        url,
        method="POST",
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    barrier.wait()  # every thread fires at the same moment
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_overlapping_visits_scheduled_at_once_exactly_one_wins(live_server, tenant_factory):
    # given: one technician and as many orders, each to get a visit at overlapping times
    tenant = tenant_factory()
    orders = [OrderFactory(company=tenant.company) for _ in range(REQUESTS)]
    token = token_pair_for(tenant.admin).access
    start = timezone.now().replace(microsecond=0) + timedelta(days=1)
    barrier = Barrier(REQUESTS)

    def schedule(index: int) -> tuple[int, dict]:
        body = {
            "technician": tenant.agent.pk,
            "starts_at": (start + timedelta(minutes=index)).isoformat(),
            "duration_minutes": 60,
        }
        return _post(
            f"{live_server.url}/api/v1/orders/{orders[index].pk}/visits", token, body, barrier
        )

    # when: all of them are scheduled at the same moment
    with ThreadPoolExecutor(max_workers=REQUESTS) as pool:
        answers = list(pool.map(schedule, range(REQUESTS)))

    # then: one visit is stored; every other request names it
    statuses = [status for status, _body in answers]
    assert sorted(statuses) == [201] + [409] * (REQUESTS - 1)
    winner = Visit.objects.get()
    assert {body["visit"] for status, body in answers if status == 409} == {winner.pk}
    assert {body["code"] for status, body in answers if status == 409} == {"visit_overlaps"}
    assert OutboundEmail.objects.filter(key__startswith=f"visit-{winner.pk}-").count() == 2
    assert OutboundEmail.objects.count() == 2
