"""The audit timeline (`GET orders/{id}/events`): every change with its old and new value,
in one shape: `{"changes": {field: {"from": old, "to": new}}}`."""

import pytest

from companies.tests.factories import TeamFactory
from orders.models import Order

pytestmark = pytest.mark.django_db


def url(order_id, action):
    return f"/api/v1/orders/{order_id}/{action}"


def timeline(client, order_id) -> list[tuple[str, int | None, dict]]:
    response = client.get(url(order_id, "events"), {"page_size": 100})
    assert response.status_code == 200
    return [
        (row["kind"], row["actor"]["id"] if row["actor"] else None, row["data"])
        for row in response.data["results"]
    ]


def test_every_change_records_its_old_and_new_values(client_for, tenant, assignee):
    finance = TeamFactory(company=tenant.company, name="Financeiro", lead=tenant.admin)
    requester, agent, lead, admin = (
        client_for(tenant.requester),
        client_for(tenant.agent),
        client_for(tenant.lead),
        client_for(tenant.admin),
    )
    created = requester.post(
        "/api/v1/orders",
        {
            "company": tenant.company.id,
            "team": tenant.team.id,
            "equipment": "ups",
            "title": "Nobreak apitando",
        },
        format="json",
    )
    order_id = created.data["id"]

    steps = [
        (requester, "patch", "", {"title": "Nobreak apita sem parar"}),
        (agent, "post", "take", {}),
        (agent, "post", "release", {}),
        (lead, "post", "assign", {"assignee": assignee.id}),
        (lead, "post", "priority", {"priority": "urgent"}),
        (lead, "post", "redirect", {"team": finance.id}),
        (admin, "post", "assign", {"assignee": tenant.agent.id}),
        (agent, "post", "close", {"solution": "Bateria trocada."}),
        (requester, "post", "reopen", {}),
        (admin, "post", "close", {"solution": "Nobreak substituído."}),
    ]
    for client, method, action, body in steps:
        path = f"/api/v1/orders/{order_id}" + (f"/{action}" if action else "")
        response = getattr(client, method)(path, body, format="json")
        assert response.status_code == 200, (action, response.data)

    def change(old, new):
        return {"from": old, "to": new}

    assert timeline(requester, order_id) == [
        ("created", tenant.requester.id, {"channel": "api"}),
        (
            "updated",
            tenant.requester.id,
            {"changes": {"title": change("Nobreak apitando", "Nobreak apita sem parar")}},
        ),
        (
            "taken",
            tenant.agent.id,
            {
                "changes": {
                    "status": change("open", "in_progress"),
                    "assignee": change(None, tenant.agent.id),
                }
            },
        ),
        (
            "released",
            tenant.agent.id,
            {
                "changes": {
                    "status": change("in_progress", "open"),
                    "assignee": change(tenant.agent.id, None),
                }
            },
        ),
        (
            "assigned",
            tenant.lead.id,
            {
                "changes": {
                    "status": change("open", "in_progress"),
                    "assignee": change(None, assignee.id),
                }
            },
        ),
        ("priority_changed", tenant.lead.id, {"changes": {"priority": change("medium", "urgent")}}),
        (
            "redirected",
            tenant.lead.id,
            {
                "changes": {
                    "status": change("in_progress", "open"),
                    "team": change(tenant.team.id, finance.id),
                    "assignee": change(assignee.id, None),
                }
            },
        ),
        (
            "assigned",
            tenant.admin.id,
            {
                "changes": {
                    "status": change("open", "in_progress"),
                    "assignee": change(None, tenant.agent.id),
                }
            },
        ),
        (
            "closed",
            tenant.agent.id,
            {
                "changes": {
                    "status": change("in_progress", "closed"),
                    "solution": change("", "Bateria trocada."),
                }
            },
        ),
        (
            "reopened",
            tenant.requester.id,
            {
                "changes": {
                    "status": change("closed", "in_progress"),
                    "solution": change("Bateria trocada.", ""),
                }
            },
        ),
        (
            "closed",
            tenant.admin.id,
            {
                "changes": {
                    "status": change("in_progress", "closed"),
                    "solution": change("", "Nobreak substituído."),
                }
            },
        ),
    ]
    order = Order.objects.get(pk=order_id)
    assert (order.status, order.team, order.assignee, order.priority, order.solution) == (
        "closed",
        finance,
        tenant.agent,
        "urgent",
        "Nobreak substituído.",
    )


def test_reopen_moves_the_solution_to_the_timeline(client_for, tenant, in_progress_order):
    technician = client_for(in_progress_order.assignee)
    technician.post(url(in_progress_order.id, "close"), {"solution": "Fusor trocado."})

    response = client_for(tenant.requester).post(url(in_progress_order.id, "reopen"))

    assert response.status_code == 200
    assert (response.data["status"], response.data["solution"], response.data["closed_at"]) == (
        "in_progress",
        "",
        None,
    )
    in_progress_order.refresh_from_db()
    assert (in_progress_order.status, in_progress_order.solution) == ("in_progress", "")
    kind, actor, data = timeline(client_for(tenant.admin), in_progress_order.id)[-1]
    assert (kind, actor) == ("reopened", tenant.requester.id)
    assert data["changes"]["solution"] == {"from": "Fusor trocado.", "to": ""}
    # closing again needs a solution of its own
    again = technician.post(url(in_progress_order.id, "close"), {})
    assert again.status_code == 400 and "solution" in again.data["errors"]
    in_progress_order.refresh_from_db()
    assert in_progress_order.status == "in_progress"


def test_an_order_reopened_without_technician_goes_back_to_the_queue(client_for, tenant, order):
    admin = client_for(tenant.admin)
    admin.post(url(order.id, "close"), {"solution": "Resolvido por telefone."})

    response = client_for(tenant.lead).post(url(order.id, "reopen"))

    assert response.status_code == 200
    order.refresh_from_db()
    assert (order.status, order.assignee, order.taken_at) == ("open", None, None)
    assert order.solution == ""
    assert timeline(admin, order.id)[-1] == (
        "reopened",
        tenant.lead.id,
        {
            "changes": {
                "status": {"from": "closed", "to": "open"},
                "solution": {"from": "Resolvido por telefone.", "to": ""},
            }
        },
    )


def test_taking_again_after_a_release_sets_a_new_taken_at(client_for, tenant, order):
    agent = client_for(tenant.agent)
    agent.post(url(order.id, "take"))
    Order.objects.filter(pk=order.pk).update(taken_at="2026-01-05T10:00:00Z")

    released = agent.post(url(order.id, "release"))
    taken = client_for(tenant.lead).post(url(order.id, "take"))

    assert released.data["taken_at"] is None
    order.refresh_from_db()
    assert order.assignee == tenant.lead
    assert order.taken_at.isoformat() > "2026-01-05T10:00:00+00:00"
    assert taken.data["taken_at"] is not None


def test_assigning_the_technician_who_has_it_records_nothing(
    client_for, tenant, in_progress_order, django_capture_on_commit_callbacks
):
    from django.core import mail

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(tenant.lead).post(
            url(in_progress_order.id, "assign"), {"assignee": in_progress_order.assignee.id}
        )

    assert response.status_code == 200
    assert response.data["assignee"]["id"] == in_progress_order.assignee.id
    assert timeline(client_for(tenant.admin), in_progress_order.id) == []
    assert mail.outbox == []
