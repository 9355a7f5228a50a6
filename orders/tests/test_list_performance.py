"""List costs that must not grow with the table: the bounded count, the agent's scope on
PostgreSQL, and a stable order for paging by priority (see docs/performance.md)."""

import pytest
from django.db import connection

from core.pagination import BoundedCountPagination
from orders.tests.factories import OrderFactory

pytestmark = pytest.mark.django_db


def test_counts_up_to_the_bound_are_exact(staff_client, tenant, monkeypatch):
    monkeypatch.setattr(BoundedCountPagination, "exact_count_up_to", 8)
    OrderFactory.create_batch(8, company=tenant.company)

    response = staff_client.get("/api/v1/orders", {"page_size": 3})

    assert response.data["count"] == 8
    assert "X-Count-Estimated" not in response.headers


@pytest.mark.postgres
def test_counts_past_the_bound_are_estimated_in_four_queries(
    staff_client, tenant, monkeypatch, django_assert_max_num_queries
):
    if connection.vendor != "postgresql":
        pytest.skip("THE ESTIMATE COMES FROM POSTGRESQL'S PLANNER: run with DATABASE_URL")
    monkeypatch.setattr(BoundedCountPagination, "exact_count_up_to", 5)
    OrderFactory.create_batch(12, company=tenant.company)

    with django_assert_max_num_queries(4):
        response = staff_client.get("/api/v1/orders", {"page_size": 100})

    assert response.status_code == 200
    assert response.data["count"] >= 6  # the planner's guess, never below the bound + 1
    assert response.headers["X-Count-Estimated"] == "true"
    assert len(response.data["results"]) == 12


def test_past_the_bound_sqlite_still_counts_exactly(staff_client, tenant, monkeypatch):
    if connection.vendor == "postgresql":
        pytest.skip("covered by the estimate test on PostgreSQL")
    monkeypatch.setattr(BoundedCountPagination, "exact_count_up_to", 5)
    OrderFactory.create_batch(7, company=tenant.company)

    assert staff_client.get("/api/v1/orders").data["count"] == 7


def test_agent_sees_company_orders_and_own_requests_in_three_queries(
    client_for, tenant, other_tenant, django_assert_max_num_queries
):
    ours = OrderFactory.create_batch(30, company=tenant.company)
    mine_elsewhere = OrderFactory(company=other_tenant.company, requester=tenant.agent)
    OrderFactory.create_batch(5, company=other_tenant.company)
    client = client_for(tenant.agent)

    with django_assert_max_num_queries(3):
        response = client.get("/api/v1/orders", {"page_size": 100})

    assert response.data["count"] == 31
    assert {row["id"] for row in response.data["results"]} == {
        *(order.pk for order in ours),
        mine_elsewhere.pk,
    }


def test_filtered_priority_list_pages_without_repeats(
    client_for, tenant, django_assert_max_num_queries
):
    OrderFactory.create_batch(12, company=tenant.company, priority="high", status="open")
    OrderFactory.create_batch(3, company=tenant.company, priority="urgent", status="open")
    OrderFactory.create_batch(
        4,
        company=tenant.company,
        priority="urgent",
        status="closed",
        solution="done",
        assignee=tenant.agent,
    )
    client = client_for(tenant.admin)
    seen = []
    for page in (1, 2, 3):
        with django_assert_max_num_queries(3):
            response = client.get(
                "/api/v1/orders",
                {"status": "open", "ordering": "-priority", "page_size": 5, "page": page},
            )
        seen += [(row["priority"], row["id"]) for row in response.data["results"]]

    assert len(seen) == 15 and len(set(seen)) == 15
    assert [priority for priority, _id in seen[:3]] == ["urgent"] * 3
    assert seen == sorted(seen, key=lambda row: (row[0] != "urgent", -row[1]))


@pytest.mark.parametrize("zone", ["UTC", "America/Sao_Paulo"])
def test_hand_written_list_row_matches_the_generic_serializer(tenant, zone):
    from django.utils import timezone

    from orders.api.serializers import OrderListSerializer, _OrderBaseSerializer
    from orders.models import Order

    OrderFactory(company=tenant.company, team=None)
    OrderFactory(
        company=tenant.company,
        team=tenant.team,
        status="closed",
        assignee=tenant.agent,
        solution="done",
    )
    Order.objects.update(taken_at=timezone.now(), closed_at=timezone.now())
    tenant.company.trading_name = ""  # the name falls back to the legal name
    tenant.company.save()
    orders = Order.objects.order_by("id")
    with timezone.override(zone):
        rows = OrderListSerializer.rows(orders.values_list(*OrderListSerializer.COLUMNS))
        generic = [
            _OrderBaseSerializer(order).data
            for order in orders.select_related("company", "requester", "team", "assignee")
        ]
    assert len(rows) == 2
    assert rows == generic


def test_list_json_is_the_generic_serializers(client_for, tenant):
    """The whole page, as bytes on the wire, says what DRF's serializer would."""
    import json

    from orders.api.serializers import _OrderBaseSerializer
    from orders.models import Order

    OrderFactory.create_batch(3, company=tenant.company, title="Impressora “sem” tinta\u2028")
    response = client_for(tenant.admin).get("/api/v1/orders", {"page_size": 2, "page": 2})

    expected = [
        _OrderBaseSerializer(order).data
        for order in Order.objects.order_by("-created_at", "-id")[2:]
    ]
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content)["results"] == json.loads(json.dumps(expected))
    assert b"\\u2028" in response.content and "\u2028".encode() not in response.content


def _interleaved(tenant, other_tenant):
    """Orders of the agent's company and the agent's own requests elsewhere, alternating in
    time, so every page mixes both parts of the scope."""
    from datetime import timedelta

    from django.utils import timezone

    from orders.models import Order

    start = timezone.now() - timedelta(days=30)
    ids = []
    for number in range(14):
        if number % 3 == 2:
            order = OrderFactory(company=other_tenant.company, requester=tenant.agent)
        else:
            order = OrderFactory(company=tenant.company)
        Order.objects.filter(pk=order.pk).update(created_at=start + timedelta(hours=number))
        ids.append(order.pk)
    OrderFactory.create_batch(3, company=other_tenant.company)  # not the agent's
    return ids


def test_pages_merge_both_parts_of_an_agents_scope_in_order(
    client_for, tenant, other_tenant, django_assert_max_num_queries
):
    ids = _interleaved(tenant, other_tenant)
    client = client_for(tenant.agent)

    seen = []
    for page in (1, 2, 3, 4, 5):
        with django_assert_max_num_queries(3):
            response = client.get("/api/v1/orders", {"page_size": 3, "page": page})
        assert response.data["count"] == 14
        seen += [row["id"] for row in response.data["results"]]

    assert seen == ids[::-1]  # newest first, nothing repeated or skipped


def test_merged_pages_follow_the_requested_ordering(client_for, tenant, other_tenant):
    ids = _interleaved(tenant, other_tenant)
    client = client_for(tenant.agent)

    seen = []
    for page in (1, 2, 3):
        response = client.get("/api/v1/orders", {"ordering": "id", "page_size": 5, "page": page})
        seen += [row["id"] for row in response.data["results"]]

    assert seen == sorted(ids)


@pytest.mark.postgres
def test_an_agents_estimated_count_stays_within_four_queries(
    client_for, tenant, other_tenant, monkeypatch, django_assert_max_num_queries
):
    if connection.vendor != "postgresql":
        pytest.skip("THE ESTIMATE COMES FROM POSTGRESQL'S PLANNER: run with DATABASE_URL")
    monkeypatch.setattr(BoundedCountPagination, "exact_count_up_to", 5)
    ids = _interleaved(tenant, other_tenant)
    client = client_for(tenant.agent)

    with django_assert_max_num_queries(4):
        response = client.get("/api/v1/orders", {"page_size": 4, "page": 2})

    assert response.headers["X-Count-Estimated"] == "true"
    assert response.data["count"] >= 6
    assert [row["id"] for row in response.data["results"]] == ids[::-1][4:8]
    past_the_end = client.get("/api/v1/orders", {"page_size": 4, "page": 40})
    assert past_the_end.status_code == 200 and past_the_end.data["results"] == []
    absurd = client.get("/api/v1/orders", {"page": 10**30})
    assert absurd.status_code == 200 and absurd.data["results"] == []


def test_a_filter_that_matches_nothing_in_one_part(client_for, tenant, other_tenant):
    _interleaved(tenant, other_tenant)

    response = client_for(tenant.agent).get(
        "/api/v1/orders", {"company": other_tenant.company.pk, "page_size": 2, "page": 2}
    )

    assert response.status_code == 200
    assert response.data["count"] == 4
    assert len(response.data["results"]) == 2


@pytest.mark.postgres
def test_an_estimated_count_is_reused_and_an_exact_one_never(
    client_for, tenant, other_tenant, monkeypatch, django_assert_num_queries
):
    if connection.vendor != "postgresql":
        pytest.skip("THE ESTIMATE COMES FROM POSTGRESQL'S PLANNER: run with DATABASE_URL")
    monkeypatch.setattr(BoundedCountPagination, "exact_count_up_to", 5)
    ids = _interleaved(tenant, other_tenant)
    client = client_for(tenant.agent)
    first = client.get("/api/v1/orders", {"page_size": 4})

    with django_assert_num_queries(2):  # the user and the page: no count, no EXPLAIN
        again = client.get("/api/v1/orders", {"page_size": 4})

    assert again.headers["X-Count-Estimated"] == "true"
    assert again.data["count"] == first.data["count"]
    assert [row["id"] for row in again.data["results"]] == ids[::-1][:4]
    # Another filter is another count; one within the bound stays exact and is counted
    # again after a change.
    open_ones = client.get("/api/v1/orders", {"requester": tenant.agent.pk})
    assert open_ones.data["count"] == 4 and "X-Count-Estimated" not in open_ones.headers
    OrderFactory(company=other_tenant.company, requester=tenant.agent)
    assert client.get("/api/v1/orders", {"requester": tenant.agent.pk}).data["count"] == 5


def test_a_scope_that_needs_a_join_is_counted_and_paged(tenant, other_tenant):
    """A queryset whose filter joins another table is counted and paged like any other,
    a page after the first through its ids."""
    from django.db.models import Q

    from core.pagination import BoundedCountPaginator, count_bounded
    from orders.models import Order

    ids = _interleaved(tenant, other_tenant)
    ours = Q(company__legal_name=tenant.company.legal_name)
    orders = Order.objects.filter(ours | Q(requester=tenant.agent)).order_by("-created_at", "-id")

    assert count_bounded(orders, 100) == (14, False)
    page = BoundedCountPaginator(orders.values_list("id", flat=True), 3).page(2)
    assert list(page) == ids[::-1][3:6]
