import pytest
from django.core import mail

from accounts.models import User
from orders.models import Order, OrderEvent

pytestmark = pytest.mark.django_db


def url(order, action):
    return f"/api/v1/orders/{order.id}/{action}"


def events(order):
    return list(order.events.values_list("kind", flat=True))


def test_take_assigns_the_agent_and_emails_the_requester(
    client_for, tenant, order, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(tenant.agent).post(url(order, "take"))

    assert response.status_code == 200
    assert response.data["status"] == "in_progress"
    assert response.data["assignee"] == {"id": tenant.agent.id, "name": tenant.agent.name}
    order.refresh_from_db()
    assert order.taken_at is not None
    assert events(order) == ["taken"]
    assert [m.to for m in mail.outbox] == [[tenant.requester.email]]
    assert tenant.agent.name in mail.outbox[0].body


def test_taking_a_taken_order_is_409_with_the_current_status(client_for, tenant, in_progress_order):
    response = client_for(tenant.agent).post(url(in_progress_order, "take"))

    assert response.status_code == 409
    assert response.data["status"] == "in_progress"
    assert response.data["code"] == "invalid_transition"
    in_progress_order.refresh_from_db()
    assert in_progress_order.assignee != tenant.agent


def test_lead_assigns_an_agent(
    client_for, tenant, order, assignee, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(tenant.lead).post(url(order, "assign"), {"assignee": assignee.id})

    assert response.status_code == 200
    order.refresh_from_db()
    assert (order.status, order.assignee) == ("in_progress", assignee)
    assert order.events.get().data == {
        "changes": {
            "status": {"from": "open", "to": "in_progress"},
            "assignee": {"from": None, "to": assignee.id},
        }
    }
    assert sorted(m.to[0] for m in mail.outbox) == sorted([assignee.email, tenant.requester.email])


@pytest.mark.parametrize("who", ["requester", "outsider"])
def test_assign_only_to_the_companys_agents(client_for, tenant, other_tenant, order, who):
    person = tenant.requester if who == "requester" else other_tenant.agent

    response = client_for(tenant.admin).post(url(order, "assign"), {"assignee": person.id})

    assert response.status_code == 400
    assert "assignee" in response.data["errors"]
    order.refresh_from_db()
    assert order.assignee is None and events(order) == []


def test_release_puts_the_order_back_in_the_queue(client_for, in_progress_order):
    Order.objects.filter(pk=in_progress_order.pk).update(taken_at="2026-01-05T10:00:00Z")

    response = client_for(in_progress_order.assignee).post(url(in_progress_order, "release"))

    assert response.status_code == 200
    assert (response.data["status"], response.data["taken_at"]) == ("open", None)
    in_progress_order.refresh_from_db()
    assert (in_progress_order.status, in_progress_order.assignee) == ("open", None)
    assert in_progress_order.taken_at is None


def test_releasing_an_open_order_is_409(client_for, tenant, order):
    assert client_for(tenant.admin).post(url(order, "release")).status_code == 409


def test_close_needs_a_solution(client_for, in_progress_order):
    client = client_for(in_progress_order.assignee)

    for body in ({}, {"solution": ""}, {"solution": "   "}):
        response = client.post(url(in_progress_order, "close"), body)
        assert response.status_code == 400
        assert "solution" in response.data["errors"]
    in_progress_order.refresh_from_db()
    assert in_progress_order.status == "in_progress"


def test_close_with_a_solution_emails_the_requester(
    client_for, tenant, in_progress_order, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(in_progress_order.assignee).post(
            url(in_progress_order, "close"), {"solution": "Replaced the fuser unit."}
        )

    assert response.status_code == 200
    in_progress_order.refresh_from_db()
    assert in_progress_order.status == "closed" and in_progress_order.closed_at
    # the closing notification, then the request for a rating (desk)
    assert [m.to[0] for m in mail.outbox] == [tenant.requester.email] * 2
    assert "Replaced the fuser unit." in mail.outbox[0].body
    assert "/rate/" in mail.outbox[1].body


def test_closing_twice_is_409(client_for, tenant, closed_order):
    response = client_for(tenant.admin).post(url(closed_order, "close"), {"solution": "Again"})

    assert response.status_code == 409
    assert response.data["status"] == "closed"


def test_requester_reopens_and_it_returns_to_its_technician(client_for, tenant, closed_order):
    response = client_for(tenant.requester).post(url(closed_order, "reopen"))

    assert response.status_code == 200
    closed_order.refresh_from_db()
    assert (closed_order.status, closed_order.closed_at) == ("in_progress", None)
    assert closed_order.assignee is not None
    assert client_for(tenant.requester).post(url(closed_order, "reopen")).status_code == 409


def test_redirect_moves_the_order_to_another_team(client_for, tenant, in_progress_order):
    from companies.tests.factories import TeamFactory

    finance = TeamFactory(company=tenant.company, name="Financeiro", lead=tenant.admin)

    Order.objects.filter(pk=in_progress_order.pk).update(taken_at="2026-01-05T10:00:00Z")
    technician = in_progress_order.assignee

    response = client_for(tenant.lead).post(
        url(in_progress_order, "redirect"), {"team": finance.id}
    )

    assert response.status_code == 200
    assert response.data["taken_at"] is None
    in_progress_order.refresh_from_db()
    assert (
        in_progress_order.team,
        in_progress_order.status,
        in_progress_order.assignee,
        in_progress_order.taken_at,
    ) == (finance, "open", None, None)
    event = in_progress_order.events.get()
    assert event.kind == "redirected"
    assert event.data == {
        "changes": {
            "status": {"from": "in_progress", "to": "open"},
            "team": {"from": tenant.team.id, "to": finance.id},
            "assignee": {"from": technician.id, "to": None},
        }
    }


def test_the_lead_of_the_orders_team_reopens_it(
    client_for, tenant, closed_order, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(tenant.lead).post(url(closed_order, "reopen"))

    assert response.status_code == 200
    assert (response.data["status"], response.data["solution"]) == ("in_progress", "")
    closed_order.refresh_from_db()
    assert (closed_order.status, closed_order.closed_at, closed_order.solution) == (
        "in_progress",
        None,
        "",
    )
    event = closed_order.events.get()
    assert (event.kind, event.actor) == ("reopened", tenant.lead)
    assert [m.to for m in mail.outbox] == [[closed_order.assignee.email]]


def test_the_lead_of_another_team_cannot_reopen(client_for, tenant, closed_order):
    from companies.models import Membership
    from companies.tests.factories import MembershipFactory, TeamFactory

    other_lead = MembershipFactory(company=tenant.company, role=Membership.Role.AGENT).user
    TeamFactory(company=tenant.company, name="Financeiro", lead=other_lead, agents=[other_lead])
    before = Order.objects.filter(pk=closed_order.pk).values().get()

    response = client_for(other_lead).post(url(closed_order, "reopen"))

    assert response.status_code == 403
    assert response.data["code"] == "permission_denied"
    assert Order.objects.filter(pk=closed_order.pk).values().get() == before
    assert not OrderEvent.objects.exists()


def test_another_companys_lead_cannot_see_the_order_to_reopen_it(
    client_for, other_tenant, closed_order
):
    before = Order.objects.filter(pk=closed_order.pk).values().get()

    response = client_for(other_tenant.lead).post(url(closed_order, "reopen"))

    assert response.status_code == 404
    assert Order.objects.filter(pk=closed_order.pk).values().get() == before
    assert not OrderEvent.objects.exists()


def test_redirect_to_another_companys_team_is_400(client_for, tenant, other_tenant, order):
    response = client_for(tenant.admin).post(url(order, "redirect"), {"team": other_tenant.team.id})

    assert response.status_code == 400
    order.refresh_from_db()
    assert order.team == tenant.team


def test_priority_change_is_audited(client_for, tenant, order):
    response = client_for(tenant.lead).post(url(order, "priority"), {"priority": "urgent"})

    assert response.status_code == 200
    assert response.data["priority"] == "urgent"
    assert order.events.get().data == {"changes": {"priority": {"from": "medium", "to": "urgent"}}}
    assert (
        client_for(tenant.lead).post(url(order, "priority"), {"priority": "critical"}).status_code
        == 400
    )


def test_events_timeline_lists_every_change(client_for, tenant, order, assignee):
    admin = client_for(tenant.admin)
    admin.post(url(order, "assign"), {"assignee": assignee.id})
    admin.post(url(order, "priority"), {"priority": "high"})
    admin.post(url(order, "close"), {"solution": "Done"})
    client_for(tenant.requester).post(url(order, "reopen"))

    response = client_for(tenant.requester).get(url(order, "events"))

    assert response.status_code == 200
    assert [row["kind"] for row in response.data["results"]] == [
        "assigned",
        "priority_changed",
        "closed",
        "reopened",
    ]
    assert response.data["results"][0]["actor"] == {
        "id": tenant.admin.id,
        "name": tenant.admin.name,
    }


def test_actions_on_another_companys_order_are_404_and_change_nothing(
    client_for, other_tenant, order
):
    client = client_for(other_tenant.admin)

    for action, body in [
        ("take", {}),
        ("close", {"solution": "x"}),
        ("assign", {"assignee": other_tenant.agent.id}),
    ]:
        assert client.post(url(order, action), body).status_code == 404
    order.refresh_from_db()
    assert (order.status, order.assignee) == ("open", None)
    assert not OrderEvent.objects.exists()


def test_staff_disabled_technician_is_not_notified(
    client_for, tenant, order, django_capture_on_commit_callbacks
):
    User.objects.filter(pk=tenant.requester.pk).update(is_active=False)

    with django_capture_on_commit_callbacks(execute=True):
        client_for(tenant.agent).post(url(order, "take"))

    assert mail.outbox == []
    assert Order.objects.get(pk=order.pk).status == "in_progress"


@pytest.mark.parametrize(
    "action, state",
    [("take", "open"), ("release", "in_progress"), ("reopen", "closed")],
)
def test_an_action_without_body_refuses_fields_and_changes_nothing(
    client_for, tenant, assignee, action, state
):
    from orders.tests.factories import OrderFactory

    order = OrderFactory(
        company=tenant.company,
        requester=tenant.requester,
        team=tenant.team,
        status=state,
        assignee=None if state == "open" else assignee,
        solution="Done" if state == "closed" else "",
    )
    before = Order.objects.filter(pk=order.pk).values().get()

    response = client_for(tenant.admin).post(
        url(order, action), {"assignee": tenant.agent.id, "status": "closed"}, format="json"
    )

    assert response.status_code == 400
    assert sorted(response.data["errors"]) == ["assignee", "status"]
    assert response.data["errors"]["assignee"][0].code == "not_allowed"
    assert "/assign" in response.data["errors"]["assignee"][0]
    assert Order.objects.filter(pk=order.pk).values().get() == before
    assert not OrderEvent.objects.exists()
