import pytest
from django.core import mail

from companies.models import Company
from orders.models import Order, OrderEvent
from orders.tests.factories import OrderFactory

pytestmark = pytest.mark.django_db

NEW = {
    "equipment": "printer",
    "title": "Printer jams",
    "description": "Tray 2",
    "site_address": "Room 3",
}


def test_requester_opens_an_order_and_the_team_is_told(
    client_for, tenant, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(tenant.requester).post(
            "/api/v1/orders", {**NEW, "company": tenant.company.id, "team": tenant.team.id}
        )

    assert response.status_code == 201, response.data
    order = Order.objects.get()
    assert (order.requester, order.company, order.team) == (
        tenant.requester,
        tenant.company,
        tenant.team,
    )
    assert (order.status, order.priority, order.channel, order.assignee) == (
        "open",
        "medium",
        "api",
        None,
    )
    assert response.data["status"] == "open"
    assert list(order.events.values_list("kind", flat=True)) == ["created"]
    assert sorted(m.to[0] for m in mail.outbox) == sorted([tenant.lead.email, tenant.agent.email])
    assert mail.outbox[0].subject == f"[#{order.id}] Printer jams"


def test_status_assignee_and_solution_are_never_taken_from_the_body(client_for, tenant):
    response = client_for(tenant.requester).post(
        "/api/v1/orders",
        {
            **NEW,
            "company": tenant.company.id,
            "status": "closed",
            "assignee": tenant.agent.id,
            "solution": "x",
            "requester": tenant.admin.id,
        },
    )

    assert response.status_code == 201
    order = Order.objects.get()
    assert (order.status, order.assignee, order.solution, order.requester) == (
        "open",
        None,
        "",
        tenant.requester,
    )


def test_requester_cannot_set_the_priority(client_for, tenant):
    response = client_for(tenant.requester).post(
        "/api/v1/orders", {**NEW, "company": tenant.company.id, "priority": "urgent"}
    )

    assert response.status_code == 403
    assert not Order.objects.exists()


def test_agent_opens_with_a_priority(client_for, tenant):
    response = client_for(tenant.agent).post(
        "/api/v1/orders", {**NEW, "company": tenant.company.id, "priority": "urgent"}
    )

    assert response.status_code == 201
    assert Order.objects.get().priority == "urgent"


def test_another_companys_id_or_team_in_the_body_is_400(client_for, tenant, other_tenant):
    client = client_for(tenant.requester)

    foreign_company = client.post("/api/v1/orders", {**NEW, "company": other_tenant.company.id})
    foreign_team = client.post(
        "/api/v1/orders", {**NEW, "company": tenant.company.id, "team": other_tenant.team.id}
    )

    assert foreign_company.status_code == 400 and "company" in foreign_company.data["errors"]
    assert foreign_team.status_code == 400 and "team" in foreign_team.data["errors"]
    assert not Order.objects.exists()


@pytest.mark.parametrize(
    "body, field",
    [
        ({"title": ""}, "title"),
        ({"equipment": "fax"}, "equipment"),
        ({"title": "x" * 201}, "title"),
    ],
)
def test_bad_input_is_400_and_stores_nothing(client_for, tenant, body, field):
    response = client_for(tenant.requester).post(
        "/api/v1/orders", {**NEW, "company": tenant.company.id, **body}
    )

    assert response.status_code == 400
    assert field in response.data["errors"]
    assert not Order.objects.exists() and not OrderEvent.objects.exists()


def test_inactive_company_cannot_open_orders(client_for, tenant):
    Company.objects.filter(pk=tenant.company.pk).update(is_active=False)

    response = client_for(tenant.requester).post(
        "/api/v1/orders", {**NEW, "company": tenant.company.id}
    )

    assert response.status_code == 403
    assert response.data["code"] == "company_inactive"


def test_who_sees_which_orders(client_for, tenant, other_tenant, staff_client):
    mine = OrderFactory(company=tenant.company, requester=tenant.requester)
    colleagues = OrderFactory(company=tenant.company)
    foreign = OrderFactory(company=other_tenant.company)

    def ids(client):
        return sorted(row["id"] for row in client.get("/api/v1/orders").data["results"])

    assert ids(client_for(tenant.requester)) == [mine.id]
    assert ids(client_for(tenant.agent)) == sorted([mine.id, colleagues.id])
    assert ids(client_for(tenant.admin)) == sorted([mine.id, colleagues.id])
    assert ids(staff_client) == sorted([mine.id, colleagues.id, foreign.id])
    assert client_for(tenant.requester).get(f"/api/v1/orders/{colleagues.id}").status_code == 404
    assert client_for(tenant.admin).get(f"/api/v1/orders/{foreign.id}").status_code == 404


def test_filters_and_ordering(client_for, tenant, assignee):
    low = OrderFactory(company=tenant.company, priority="low", title="Mouse broken")
    urgent = OrderFactory(
        company=tenant.company, priority="urgent", status="in_progress", assignee=assignee
    )
    high = OrderFactory(
        company=tenant.company, priority="high", status="closed", solution="done", equipment="ups"
    )
    client = client_for(tenant.admin)

    def ids(**params):
        return [row["id"] for row in client.get("/api/v1/orders", params).data["results"]]

    assert ids(status="open,in_progress", ordering="-priority") == [urgent.id, low.id]
    assert ids(ordering="-priority") == [urgent.id, high.id, low.id]
    assert ids(ordering="priority") == [low.id, high.id, urgent.id]
    assert ids(assignee=assignee.id) == [urgent.id]
    assert ids(equipment="ups") == [high.id]
    assert ids(search="mouse") == [low.id]
    assert ids(priority="low,high", ordering="id") == [low.id, high.id]
    assert ids(created_after="2000-01-01T00:00:00Z", ordering="id") == [low.id, urgent.id, high.id]
    assert ids(created_before="2000-01-01T00:00:00Z") == []


def test_unknown_filter_value_is_400(client_for, tenant):
    response = client_for(tenant.admin).get("/api/v1/orders", {"status": "open,lost"})

    assert response.status_code == 400
    assert "status" in response.data["errors"]


def test_order_list_query_budget_is_fixed(client_for, tenant, django_assert_max_num_queries):
    for index in range(40):
        OrderFactory(
            company=tenant.company,
            team=tenant.team,
            assignee=tenant.agent if index % 2 else None,
            status="in_progress" if index % 2 else "open",
        )
    client = client_for(tenant.agent)

    with django_assert_max_num_queries(3):
        small = client.get("/api/v1/orders", {"page_size": 5})
    with django_assert_max_num_queries(3):
        large = client.get("/api/v1/orders", {"page_size": 100})

    assert len(small.data["results"]) == 5 and len(large.data["results"]) == 40


def test_staff_order_list_query_budget(staff_client, tenant, django_assert_max_num_queries):
    OrderFactory.create_batch(30, company=tenant.company, team=tenant.team)

    with django_assert_max_num_queries(3):
        response = staff_client.get("/api/v1/orders", {"page_size": 100})

    assert response.data["count"] == 30


def test_requester_edits_while_open_but_not_after(client_for, order, assignee):
    client = client_for(order.requester)

    assert (
        client.patch(f"/api/v1/orders/{order.id}", {"title": "Printer jams badly"}).status_code
        == 200
    )
    Order.objects.filter(pk=order.pk).update(status="in_progress", assignee=assignee)
    late = client.patch(f"/api/v1/orders/{order.id}", {"title": "Changed later"})

    assert late.status_code == 403
    order.refresh_from_db()
    assert order.title == "Printer jams badly"
    assert order.events.filter(kind="updated").count() == 1


def test_patch_cannot_change_status_or_assignee(client_for, tenant, order):
    response = client_for(tenant.admin).patch(
        f"/api/v1/orders/{order.id}",
        {"status": "closed", "assignee": tenant.agent.id, "priority": "urgent"},
    )

    assert response.status_code == 200
    order.refresh_from_db()
    assert (order.status, order.assignee, order.priority) == ("open", None, "medium")


def test_admin_deletes_an_order(client_for, tenant, order):
    assert client_for(tenant.agent).delete(f"/api/v1/orders/{order.id}").status_code == 403
    assert client_for(tenant.admin).delete(f"/api/v1/orders/{order.id}").status_code == 204
    assert not Order.objects.exists()


def test_users_orders_lists_a_persons_requests(client_for, tenant, order, other_tenant):
    OrderFactory(company=tenant.company)

    response = client_for(tenant.admin).get(f"/api/v1/users/{tenant.requester.id}/orders")

    assert [row["id"] for row in response.data["results"]] == [order.id]
    assert (
        client_for(tenant.admin)
        .get(f"/api/v1/users/{other_tenant.requester.id}/orders")
        .status_code
        == 404
    )
