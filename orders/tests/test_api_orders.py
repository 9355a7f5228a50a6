import pytest
from django.core import mail

from companies.models import Company
from companies.tests.factories import MembershipFactory, TeamFactory
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


def test_status_assignee_and_solution_are_never_taken_from_the_body(
    client_for, tenant, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
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

    assert response.status_code == 400
    assert response.data["code"] == "invalid"
    assert response.data["errors"] == {
        "status": [
            "This field cannot be set here; change it with POST /api/v1/orders/{id}/take, "
            "/assign, /release, /close or /reopen."
        ],
        "assignee": [
            "This field cannot be set here; change it with POST /api/v1/orders/{id}/assign "
            "(or /take, /release)."
        ],
        "solution": ["This field cannot be set here; set it with POST /api/v1/orders/{id}/close."],
        "requester": ["This field cannot be set here."],
    }
    assert {error.code for errors in response.data["errors"].values() for error in errors} == {
        "not_allowed"
    }
    assert not Order.objects.exists() and not OrderEvent.objects.exists()
    assert mail.outbox == []


def test_refused_fields_are_named_in_portuguese(client_for, tenant):
    response = client_for(tenant.requester).post(
        "/api/v1/orders",
        {**NEW, "company": tenant.company.id, "solution": "x"},
        HTTP_ACCEPT_LANGUAGE="pt-BR",
    )

    assert response.status_code == 400
    assert response.data["errors"] == {
        "solution": [
            "Este campo não pode ser definido aqui; defina-a com POST /api/v1/orders/{id}/close."
        ]
    }
    assert not Order.objects.exists()


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
    before = Order.objects.filter(pk=order.pk).values().get()
    other_team = TeamFactory(company=tenant.company)

    response = client_for(tenant.admin).patch(
        f"/api/v1/orders/{order.id}",
        {
            "title": "Changed",
            "status": "closed",
            "assignee": tenant.agent.id,
            "priority": "urgent",
            "team": other_team.id,
            "solution": "x",
        },
    )

    assert response.status_code == 400
    assert response.data["errors"] == {
        "status": [
            "This field cannot be set here; change it with POST /api/v1/orders/{id}/take, "
            "/assign, /release, /close or /reopen."
        ],
        "assignee": [
            "This field cannot be set here; change it with POST /api/v1/orders/{id}/assign "
            "(or /take, /release)."
        ],
        "priority": [
            "This field cannot be set here; change it with POST /api/v1/orders/{id}/priority."
        ],
        "team": [
            "This field cannot be set here; change it with POST /api/v1/orders/{id}/redirect."
        ],
        "solution": ["This field cannot be set here; set it with POST /api/v1/orders/{id}/close."],
    }
    assert {error.code for errors in response.data["errors"].values() for error in errors} == {
        "not_allowed"
    }
    assert Order.objects.filter(pk=order.pk).values().get() == before  # not even the title
    assert not OrderEvent.objects.exists()


def test_admin_deletes_an_order(client_for, tenant, order):
    assert client_for(tenant.agent).delete(f"/api/v1/orders/{order.id}").status_code == 403
    assert client_for(tenant.admin).delete(f"/api/v1/orders/{order.id}").status_code == 204
    assert not Order.objects.exists()


def _user_orders(client, person, **params):
    response = client.get(f"/api/v1/users/{person.id}/orders", params)
    assert response.status_code == 200, response.data
    return sorted(row["id"] for row in response.data["results"])


def test_users_orders_of_a_requester_are_the_ones_they_opened(client_for, tenant, order):
    OrderFactory(company=tenant.company)

    assert _user_orders(client_for(tenant.admin), tenant.requester) == [order.id]
    assert _user_orders(client_for(tenant.requester), tenant.requester) == [order.id]


def test_users_orders_of_a_technician_are_the_ones_assigned_to_them_and_opened_by_them(
    client_for, tenant, other_tenant
):
    assigned = OrderFactory(company=tenant.company, status="in_progress", assignee=tenant.agent)
    closed = OrderFactory(
        company=tenant.company, status="closed", assignee=tenant.agent, solution="ok"
    )
    opened = OrderFactory(company=tenant.company, requester=tenant.agent)
    OrderFactory(company=tenant.company, status="in_progress", assignee=tenant.lead)
    OrderFactory(company=tenant.company)
    # the same technician also serves another company
    MembershipFactory(company=other_tenant.company, user=tenant.agent, role="agent")
    elsewhere = OrderFactory(
        company=other_tenant.company, status="in_progress", assignee=tenant.agent
    )
    mine = sorted([assigned.id, closed.id, opened.id])

    assert _user_orders(client_for(tenant.admin), tenant.agent) == mine
    assert _user_orders(client_for(tenant.agent), tenant.agent) == sorted([*mine, elsewhere.id])
    assert _user_orders(client_for(other_tenant.admin), tenant.agent) == [elsewhere.id]
    # one side only, with the list's filters
    assert _user_orders(client_for(tenant.admin), tenant.agent, assignee=tenant.agent.id) == (
        sorted([assigned.id, closed.id])
    )
    assert _user_orders(client_for(tenant.admin), tenant.agent, requester=tenant.agent.id) == [
        opened.id
    ]
    assert _user_orders(client_for(tenant.admin), tenant.agent, status="in_progress") == [
        assigned.id
    ]


def test_users_orders_of_someone_you_cannot_see_is_404(client_for, tenant, other_tenant):
    OrderFactory(company=other_tenant.company, status="in_progress", assignee=other_tenant.agent)

    for person in (other_tenant.requester, other_tenant.agent):
        response = client_for(tenant.admin).get(f"/api/v1/users/{person.id}/orders")
        assert response.status_code == 404
    # a colleague who is not your admin: not someone you can look up
    assert (
        client_for(tenant.requester).get(f"/api/v1/users/{tenant.agent.id}/orders").status_code
        == 404
    )


def test_users_orders_query_budget(client_for, tenant, django_assert_max_num_queries):
    for index in range(30):
        OrderFactory(
            company=tenant.company,
            team=tenant.team,
            status="in_progress",
            assignee=tenant.agent,
            requester=tenant.requester if index % 2 else tenant.agent,
        )
    client = client_for(tenant.admin)

    with django_assert_max_num_queries(4):
        small = client.get(f"/api/v1/users/{tenant.agent.id}/orders", {"page_size": 5})
    with django_assert_max_num_queries(4):
        large = client.get(f"/api/v1/users/{tenant.agent.id}/orders", {"page_size": 100})

    assert small.data["count"] == large.data["count"] == 30
    assert len(large.data["results"]) == 30


def _ordered(client, ordering, **params):
    response = client.get("/api/v1/orders", {"ordering": ordering, **params})
    assert response.status_code == 200, response.data
    return [row["id"] for row in response.data["results"]]


def test_orders_sort_by_title_and_by_technician_name(client_for, tenant, assignee):
    from accounts.models import User

    User.objects.filter(pk=tenant.agent.pk).update(name="Bruna Lima")
    User.objects.filter(pk=assignee.pk).update(name="Ana Souza")
    scanner = OrderFactory(company=tenant.company, title="Scanner")
    ups = OrderFactory(
        company=tenant.company, title="Nobreak", status="in_progress", assignee=tenant.agent
    )
    printer = OrderFactory(
        company=tenant.company, title="Impressora", status="in_progress", assignee=assignee
    )
    mouse = OrderFactory(company=tenant.company, title="Mouse")
    client = client_for(tenant.admin)

    assert _ordered(client, "title") == [printer.id, mouse.id, ups.id, scanner.id]
    assert _ordered(client, "-title") == [scanner.id, ups.id, mouse.id, printer.id]
    # by the technician's name, unassigned last either way (newest first among them)
    assert _ordered(client, "assignee") == [printer.id, ups.id, mouse.id, scanner.id]
    assert _ordered(client, "-assignee") == [ups.id, printer.id, mouse.id, scanner.id]
    assert _ordered(client, "assignee,title") == [printer.id, ups.id, mouse.id, scanner.id]
    assert _ordered(client, "-assignee", status="in_progress") == [ups.id, printer.id]


def test_an_unknown_ordering_lists_the_choices(client_for, tenant):
    response = client_for(tenant.admin).get("/api/v1/orders", {"ordering": "assignee__email"})

    assert response.status_code == 400
    assert response.data["errors"] == {
        "ordering": [
            "Choose from: created_at, -created_at, updated_at, -updated_at, priority, "
            "-priority, status, -status, title, -title, assignee, -assignee, id, -id."
        ]
    }


@pytest.mark.parametrize("ordering", ["title", "-title", "assignee", "-assignee"])
def test_sorted_lists_keep_the_query_budget(
    client_for, tenant, other_tenant, django_assert_max_num_queries, ordering
):
    for index in range(30):
        OrderFactory(
            company=tenant.company,
            status="in_progress" if index % 3 else "open",
            assignee=tenant.agent if index % 3 == 1 else tenant.lead if index % 3 else None,
        )
    OrderFactory(company=other_tenant.company, requester=tenant.agent)  # the second part
    client = client_for(tenant.agent)

    with django_assert_max_num_queries(3):
        small = client.get("/api/v1/orders", {"ordering": ordering, "page_size": 5})
    with django_assert_max_num_queries(3):
        large = client.get("/api/v1/orders", {"ordering": ordering, "page_size": 100})

    assert small.data["count"] == large.data["count"] == 31
    assert [row["id"] for row in large.data["results"]][:5] == [
        row["id"] for row in small.data["results"]
    ]
