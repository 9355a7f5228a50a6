"""The rating-once race: real connections on PostgreSQL, live server."""

import json
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest
from django.db import connection

from accounts.tokens import token_pair_for
from desk.models import SatisfactionRating
from orders.models import Order
from orders.tests.factories import OrderFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

AT_ONCE = 12


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip(
            "RACE TEST SKIPPED: real concurrent inserts need PostgreSQL; "
            "run with DATABASE_URL=postgres://..."
        )


def _post(url: str, token: str, score: int, barrier: Barrier) -> tuple[int, dict]:
    body = json.dumps({"score": score}).encode()
    request = urllib.request.Request(
        url,
        method="POST",
        data=body,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    barrier.wait()  # every thread fires at the same moment
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_many_ratings_of_one_order_at_once_exactly_one_wins(live_server, tenant_factory):
    # given: a closed order and its requester's session
    tenant = tenant_factory()
    order = OrderFactory(
        company=tenant.company,
        requester=tenant.requester,
        team=tenant.team,
        assignee=tenant.agent,
        status=Order.Status.CLOSED,
        solution="Replaced the fuser.",
    )
    token = token_pair_for(tenant.requester).access
    url = f"{live_server.url}/api/v1/orders/{order.pk}/rating"
    barrier = Barrier(AT_ONCE)

    # when: the requester rates it many times at the same moment, each with another score
    with ThreadPoolExecutor(max_workers=AT_ONCE) as pool:
        answers = list(pool.map(lambda n: _post(url, token, n % 5 + 1, barrier), range(AT_ONCE)))

    # then: one 201, every other one 409 already_rated, and one row with the winner's score
    statuses = sorted(status for status, _body in answers)
    assert statuses == [201] + [409] * (AT_ONCE - 1)
    winner = next(body for status, body in answers if status == 201)
    assert {body["code"] for status, body in answers if status == 409} == {"already_rated"}
    rating = SatisfactionRating.objects.get()
    assert (rating.order_id, rating.score, rating.rated_by_id) == (
        order.pk,
        winner["score"],
        tenant.requester.pk,
    )
