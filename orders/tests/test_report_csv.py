"""The CSV report (orders/reports.py): the database formats every cell, Python's csv module
writes the rows. It must give the very bytes a plain Python formatting gives, stay bounded
in memory and survive an abandoned download."""

import csv
import io
from datetime import UTC, timedelta

import pytest
from django.utils import timezone, translation

from orders import reports
from orders.models import Order
from orders.tests.factories import OrderFactory

REPORT = "/api/v1/orders/report"

pytestmark = pytest.mark.django_db


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


def _python_csv(orders) -> bytes:
    """The report as plain Python writes it from model instances: labels translated, times
    in ISO 8601 UTC to the second, empty cells empty."""
    labels = {
        "status": dict(Order.Status.choices),
        "priority": dict(Order.Priority.choices),
        "equipment": dict(Order.Equipment.choices),
    }
    out = io.StringIO()
    writer = csv.writer(out)
    out.write("\ufeff")
    writer.writerow(reports._headers())
    for order in orders:
        company = order.company.trading_name or order.company.legal_name
        cells = [order.id, company, order.title]
        cells += [labels[name][getattr(order, name)] for name in ("status", "priority")]
        cells.append(labels["equipment"][order.equipment])
        cells += [order.team, order.requester, order.assignee]
        cells += [order.created_at, order.taken_at, order.closed_at]
        cells += [order.site_address, order.description, order.solution]
        cells.append(sum(entry.minutes for entry in order.time_entries.all()))
        writer.writerow([_cell(value) for value in cells])
    return out.getvalue().encode()


def _cell(value) -> str:
    if value is None:
        return ""
    if hasattr(value, "astimezone"):
        return value.astimezone(UTC).replace(microsecond=0).isoformat()
    return str(getattr(value, "name", value))


@pytest.mark.parametrize("language", ["en", "pt-br"])
def test_the_csv_gives_the_same_bytes_as_plain_python(tenant, awkward_orders, language):
    orders = Order.objects.select_related("company", "requester", "team", "assignee").order_by("id")

    with translation.override(language), timezone.override("America/Sao_Paulo"):
        python = _python_csv(orders)
        streamed = "".join(reports.csv_pieces(orders)).encode()

    assert python.count(b"\r\n") >= len(awkward_orders) + 1
    assert streamed == python


def test_the_report_endpoint_streams_in_bounded_pieces(client_for, tenant, monkeypatch):
    OrderFactory.create_batch(40, company=tenant.company)
    monkeypatch.setattr(reports, "ITERATOR_CHUNK", 5)

    response = client_for(tenant.admin).get(REPORT, {"format": "csv"})
    chunks = list(response.streaming_content)

    body = b"".join(chunks).decode("utf-8-sig").splitlines()
    assert len(body) == 41
    assert len(chunks) > 5  # streamed in pieces, not built whole
    assert max(chunk.count(b"\r\n") for chunk in chunks[1:]) == 5  # a piece is 5 rows


@pytest.mark.django_db(transaction=True)
def test_an_abandoned_download_closes_its_cursor_and_the_next_request_works(
    client_for, tenant, monkeypatch
):
    OrderFactory.create_batch(60, company=tenant.company)
    monkeypatch.setattr(reports, "ITERATOR_CHUNK", 5)
    client = client_for(tenant.admin)

    response = client.get(REPORT, {"format": "csv"})
    pieces = iter(response.streaming_content)
    next(pieces), next(pieces)
    response.close()  # the client went away: the generator is closed mid-stream

    again = client.get("/api/v1/orders", {"page_size": 1})
    assert again.status_code == 200
    assert again.json()["count"] == 60
