"""Business hours, holidays and SLA targets through the API: who may read and write them,
what is stored, and what bad input leaves behind (nothing)."""

from datetime import date, time

import pytest

from companies.models import Membership
from companies.tests.factories import MembershipFactory
from sla.models import BusinessHours, Holiday, SlaTarget

pytestmark = pytest.mark.django_db
V = "/api/v1"
WEEK = {
    "ranges": [
        {"weekday": 0, "opens": "13:00", "closes": "18:00"},
        {"weekday": 0, "opens": "08:00", "closes": "12:00"},
        {"weekday": 4, "opens": "08:00", "closes": "12:00"},
    ]
}


def _stored_week(company):
    return list(
        BusinessHours.objects.filter(company=company)
        .order_by("weekday", "opens")
        .values_list("weekday", "opens", "closes")
    )


def test_admin_replaces_the_week_and_agents_read_it(client_for, tenant):
    BusinessHours.objects.create(company=tenant.company, weekday=2, opens=time(7), closes=time(9))

    response = client_for(tenant.admin).put(
        f"{V}/companies/{tenant.company.pk}/business-hours", WEEK, format="json"
    )

    assert response.status_code == 200, response.data
    expected = {
        "time_zone": "America/Sao_Paulo",
        "ranges": [
            {"weekday": 0, "opens": "08:00", "closes": "12:00"},
            {"weekday": 0, "opens": "13:00", "closes": "18:00"},
            {"weekday": 4, "opens": "08:00", "closes": "12:00"},
        ],
    }
    assert response.json() == expected
    assert _stored_week(tenant.company) == [
        (0, time(8), time(12)),
        (0, time(13), time(18)),
        (4, time(8), time(12)),
    ]
    read = client_for(tenant.agent).get(f"{V}/companies/{tenant.company.pk}/business-hours")
    assert read.status_code == 200
    assert read.json() == expected


def test_an_empty_week_means_around_the_clock(client_for, tenant):
    BusinessHours.objects.create(company=tenant.company, weekday=2, opens=time(7), closes=time(9))

    response = client_for(tenant.admin).put(
        f"{V}/companies/{tenant.company.pk}/business-hours", {"ranges": []}, format="json"
    )

    assert response.json() == {"time_zone": "America/Sao_Paulo", "ranges": []}
    assert _stored_week(tenant.company) == []


@pytest.mark.parametrize(
    "ranges, field_error",
    [
        ([{"weekday": 0, "opens": "12:00", "closes": "08:00"}], "open before it closes"),
        (
            [
                {"weekday": 1, "opens": "08:00", "closes": "12:00"},
                {"weekday": 1, "opens": "11:00", "closes": "14:00"},
            ],
            "must not overlap",
        ),
        ([{"weekday": 7, "opens": "08:00", "closes": "12:00"}], None),
        ([{"weekday": 1, "opens": "8h", "closes": "12:00"}], None),
        ([{"weekday": 1, "opens": "08:00", "closes": "12:00", "company": 9}], None),
    ],
)
def test_a_bad_week_is_a_400_and_keeps_the_old_one(client_for, tenant, ranges, field_error):
    BusinessHours.objects.create(company=tenant.company, weekday=2, opens=time(7), closes=time(9))

    response = client_for(tenant.admin).put(
        f"{V}/companies/{tenant.company.pk}/business-hours", {"ranges": ranges}, format="json"
    )

    assert response.status_code == 400, response.data
    assert "ranges" in response.json()["errors"]
    if field_error:
        assert field_error in response.json()["errors"]["ranges"][0]
    assert _stored_week(tenant.company) == [(2, time(7), time(9))]


@pytest.mark.parametrize("role", ["agent", "requester"])
def test_only_admins_replace_the_week(client_for, tenant, role):
    response = client_for(getattr(tenant, role)).put(
        f"{V}/companies/{tenant.company.pk}/business-hours", WEEK, format="json"
    )

    assert response.status_code == 403
    assert _stored_week(tenant.company) == []


def test_requesters_do_not_read_the_sla_configuration(client_for, tenant):
    client = client_for(tenant.requester)
    for path in ("business-hours", "holidays", "sla-targets"):
        assert client.get(f"{V}/companies/{tenant.company.pk}/{path}").status_code == 403


def test_another_company_is_not_found(client_for, tenant, other_tenant):
    client = client_for(tenant.admin)
    base = f"{V}/companies/{other_tenant.company.pk}"
    holiday = Holiday.objects.create(
        company=other_tenant.company, date=date(2026, 12, 25), name="X"
    )
    target = SlaTarget.objects.create(
        company=other_tenant.company,
        priority="high",
        first_response_minutes=60,
        resolution_minutes=120,
    )

    assert client.get(f"{base}/business-hours").status_code == 404
    assert client.put(f"{base}/business-hours", WEEK, format="json").status_code == 404
    assert client.get(f"{base}/holidays").status_code == 404
    assert client.post(f"{base}/holidays", {"date": "2026-01-01", "name": "A"}).status_code == 404
    assert client.get(f"{base}/sla-targets").status_code == 404
    assert (
        client.post(
            f"{base}/sla-targets",
            {"priority": "low", "first_response_minutes": 1, "resolution_minutes": 2},
        ).status_code
        == 404
    )
    assert client.delete(f"{V}/holidays/{holiday.pk}").status_code == 404
    assert (
        client.patch(f"{V}/sla-targets/{target.pk}", {"resolution_minutes": 999}).status_code == 404
    )
    assert client.delete(f"{V}/sla-targets/{target.pk}").status_code == 404
    assert _stored_week(other_tenant.company) == []
    assert Holiday.objects.filter(company=other_tenant.company).count() == 1
    target.refresh_from_db()
    assert target.resolution_minutes == 120


def test_holidays_are_added_listed_and_removed(client_for, tenant, staff_client):
    client = client_for(tenant.admin)
    url = f"{V}/companies/{tenant.company.pk}/holidays"

    created = client.post(url, {"date": "25/12/2026", "name": "Natal"})
    client.post(url, {"date": "2026-11-20", "name": "Consciência Negra"})

    assert created.status_code == 201, created.data
    holiday = Holiday.objects.get(company=tenant.company, date=date(2026, 12, 25))
    assert created.json() == {
        "id": holiday.pk,
        "company": tenant.company.pk,
        "date": "2026-12-25",
        "name": "Natal",
    }
    listed = client_for(tenant.agent).get(url)
    assert [row["name"] for row in listed.json()["results"]] == ["Consciência Negra", "Natal"]
    assert client_for(tenant.agent).delete(f"{V}/holidays/{holiday.pk}").status_code == 403
    assert client_for(tenant.requester).delete(f"{V}/holidays/{holiday.pk}").status_code == 403
    assert client.delete(f"{V}/holidays/{holiday.pk}").status_code == 204
    assert not Holiday.objects.filter(pk=holiday.pk).exists()
    assert staff_client.post(url, {"date": "2026-12-31", "name": "Réveillon"}).status_code == 201


@pytest.mark.parametrize(
    "body",
    [
        {"date": "2026-11-20", "name": "Twice"},
        {"date": "not a date", "name": "X"},
        {"date": "2026-12-01"},
        {"date": "2026-12-01", "name": "X", "company": 1},
        {"date": "2026-12-01", "name": "x" * 101},
    ],
)
def test_bad_holidays_are_400_and_store_nothing(client_for, tenant, body):
    Holiday.objects.create(company=tenant.company, date=date(2026, 11, 20), name="First")

    response = client_for(tenant.admin).post(
        f"{V}/companies/{tenant.company.pk}/holidays", body, format="json"
    )

    assert response.status_code == 400, response.data
    assert list(Holiday.objects.values_list("name", flat=True)) == ["First"]


def test_agents_and_requesters_do_not_add_holidays(client_for, tenant):
    for person in (tenant.agent, tenant.requester):
        response = client_for(person).post(
            f"{V}/companies/{tenant.company.pk}/holidays", {"date": "2026-12-25", "name": "N"}
        )
        assert response.status_code == 403
    assert not Holiday.objects.exists()


def test_targets_are_created_changed_and_deleted(client_for, tenant):
    client = client_for(tenant.admin)
    url = f"{V}/companies/{tenant.company.pk}/sla-targets"

    created = client.post(
        url, {"priority": "urgent", "first_response_minutes": 30, "resolution_minutes": 240}
    )

    assert created.status_code == 201, created.data
    target = SlaTarget.objects.get(company=tenant.company)
    body = created.json()
    assert {key: body[key] for key in ("id", "company", "priority")} == {
        "id": target.pk,
        "company": tenant.company.pk,
        "priority": "urgent",
    }
    assert (body["first_response_minutes"], body["resolution_minutes"]) == (30, 240)
    changed = client.patch(f"{V}/sla-targets/{target.pk}", {"resolution_minutes": 480})
    assert changed.status_code == 200
    assert changed.json()["resolution_minutes"] == 480
    target.refresh_from_db()
    assert (target.first_response_minutes, target.resolution_minutes) == (30, 480)
    listed = client_for(tenant.agent).get(url)
    assert [row["id"] for row in listed.json()["results"]] == [target.pk]
    assert (
        client_for(tenant.agent)
        .patch(f"{V}/sla-targets/{target.pk}", {"resolution_minutes": 9})
        .status_code
        == 403
    )
    assert client_for(tenant.agent).delete(f"{V}/sla-targets/{target.pk}").status_code == 403
    assert client.delete(f"{V}/sla-targets/{target.pk}").status_code == 204
    assert not SlaTarget.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {"priority": "high", "first_response_minutes": 10, "resolution_minutes": 20},  # taken
        {"priority": "low", "first_response_minutes": 60, "resolution_minutes": 30},
        {"priority": "low", "first_response_minutes": 0, "resolution_minutes": 30},
        {"priority": "soon", "first_response_minutes": 1, "resolution_minutes": 30},
        {"priority": "low", "first_response_minutes": "x", "resolution_minutes": 30},
        {"priority": "low", "first_response_minutes": 1, "resolution_minutes": 10**9},
        {"priority": "low", "first_response_minutes": 1},
    ],
)
def test_bad_targets_are_400_and_store_nothing(client_for, tenant, body):
    SlaTarget.objects.create(
        company=tenant.company, priority="high", first_response_minutes=5, resolution_minutes=50
    )

    response = client_for(tenant.admin).post(
        f"{V}/companies/{tenant.company.pk}/sla-targets", body, format="json"
    )

    assert response.status_code == 400, response.data
    assert list(SlaTarget.objects.values_list("priority", "first_response_minutes")) == [
        ("high", 5)
    ]


@pytest.mark.parametrize(
    "body",
    [{"resolution_minutes": 1}, {"priority": "low"}, {"first_response_minutes": -1}],
)
def test_a_bad_target_change_is_400_and_changes_nothing(client_for, tenant, body):
    target = SlaTarget.objects.create(
        company=tenant.company, priority="high", first_response_minutes=5, resolution_minutes=50
    )

    response = client_for(tenant.admin).patch(f"{V}/sla-targets/{target.pk}", body, format="json")

    assert response.status_code == 400, response.data
    target.refresh_from_db()
    assert (target.priority, target.first_response_minutes, target.resolution_minutes) == (
        "high",
        5,
        50,
    )


def test_lists_cost_a_fixed_number_of_queries(client_for, tenant, django_assert_max_num_queries):
    for day in range(1, 29):
        Holiday.objects.create(company=tenant.company, date=date(2026, 2, day), name=f"D{day}")
    for priority in ("low", "medium", "high", "urgent"):
        SlaTarget.objects.create(
            company=tenant.company,
            priority=priority,
            first_response_minutes=1,
            resolution_minutes=2,
        )
    for day in range(7):
        for hour in range(0, 20, 4):
            BusinessHours.objects.create(
                company=tenant.company, weekday=day, opens=time(hour), closes=time(hour + 2)
            )
    client = client_for(tenant.agent)
    base = f"{V}/companies/{tenant.company.pk}"

    for path, size in (
        ("holidays", 100),
        ("holidays", 5),
        ("sla-targets", 100),
        ("business-hours", 0),
    ):
        with django_assert_max_num_queries(6):
            response = client.get(f"{base}/{path}", {"page_size": size} if size else {})
        assert response.status_code == 200
    assert len(response.json()["ranges"]) == 35


def test_an_inactive_company_reads_but_does_not_write(client_for, tenant):
    tenant.company.is_active = False
    tenant.company.save(update_fields=["is_active"])
    client = client_for(tenant.admin)

    assert client.get(f"{V}/companies/{tenant.company.pk}/holidays").status_code == 200
    response = client.post(
        f"{V}/companies/{tenant.company.pk}/holidays", {"date": "2026-12-25", "name": "N"}
    )
    assert response.status_code == 403
    assert response.json()["code"] == "company_inactive"
    assert not Holiday.objects.exists()


def test_a_member_of_two_companies_only_writes_where_admin(client_for, tenant, other_tenant):
    MembershipFactory(company=other_tenant.company, user=tenant.admin, role=Membership.Role.AGENT)

    response = client_for(tenant.admin).put(
        f"{V}/companies/{other_tenant.company.pk}/business-hours", WEEK, format="json"
    )

    assert response.status_code == 403
