import csv
import io
import zipfile
from datetime import timedelta

import pytest
from django.http import StreamingHttpResponse
from django.utils import timezone

from orders.models import Order
from orders.tests.factories import OrderFactory

pytestmark = pytest.mark.django_db

REPORT = "/api/v1/orders/report"


@pytest.fixture
def report_orders(tenant, other_tenant, assignee):
    return [
        OrderFactory(
            company=tenant.company, team=tenant.team, title="Impressora, 2º andar", status="open"
        ),
        OrderFactory(
            company=tenant.company,
            team=tenant.team,
            status="in_progress",
            assignee=assignee,
            priority="urgent",
        ),
        OrderFactory(company=tenant.company, status="closed", assignee=assignee, solution="ok"),
        OrderFactory(company=other_tenant.company, title="Foreign order"),
    ]


def _csv_rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


def test_csv_report_streams_what_the_user_sees_with_filters(client_for, tenant, report_orders):
    response = client_for(tenant.admin).get(REPORT, {"format": "csv", "status": "open,in_progress"})

    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse) and response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="orders-')
    assert response["Content-Disposition"].endswith('.csv"')
    rows = _csv_rows(response)
    assert rows[0][:5] == ["Order", "Company", "Title", "Status", "Priority"]
    assert [int(row[0]) for row in rows[1:]] == [report_orders[0].id, report_orders[1].id]
    assert rows[1][2] == "Impressora, 2º andar"
    assert rows[2][3:5] == ["in progress", "urgent"]


def test_csv_headers_and_labels_in_portuguese(client_for, tenant, report_orders):
    response = client_for(tenant.admin).get(REPORT, {"format": "csv"}, HTTP_ACCEPT_LANGUAGE="pt-BR")

    rows = _csv_rows(response)
    assert rows[0][:5] == ["Ordem", "Empresa", "Título", "Situação", "Prioridade"]
    assert rows[1][3] == "aberta"


def test_requester_report_contains_only_their_orders(client_for, tenant, report_orders):
    mine = OrderFactory(company=tenant.company, requester=tenant.requester)

    rows = _csv_rows(client_for(tenant.requester).get(REPORT, {"format": "csv"}))

    assert [int(row[0]) for row in rows[1:]] == [mine.id]


def test_csv_streams_in_chunks_from_a_cursor(client_for, tenant, monkeypatch):
    from orders import reports

    OrderFactory.create_batch(25, company=tenant.company)
    monkeypatch.setattr(reports, "ITERATOR_CHUNK", 10)
    response = client_for(tenant.admin).get(REPORT, {"format": "csv"})

    chunks = [chunk.decode("utf-8-sig") for chunk in response.streaming_content]

    # one chunk per 10 rows (the first with BOM and header): nothing is built up first
    assert [chunk.count("\r\n") for chunk in chunks] == [11, 10, 5]


def test_xlsx_report(client_for, tenant, report_orders):
    response = client_for(tenant.admin).get(REPORT, {"format": "xlsx"})

    assert response.status_code == 200
    assert (
        response["Content-Type"]
        == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert 'filename="orders-' in response["Content-Disposition"]
    workbook = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    sheet = workbook.read("xl/worksheets/sheet1.xml").decode()
    assert sheet.count("<row ") == 3  # header and the tenant's open and in-progress orders
    assert "Impressora, 2º andar" in sheet  # constant-memory mode writes inline strings
    assert "Site address" in sheet and "Solution" in sheet


def test_pdf_report(client_for, tenant, report_orders):
    response = client_for(tenant.admin).get(REPORT, {"format": "pdf"}, HTTP_ACCEPT_LANGUAGE="pt-BR")

    body = b"".join(response.streaming_content)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].endswith('.pdf"')
    assert body.startswith(b"%PDF-")


@pytest.mark.parametrize("fmt", ["", "doc", "json"])
def test_unknown_format_is_400_json(client_for, tenant, fmt):
    response = client_for(tenant.admin).get(REPORT, {"format": fmt})

    assert response.status_code in (400, 404)
    assert response["Content-Type"].startswith("application/json")


def test_report_needs_authentication(api_client):
    assert api_client.get(REPORT, {"format": "csv"}).status_code == 401


def test_stats(client_for, tenant, other_tenant, assignee):
    now = timezone.now()
    taken = OrderFactory(
        company=tenant.company,
        team=tenant.team,
        status="in_progress",
        assignee=assignee,
        priority="high",
    )
    closed = OrderFactory(company=tenant.company, status="closed", assignee=assignee, solution="ok")
    OrderFactory(company=tenant.company, team=tenant.team)
    OrderFactory(company=other_tenant.company)
    Order.objects.filter(pk=taken.pk).update(
        created_at=now - timedelta(hours=2), taken_at=now - timedelta(hours=1)
    )
    Order.objects.filter(pk=closed.pk).update(
        created_at=now - timedelta(hours=4), taken_at=now - timedelta(hours=1), closed_at=now
    )

    response = client_for(tenant.admin).get("/api/v1/orders/stats")

    assert response.status_code == 200
    data = response.data
    assert data["total"] == 3
    assert data["by_status"] == {"open": 1, "in_progress": 1, "waiting": 0, "closed": 1}
    assert data["by_priority"] == {"low": 0, "medium": 2, "high": 1, "urgent": 0}
    assert {row["name"]: row["count"] for row in data["by_team"]} == {tenant.team.name: 2, None: 1}
    assert data["mean_seconds_to_take"] == pytest.approx(2 * 3600, abs=5)
    assert data["mean_seconds_to_close"] == pytest.approx(4 * 3600, abs=5)


def test_stats_follow_filters(client_for, tenant):
    OrderFactory(company=tenant.company, status="open")
    OrderFactory(company=tenant.company, status="closed", solution="ok")

    response = client_for(tenant.admin).get("/api/v1/orders/stats", {"status": "closed"})

    assert response.data["total"] == 1
    assert response.data["mean_seconds_to_take"] is None


@pytest.mark.parametrize("kind", ["docx", "json", "CSV", ""])
def test_an_unsupported_report_format_is_400_listing_the_formats(client_for, tenant, kind):
    response = client_for(tenant.admin).get("/api/v1/orders/report", {"format": kind})

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()["errors"] == {"format": ["Choose csv, xlsx or pdf."]}


HEADERS = [
    "Order",
    "Company",
    "Title",
    "Status",
    "Priority",
    "Equipment",
    "Team",
    "Requester",
    "Technician",
    "Created at",
    "Taken at",
    "Closed at",
    "Site address",
    "Description",
    "Solution",
    "Minutes spent",
]


def test_the_report_has_every_column_and_the_companys_shown_name(client_for, tenant, assignee):
    tenant.company.trading_name = ""  # the API shows the legal name then
    tenant.company.save()
    order = OrderFactory(
        company=tenant.company,
        team=tenant.team,
        title="Nobreak apitando",
        description="Apita a cada\n5 minutos",
        site_address="Rua A, 10 — sala 3",
        equipment="ups",
        status="closed",
        assignee=assignee,
        solution="Bateria trocada.",
    )

    response = client_for(tenant.admin).get(REPORT, {"format": "csv", "status": "closed"})

    rows = _csv_rows(response)
    assert rows[0] == HEADERS
    (row,) = rows[1:]
    assert row[:9] == [
        str(order.id),
        tenant.company.legal_name,
        "Nobreak apitando",
        "closed",
        "medium",
        "UPS",
        tenant.team.name,
        order.requester.name,
        assignee.name,
    ]
    assert row[12:] == ["Rua A, 10 — sala 3", "Apita a cada\n5 minutos", "Bateria trocada.", "0"]
    assert (
        client_for(tenant.admin).get(f"/api/v1/orders/{order.id}").data["company"]["name"]
        == (row[1])
    )


def test_the_company_column_is_the_trading_name_when_there_is_one(client_for, tenant):
    OrderFactory(company=tenant.company)

    rows = _csv_rows(client_for(tenant.admin).get(REPORT, {"format": "csv"}))

    assert tenant.company.trading_name
    assert rows[1][1] == tenant.company.trading_name


def test_without_status_or_format_the_report_is_the_open_orders_as_csv(
    client_for, tenant, report_orders
):
    response = client_for(tenant.admin).get(REPORT)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].endswith('.csv"')
    rows = _csv_rows(response)
    assert [(int(row[0]), row[3]) for row in rows[1:]] == [
        (report_orders[0].id, "open"),
        (report_orders[1].id, "in progress"),
    ]


@pytest.mark.parametrize(
    "status, expected",
    [("closed", [2]), ("open,in_progress,closed", [0, 1, 2]), ("in_progress", [1])],
)
def test_an_explicit_status_still_filters_the_report(
    client_for, tenant, report_orders, status, expected
):
    rows = _csv_rows(client_for(tenant.admin).get(REPORT, {"status": status}))

    assert [int(row[0]) for row in rows[1:]] == [report_orders[i].id for i in expected]


def test_a_bad_status_for_the_report_is_400(client_for, tenant, report_orders):
    response = client_for(tenant.admin).get(REPORT, {"status": "lost"})

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert "status" in response.json()["errors"]


def test_the_pdf_report_shows_the_new_columns(client_for, tenant, monkeypatch):
    from orders import reports

    OrderFactory(company=tenant.company, site_address="Sala 3", description="Sem tinta")
    cells = []
    real = reports._pdf_cell

    def remembered(row, index):
        cells.append(real(row, index))
        return cells[-1]

    monkeypatch.setattr(reports, "_pdf_cell", remembered)

    response = client_for(tenant.admin).get(REPORT, {"format": "pdf"})

    assert b"".join(response.streaming_content).startswith(b"%PDF-")
    assert "Sala 3" in cells and "Sem tinta" in cells
    assert sum(width for _name, width in reports.PDF_COLUMNS) == 277  # A4 landscape, margins


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "pdf"])
def test_the_report_query_budget_is_fixed(
    client_for, tenant, assignee, django_assert_max_num_queries, fmt, monkeypatch
):
    from orders import reports

    monkeypatch.setattr(reports, "ITERATOR_CHUNK", 10)
    for index in range(25):
        OrderFactory(
            company=tenant.company,
            team=tenant.team if index % 2 else None,
            status="in_progress",
            assignee=assignee,
        )

    with django_assert_max_num_queries(3):
        response = client_for(tenant.admin).get(REPORT, {"format": fmt})
        body = b"".join(response.streaming_content)

    assert body
