import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone

from fieldservice.models import TimeEntry
from fieldservice.tests.factories import TimeEntryFactory
from orders.tests.factories import OrderFactory

pytestmark = pytest.mark.django_db


def _url(order):
    return f"/api/v1/orders/{order.pk}/time-entries"


def _today(company):
    return timezone.now().astimezone(company.zone).date()


def test_an_agent_logs_time_and_the_order_shows_the_total(client_for, tenant, order):
    client = client_for(tenant.agent)
    day = _today(tenant.company) - timedelta(days=1)

    response = client.post(
        _url(order), {"minutes": 45, "date": day.isoformat(), "note": " Fuser. "}, format="json"
    )
    client_for(tenant.admin).post(_url(order), {"minutes": 15}, format="json")

    assert response.status_code == 201, response.data
    entry = TimeEntry.objects.get(agent=tenant.agent)
    assert response.json() == {
        "id": entry.pk,
        "order": order.pk,
        "agent": {"id": tenant.agent.pk, "name": tenant.agent.name},
        "minutes": 45,
        "date": day.isoformat(),
        "note": "Fuser.",
        "created_at": response.json()["created_at"],
    }
    assert TimeEntry.objects.get(agent=tenant.admin).date == _today(tenant.company)
    detail = client_for(tenant.requester).get(f"/api/v1/orders/{order.pk}").json()
    assert detail["time_spent_minutes"] == 60
    listed = client_for(tenant.requester).get("/api/v1/orders").json()["results"]
    assert [row["time_spent_minutes"] for row in listed] == [60]


@pytest.mark.parametrize(
    "body, field",
    [
        ({"minutes": 0}, "minutes"),
        ({"minutes": -5}, "minutes"),
        ({"minutes": 1441}, "minutes"),
        ({"minutes": "1h"}, "minutes"),
        ({}, "minutes"),
        ({"minutes": 10, "date": "2999-01-01"}, "date"),
        ({"minutes": 10, "date": "yesterday"}, "date"),
        ({"minutes": 10, "note": "x" * 501}, "note"),
        ({"minutes": 10, "agent": 1}, "agent"),
    ],
)
def test_bad_input_is_400_and_stores_nothing(client_for, tenant, order, body, field):
    response = client_for(tenant.agent).post(_url(order), body, format="json")

    assert response.status_code == 400, response.data
    assert list(response.json()["errors"]) == [field]
    assert TimeEntry.objects.count() == 0


def test_tomorrow_in_the_companys_zone_is_the_future(client_for, tenant, order):
    tomorrow = _today(tenant.company) + timedelta(days=1)

    response = client_for(tenant.agent).post(
        _url(order), {"minutes": 10, "date": tomorrow.isoformat()}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["errors"]["date"][0] == "The date cannot be in the future."


def test_requesters_see_the_total_but_neither_log_nor_list_entries(client_for, tenant, order):
    TimeEntryFactory(order=order, agent=tenant.agent, minutes=20)
    client = client_for(tenant.requester)

    assert client.post(_url(order), {"minutes": 10}, format="json").status_code == 403
    assert client.get(_url(order)).status_code == 403
    assert TimeEntry.objects.count() == 1


def test_another_companys_order_is_404(client_for, tenant, other_tenant):
    theirs = OrderFactory(company=other_tenant.company)
    entry = TimeEntryFactory(order=theirs, agent=other_tenant.agent)
    client = client_for(tenant.admin)

    assert client.get(_url(theirs)).status_code == 404
    assert client.post(_url(theirs), {"minutes": 10}, format="json").status_code == 404
    assert client.delete(f"/api/v1/time-entries/{entry.pk}").status_code == 404
    assert TimeEntry.objects.count() == 1


def test_the_entries_list_costs_a_fixed_number_of_queries(
    client_for, tenant, order, django_assert_max_num_queries
):
    for index in range(30):
        TimeEntryFactory(order=order, agent=tenant.agent if index % 2 else tenant.lead)

    with django_assert_max_num_queries(6):
        response = client_for(tenant.admin).get(_url(order), {"page_size": 100})

    assert response.json()["count"] == 30
    assert len(response.json()["results"]) == 30


def test_delete_by_its_author_or_an_admin_only(client_for, tenant, order):
    mine = TimeEntryFactory(order=order, agent=tenant.agent)
    another = TimeEntryFactory(order=order, agent=tenant.agent)

    assert client_for(tenant.lead).delete(f"/api/v1/time-entries/{mine.pk}").status_code == 403
    assert client_for(tenant.requester).delete(f"/api/v1/time-entries/{mine.pk}").status_code == 404
    assert client_for(tenant.agent).delete(f"/api/v1/time-entries/{mine.pk}").status_code == 204
    assert client_for(tenant.admin).delete(f"/api/v1/time-entries/{another.pk}").status_code == 204
    assert TimeEntry.objects.count() == 0


def test_the_report_has_the_time_spent(client_for, tenant, order):
    TimeEntryFactory(order=order, agent=tenant.agent, minutes=25)
    TimeEntryFactory(order=order, agent=tenant.agent, minutes=5)
    idle = OrderFactory(company=tenant.company)

    response = client_for(tenant.admin).get("/api/v1/orders/report", {"format": "csv"})

    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][-1] == "Minutes spent"
    assert {row[0]: row[-1] for row in rows[1:]} == {str(order.pk): "30", str(idle.pk): "0"}


def test_the_stats_have_the_time_spent_per_team(client_for, tenant, order):
    TimeEntryFactory(order=order, agent=tenant.agent, minutes=40)
    OrderFactory(company=tenant.company, team=tenant.team)
    no_team = OrderFactory(company=tenant.company)
    TimeEntryFactory(order=no_team, agent=tenant.agent, minutes=10)
    TimeEntryFactory(order=OrderFactory(), minutes=999)  # another company's

    data = client_for(tenant.admin).get("/api/v1/orders/stats").json()

    assert data["time_spent_minutes"] == 50
    by_team = {row["team"]: row for row in data["by_team"]}
    assert (by_team[tenant.team.pk]["time_spent_minutes"], by_team[None]["time_spent_minutes"]) == (
        40,
        10,
    )
    assert by_team[tenant.team.pk]["mean_time_spent_minutes"] == 20.0
    assert by_team[None]["mean_time_spent_minutes"] == 10.0
