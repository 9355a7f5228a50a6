"""`manage.py seed_bench`: the same seed gives the same rows, spread the way the benchmark
needs them (docs/performance.md). PostgreSQL only: it loads with COPY."""

import hashlib

import pytest
from django.core.management import call_command
from django.db import connection

from orders.models import Order

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("SEED_BENCH LOADS WITH COPY: run with DATABASE_URL=postgres://...")


def _seed(seed: int) -> str:
    """Seeds 600 orders and answers a fingerprint of what was written."""
    call_command("seed_bench", orders=600, seed=seed, reset=True, stdout=None, stderr=None)
    digest = hashlib.sha256()
    with connection.cursor() as cursor:
        for table, columns in (
            (
                "orders_order",
                "id, company_id, requester_id, team_id, assignee_id, status, "
                "priority, equipment, title, created_at",
            ),
            ("accounts_user", "id, email, name"),
            ("orders_message", "id, order_id, author_id, body"),
            ("ongs_ong", "id, name, cnpj"),
            ("payments_donation", "id, ong_id, amount, status"),
        ):
            cursor.execute(f"SELECT {columns} FROM {table} ORDER BY id")  # noqa: S608 - constants
            digest.update(repr(cursor.fetchall()).encode())
    return digest.hexdigest()


def test_the_same_seed_writes_the_same_rows_and_another_seed_others(capsys):
    first = _seed(11)
    assert _seed(11) == first
    assert _seed(12) != first


def test_orders_cover_every_status_priority_and_a_full_public_page(capsys):
    _seed(11)

    assert Order.objects.count() == 600
    assert set(Order.objects.values_list("status", flat=True)) == set(Order.Status.values)
    assert set(Order.objects.values_list("priority", flat=True)) == set(Order.Priority.values)
    closed = Order.objects.filter(status=Order.Status.CLOSED)
    assert not closed.filter(solution="").exists()
    assert not Order.objects.filter(status=Order.Status.IN_PROGRESS, assignee=None).exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM ongs_ong")
        assert cursor.fetchone()[0] >= 50  # the public list's page of 50 is full
    # The sequences were moved past the loaded ids: the next order is an ordinary insert.
    from orders.tests.factories import OrderFactory

    assert OrderFactory().pk > 600
