"""Races that need real row locks and real connections: PostgreSQL only, live server."""

import json
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest
from django.db import connection

from accounts.tokens import token_pair_for
from companies.models import Membership
from companies.tests.factories import MembershipFactory
from orders.models import Order, OrderEvent
from orders.tests.factories import OrderFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

AGENTS = 24


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip(
            "RACE TEST SKIPPED: row locks need PostgreSQL; run with DATABASE_URL=postgres://..."
        )


def _post(url: str, token: str, barrier: Barrier) -> int:
    request = urllib.request.Request(
        url, method="POST", data=b"", headers={"Authorization": f"Bearer {token}"}
    )
    barrier.wait()  # every thread fires at the same moment
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        json.loads(error.read())  # the refusal is a proper JSON error, not a crash page
        return error.code


def test_many_agents_take_one_order_exactly_one_wins(live_server, tenant_factory):
    # given: one open order and many agents of its company, each with a session
    tenant = tenant_factory()
    agents = [
        MembershipFactory(company=tenant.company, role=Membership.Role.AGENT).user
        for _ in range(AGENTS)
    ]
    order = OrderFactory(company=tenant.company, requester=tenant.requester)
    tokens = [token_pair_for(agent).access for agent in agents]
    url = f"{live_server.url}/api/v1/orders/{order.id}/take"
    barrier = Barrier(AGENTS)

    # when: all of them take it at the same moment
    with ThreadPoolExecutor(max_workers=AGENTS) as pool:
        statuses = list(pool.map(lambda token: _post(url, token, barrier), tokens))

    # then
    assert sorted(statuses) == [200] + [409] * (AGENTS - 1)
    order.refresh_from_db()
    winner = agents[statuses.index(200)]
    assert (order.status, order.assignee) == ("in_progress", winner)
    assert list(OrderEvent.objects.filter(order=order).values_list("kind", "actor")) == [
        ("taken", winner.pk)
    ]
    assert Order.objects.filter(assignee__isnull=False).count() == 1
