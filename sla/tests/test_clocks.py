"""An order's SLA clocks through the API and e-mail: start, first response, waiting on the
requester, close, reopen, priority change; the `sla` body; stats; the list's budget."""

from datetime import UTC, datetime, time, timedelta

import pytest
from freezegun import freeze_time
from rest_framework.test import APIClient

from core.models import OutboundEmail
from orders.models import Order, OrderEvent
from orders.tests.factories import OrderFactory
from orders.tests.mail import SECRET, message, post_json
from sla.models import BusinessHours, OrderSla, SlaTarget

pytestmark = pytest.mark.django_db
V = "/api/v1"
T0 = datetime(2026, 3, 9, 12, 0, tzinfo=UTC)  # a Monday, 09:00 in São Paulo


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


@pytest.fixture
def client_for():
    """Clients authenticated without a token: the tests move the clock by hours, past any
    access token's lifetime."""

    def make(user) -> APIClient:
        client = APIClient()
        client.force_authenticate(user)
        return client

    return make


@pytest.fixture
def targets(tenant):
    for priority, response, resolution in (("medium", 60, 240), ("urgent", 15, 60)):
        SlaTarget.objects.create(
            company=tenant.company,
            priority=priority,
            first_response_minutes=response,
            resolution_minutes=resolution,
        )


def _open(client, tenant, **extra) -> dict:
    body = {"company": tenant.company.pk, "team": tenant.team.pk, "equipment": "printer"}
    response = client.post(f"{V}/orders", {**body, "title": "Jam", **extra})
    assert response.status_code == 201, response.data
    return response.json()


def test_a_new_order_starts_both_clocks_in_business_time(client_for, tenant, targets):
    for day in range(5):
        BusinessHours.objects.create(
            company=tenant.company, weekday=day, opens=time(9), closes=time(10)
        )
    with freeze_time(T0 + timedelta(minutes=30)):  # Monday 09:30 local
        body = _open(client_for(tenant.requester), tenant)

    # 30 minutes left on Monday; the rest on Tuesday and later, 09:00–10:00 each day.
    assert body["sla"] == {
        "respond_by": iso(T0 + timedelta(days=1, minutes=30)),
        "resolve_by": iso(T0 + timedelta(days=4, minutes=30)),
        "response": "pending",
        "resolution": "pending",
        "paused": False,
    }


def test_no_target_means_no_sla(client_for, tenant, targets):
    client = client_for(tenant.admin)

    body = _open(client, tenant, priority="low")

    assert body["sla"] is None
    assert client.get(f"{V}/orders/{body['id']}").json()["sla"] is None
    assert not OrderSla.objects.exists()


def test_first_response_close_and_met(client_for, tenant, targets):
    with freeze_time(T0):
        order_id = _open(client_for(tenant.requester), tenant)["id"]
    agent = client_for(tenant.agent)
    with freeze_time(T0 + timedelta(minutes=10)):
        agent.post(f"{V}/orders/{order_id}/messages", {"body": "Note", "is_internal": True})
        agent.post(f"{V}/orders/{order_id}/take")
    with freeze_time(T0 + timedelta(minutes=20)):
        client_for(tenant.requester).post(f"{V}/orders/{order_id}/messages", {"body": "Hi?"})
    with freeze_time(T0 + timedelta(minutes=90)):
        agent.post(f"{V}/orders/{order_id}/messages", {"body": "On my way"})
    with freeze_time(T0 + timedelta(minutes=100)):
        closed = agent.post(f"{V}/orders/{order_id}/close", {"solution": "Fixed"}).json()

    sla = OrderSla.objects.get(order_id=order_id)
    assert sla.first_responded_at == T0 + timedelta(minutes=90)  # notes and requesters: no
    assert sla.resolved_at == T0 + timedelta(minutes=100)
    assert closed["sla"]["response"] == "breached"
    assert closed["sla"]["resolution"] == "met"


def test_waiting_pauses_and_the_requesters_answer_resumes(client_for, tenant, targets):
    with freeze_time(T0):
        order_id = _open(client_for(tenant.requester), tenant)["id"]
        client_for(tenant.agent).post(f"{V}/orders/{order_id}/take")
    with freeze_time(T0 + timedelta(minutes=10)):
        waiting = client_for(tenant.agent).post(
            f"{V}/orders/{order_id}/wait", {"note": "Which floor?"}
        )
    with freeze_time(T0 + timedelta(hours=5)):
        during = client_for(tenant.agent).get(f"{V}/orders/{order_id}").json()
    with freeze_time(T0 + timedelta(hours=6, minutes=10)):
        client_for(tenant.requester).post(f"{V}/orders/{order_id}/messages", {"body": "Third"})
        after = client_for(tenant.agent).get(f"{V}/orders/{order_id}").json()

    assert waiting.status_code == 200, waiting.data
    assert waiting.json()["status"] == "waiting"
    assert waiting.json()["sla"]["paused"] is True
    asked = OutboundEmail.objects.filter(body_text__contains="Which floor?")
    assert list(asked.values_list("to", flat=True)) == [tenant.requester.email]
    # The note is the first response (at +10 min); waiting six hours moved resolution.
    assert during["sla"]["resolution"] == "pending"
    assert after["status"] == "in_progress"
    assert after["sla"] == {
        "respond_by": iso(T0 + timedelta(minutes=60)),
        "resolve_by": iso(T0 + timedelta(hours=10)),
        "response": "met",
        "resolution": "pending",
        "paused": False,
    }
    kinds = list(
        OrderEvent.objects.filter(order_id=order_id).values_list("kind", "data__changes__status")
    )
    assert (OrderEvent.Kind.WAITING, {"from": "in_progress", "to": "waiting"}) in kinds
    assert (OrderEvent.Kind.RESUMED, {"from": "waiting", "to": "in_progress"}) in kinds


@pytest.mark.parametrize("status", ["open", "closed"])
def test_only_in_progress_orders_wait(client_for, tenant, status):
    order = OrderFactory(
        company=tenant.company,
        requester=tenant.requester,
        team=tenant.team,
        status=status,
        assignee=tenant.agent if status == "closed" else None,
        solution="Done" if status == "closed" else "",
    )

    response = client_for(tenant.admin).post(f"{V}/orders/{order.pk}/wait")

    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"
    order.refresh_from_db()
    assert order.status == status


def test_a_bad_wait_body_is_400_and_changes_nothing(client_for, tenant):
    order = OrderFactory(
        company=tenant.company,
        requester=tenant.requester,
        status="in_progress",
        assignee=tenant.agent,
    )

    response = client_for(tenant.admin).post(
        f"{V}/orders/{order.pk}/wait", {"note": "x", "status": "closed"}
    )

    assert response.status_code == 400
    order.refresh_from_db()
    assert order.status == "in_progress"
    assert not order.messages.exists()


def test_close_from_waiting_and_reopen_restarts_resolution(client_for, tenant, targets):
    with freeze_time(T0):
        order_id = _open(client_for(tenant.requester), tenant)["id"]
        client_for(tenant.agent).post(f"{V}/orders/{order_id}/take")
        client_for(tenant.agent).post(f"{V}/orders/{order_id}/wait")
    with freeze_time(T0 + timedelta(hours=8)):
        closed = client_for(tenant.agent).post(f"{V}/orders/{order_id}/close", {"solution": "Ok"})
    with freeze_time(T0 + timedelta(hours=9)):
        reopened = client_for(tenant.requester).post(f"{V}/orders/{order_id}/reopen").json()

    assert closed.status_code == 200
    assert closed.json()["sla"]["resolution"] == "met"  # the wait did not count
    assert reopened["status"] == "in_progress"
    assert reopened["sla"]["resolve_by"] == iso(T0 + timedelta(hours=13))
    assert reopened["sla"]["resolution"] == "pending"


def test_priority_change_recomputes_from_creation(client_for, tenant, targets):
    with freeze_time(T0):
        order_id = _open(client_for(tenant.requester), tenant)["id"]
    with freeze_time(T0 + timedelta(minutes=5)):
        urgent = client_for(tenant.lead).post(
            f"{V}/orders/{order_id}/priority", {"priority": "urgent"}
        )
        low = client_for(tenant.lead).post(f"{V}/orders/{order_id}/priority", {"priority": "low"})

    assert urgent.json()["sla"]["respond_by"] == iso(T0 + timedelta(minutes=15))
    assert urgent.json()["sla"]["resolve_by"] == iso(T0 + timedelta(minutes=60))
    assert low.json()["sla"] is None
    assert not OrderSla.objects.exists()


def test_a_changed_target_applies_to_new_orders_only(client_for, tenant, targets):
    with freeze_time(T0):
        first = _open(client_for(tenant.requester), tenant)
        target = SlaTarget.objects.get(company=tenant.company, priority="medium")
        client_for(tenant.admin).patch(
            f"{V}/sla-targets/{target.pk}", {"first_response_minutes": 5}
        )
        second = _open(client_for(tenant.requester), tenant)

    assert first["sla"]["respond_by"] == iso(T0 + timedelta(minutes=60))
    assert second["sla"]["respond_by"] == iso(T0 + timedelta(minutes=5))


def test_an_emailed_answer_resumes_a_waiting_order(
    api_client, client_for, tenant, targets, settings
):
    settings.INBOUND_EMAIL_SECRET = SECRET
    tenant.company.support_email = "help@acme.example"
    tenant.company.save(update_fields=["support_email"])
    with freeze_time(T0):
        order_id = _open(client_for(tenant.requester), tenant)["id"]
        client_for(tenant.agent).post(f"{V}/orders/{order_id}/take")
        client_for(tenant.agent).post(f"{V}/orders/{order_id}/wait")
    with freeze_time(T0 + timedelta(hours=2)):
        response = post_json(
            api_client,
            message(
                tenant.requester.email,
                "help@acme.example",
                subject=f"Re: [#{order_id}] Jam",
                text="Third floor.",
            ),
        )

    assert response.status_code == 200, response.content
    order = Order.objects.get(pk=order_id)
    assert order.status == "in_progress"
    sla = OrderSla.objects.get(order_id=order_id)
    assert sla.paused_since is None
    assert sla.resolve_by == T0 + timedelta(hours=6)
    assert order.events.filter(kind=OrderEvent.Kind.RESUMED).count() == 1


def test_list_shows_sla_in_the_same_three_queries(
    client_for, tenant, targets, django_assert_max_num_queries
):
    client = client_for(tenant.requester)
    with freeze_time(T0):
        ids = [_open(client, tenant)["id"] for _ in range(3)]
    OrderFactory.create_batch(20, company=tenant.company, requester=tenant.requester)
    agent = client_for(tenant.agent)

    with freeze_time(T0 + timedelta(hours=2)), django_assert_max_num_queries(3):
        response = agent.get(f"{V}/orders", {"page_size": 100})

    rows = {row["id"]: row["sla"] for row in response.json()["results"]}
    assert len(rows) == 23
    assert rows[ids[0]] == {
        "respond_by": iso(T0 + timedelta(minutes=60)),
        "resolve_by": iso(T0 + timedelta(minutes=240)),
        "response": "breached",
        "resolution": "pending",
        "paused": False,
    }
    assert sum(sla is None for sla in rows.values()) == 20


def test_stats_report_attainment_per_team_and_priority(
    client_for, tenant, targets, django_assert_max_num_queries
):
    requester, agent = client_for(tenant.requester), client_for(tenant.agent)
    with freeze_time(T0):
        met = _open(requester, tenant)["id"]
        late = _open(requester, tenant)["id"]
        agent.post(f"{V}/orders/{met}/messages", {"body": "Seen"})
    with freeze_time(T0 + timedelta(minutes=30)):
        agent.post(f"{V}/orders/{met}/take")
        agent.post(f"{V}/orders/{met}/close", {"solution": "Done"})

    with freeze_time(T0 + timedelta(hours=5)), django_assert_max_num_queries(9):
        stats = client_for(tenant.admin).get(f"{V}/orders/stats").json()

    clock = {"met": 1, "breached": 1, "percent_met": 50.0}
    assert late
    assert stats["sla"] == {
        "by_team": [
            {
                "team": tenant.team.pk,
                "name": tenant.team.name,
                "response": clock,
                "resolution": clock,
            }
        ],
        "by_priority": [{"priority": "medium", "response": clock, "resolution": clock}],
    }
