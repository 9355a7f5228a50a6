"""The CSV report on PostgreSQL is written by COPY (orders/reports.py): it must give the
very bytes of the Python path, stay bounded in memory and survive an abandoned download."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone, translation

from orders import reports
from orders.models import Order
from orders.tests.factories import OrderFactory

REPORT = "/api/v1/orders/report"

pytestmark = pytest.mark.postgres


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("COPY IS POSTGRESQL'S: run with DATABASE_URL=postgres://…")


@pytest.fixture
def awkward_orders(tenant, assignee):
    """Titles that need CSV quoting, empty and missing values, every label, microseconds."""
    tenant.company.trading_name = ""  # an empty cell, not `""`
    tenant.company.save()
    when = timezone.now().replace(microsecond=654321) - timedelta(days=3)
    titles = [
        'Impressora "HP", 2º andar',
        "linha 1\nlinha 2",
        "retorno\r\ncarro",
        "  espaços  ",
        "ação;ñ;日本",
        "\\.",
        "a" * 200,
    ]
    orders = []
    for number, title in enumerate(titles):
        status = Order.Status.values[number % 3]
        orders.append(
            OrderFactory(
                company=tenant.company,
                title=title,
                status=status,
                priority=Order.Priority.values[number % 4],
                equipment=Order.Equipment.values[number % 5],
                team=tenant.team if number % 2 else None,
                assignee=assignee if status != "open" else None,
                solution=title if status == "closed" else "",
                description=title,
                site_address=title,
            )
        )
    Order.objects.filter(pk__in=[o.pk for o in orders]).update(
        created_at=when, taken_at=when + timedelta(hours=1, microseconds=7)
    )
    return orders


@pytest.mark.parametrize("language", ["en", "pt-br"])
def test_copy_gives_the_same_bytes_as_the_python_writer(tenant, awkward_orders, language):
    orders = Order.objects.select_related("company", "requester", "team", "assignee").order_by("id")

    with translation.override(language), timezone.override("America/Sao_Paulo"):
        python = "".join(reports.csv_lines(orders)).encode()
        copied = b"".join(reports.csv_copy_chunks(orders))

    assert python.count(b"\r\n") >= len(awkward_orders) + 1
    assert copied == python


def test_the_report_endpoint_uses_copy_in_bounded_pieces(client_for, tenant, monkeypatch):
    OrderFactory.create_batch(40, company=tenant.company)
    monkeypatch.setattr(reports, "COPY_CHUNK_BYTES", 500)
    monkeypatch.setattr(reports, "COPY_QUEUE_CHUNKS", 2)

    response = client_for(tenant.admin).get(REPORT, {"format": "csv"})
    chunks = list(response.streaming_content)

    body = b"".join(chunks).decode("utf-8-sig").splitlines()
    assert len(body) == 41
    assert len(chunks) > 5  # streamed in pieces, not built whole
    assert max(len(chunk) for chunk in chunks[1:]) < 500 + 400  # a piece ≈ its size + a row


@pytest.mark.django_db(transaction=True)
def test_an_abandoned_download_stops_the_copy_and_the_next_request_works(
    client_for, tenant, monkeypatch
):
    OrderFactory.create_batch(60, company=tenant.company)
    monkeypatch.setattr(reports, "COPY_CHUNK_BYTES", 300)
    monkeypatch.setattr(reports, "COPY_QUEUE_CHUNKS", 1)
    client = client_for(tenant.admin)

    response = client.get(REPORT, {"format": "csv"})
    pieces = iter(response.streaming_content)
    next(pieces), next(pieces)
    response.close()  # the client went away: the generator is closed mid-COPY

    again = client.get("/api/v1/orders", {"page_size": 1})
    assert again.status_code == 200
    assert again.json()["count"] == 60
