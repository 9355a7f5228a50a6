from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.utils import timezone
from icalendar import Calendar

from core.models import OutboundEmail
from fieldservice.models import Visit
from fieldservice.tests.factories import VisitFactory
from orders.tests.factories import OrderFactory

pytestmark = pytest.mark.django_db


def _future(days=2, hour=17, minute=30) -> datetime:
    day = (timezone.now() + timedelta(days=days)).date()
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def _schedule(client, order, **body):
    return client.post(f"/api/v1/orders/{order.pk}/visits", body, format="json")


def _ical(message) -> Calendar:
    (name, content, content_type), *_ = message.attachments
    return name, Calendar.from_ical(content), content_type


def test_an_agent_schedules_a_visit_and_both_sides_get_an_invitation(
    client_for, tenant, order, django_capture_on_commit_callbacks
):
    # given
    starts_at = _future()
    tenant.requester.language = "pt-br"
    tenant.requester.save()

    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = _schedule(
            client_for(tenant.admin),
            order,
            technician=tenant.agent.pk,
            starts_at=starts_at.isoformat(),
            duration_minutes=90,
        )

    # then
    assert response.status_code == 201, response.data
    visit = Visit.objects.get()
    local = starts_at.astimezone(tenant.company.zone)
    assert response.json() == {
        "id": visit.pk,
        "order": {"id": order.pk, "title": order.title},
        "technician": {"id": tenant.agent.pk, "name": tenant.agent.name},
        "status": "scheduled",
        "starts_at": starts_at.isoformat().replace("+00:00", "Z"),
        "ends_at": (starts_at + timedelta(minutes=90)).isoformat().replace("+00:00", "Z"),
        "duration_minutes": 90,
        "time_zone": "America/Sao_Paulo",
        "starts_at_local": local.isoformat(),
        "address": "Av. Paulista, 1000",
        "uid": str(visit.uid),
        "sequence": 0,
        "created_by": {"id": tenant.admin.pk, "name": tenant.admin.name},
        "created_at": response.json()["created_at"],
        "updated_at": response.json()["updated_at"],
    }
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [tenant.requester.email, tenant.agent.email]
    )
    to_requester = next(m for m in mail.outbox if m.to == [tenant.requester.email])
    # Portuguese for the requester, in the company's zone (14:30 in São Paulo).
    assert to_requester.subject.startswith(f"[#{order.pk}] Visita agendada: ")
    assert f"{local:%H:%M} (America/Sao_Paulo)" in to_requester.body
    name, calendar, content_type = _ical(to_requester)
    assert (name, content_type) == ("invite.ics", "text/calendar; method=REQUEST")
    assert calendar["METHOD"] == "REQUEST"
    event = calendar.walk("VEVENT")[0]
    assert event["UID"].startswith(str(visit.uid))
    assert event["SEQUENCE"] == 0
    assert event.decoded("DTSTART") == starts_at
    assert event.to_ical().decode().count(f"DTSTART:{starts_at:%Y%m%dT%H%M%S}Z") == 1
    assert str(event["LOCATION"]) == "Av. Paulista, 1000"
    assert str(event["STATUS"]) == "CONFIRMED"


def test_the_attachment_is_stored_in_the_outbox_row(client_for, tenant, order):
    _schedule(
        client_for(tenant.admin),
        order,
        technician=tenant.agent.pk,
        starts_at=_future().isoformat(),
        duration_minutes=30,
    )

    row = OutboundEmail.objects.get(to=tenant.requester.email)
    assert [(a["filename"], a["content_type"]) for a in row.attachments] == [
        ("invite.ics", "text/calendar; method=REQUEST")
    ]
    assert row.attachments[0]["content"].startswith("BEGIN:VCALENDAR")


def test_the_technician_scheduling_their_own_visit_is_not_emailed(
    client_for, tenant, order, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = _schedule(
            client_for(tenant.agent),
            order,
            technician=tenant.agent.pk,
            starts_at=_future().isoformat(),
            duration_minutes=30,
        )

    assert response.status_code == 201
    assert [m.to for m in mail.outbox] == [[tenant.requester.email]]


def test_an_overlapping_visit_of_the_technician_is_409_naming_the_other(client_for, tenant, order):
    other = VisitFactory(
        order=OrderFactory(company=tenant.company),
        technician=tenant.agent,
        starts_at=_future(hour=17),
        duration_minutes=60,
    )

    response = _schedule(
        client_for(tenant.admin),
        order,
        technician=tenant.agent.pk,
        starts_at=_future(hour=17, minute=45).isoformat(),
        duration_minutes=30,
    )

    assert response.status_code == 409
    assert response.json()["code"] == "visit_overlaps"
    assert response.json()["visit"] == other.pk
    assert Visit.objects.count() == 1


def test_back_to_back_visits_and_a_cancelled_one_do_not_overlap(client_for, tenant, order):
    VisitFactory(technician=tenant.agent, starts_at=_future(hour=16, minute=30))  # ends 17:30
    VisitFactory(technician=tenant.agent, starts_at=_future(hour=17), status="cancelled")

    response = _schedule(
        client_for(tenant.admin),
        order,
        technician=tenant.agent.pk,
        starts_at=_future(hour=17, minute=30).isoformat(),
        duration_minutes=30,
    )

    assert response.status_code == 201


@pytest.mark.parametrize(
    "body, field",
    [
        ({"starts_at": "2020-01-01T10:00:00Z", "duration_minutes": 30}, "starts_at"),
        ({"starts_at": "2999-01-01T10:00:00Z", "duration_minutes": 30}, "starts_at"),
        ({"starts_at": "9999-12-31T23:59:00Z", "duration_minutes": 720}, "starts_at"),
        ({"starts_at": "tomorrow", "duration_minutes": 30}, "starts_at"),
        ({"duration_minutes": 0}, "duration_minutes"),
        ({"duration_minutes": 721}, "duration_minutes"),
        ({"duration_minutes": "long"}, "duration_minutes"),
        ({"technician": 987654}, "technician"),
        ({"status": "cancelled"}, "status"),
        ({"address": "x" * 301}, "address"),
    ],
)
def test_bad_input_is_400_and_stores_nothing(client_for, tenant, order, body, field):
    valid = {
        "technician": tenant.agent.pk,
        "starts_at": _future().isoformat(),
        "duration_minutes": 30,
    }

    response = _schedule(client_for(tenant.admin), order, **{**valid, **body})

    assert response.status_code == 400, response.data
    assert list(response.json()["errors"]) == [field]
    assert Visit.objects.count() == 0
    assert OutboundEmail.objects.count() == 0


def test_the_technician_must_be_an_agent_of_the_orders_company(
    client_for, tenant, other_tenant, order
):
    for person in (tenant.requester, other_tenant.agent):
        response = _schedule(
            client_for(tenant.admin),
            order,
            technician=person.pk,
            starts_at=_future().isoformat(),
            duration_minutes=30,
        )
        assert response.status_code == 400
        assert list(response.json()["errors"]) == ["technician"]
    assert Visit.objects.count() == 0


def test_a_closed_order_gets_no_visit(client_for, tenant, order):
    order.status, order.solution, order.assignee = "closed", "done", tenant.agent
    order.save()

    response = _schedule(
        client_for(tenant.admin),
        order,
        technician=tenant.agent.pk,
        starts_at=_future().isoformat(),
        duration_minutes=30,
    )

    assert response.status_code == 409
    assert response.json()["code"] == "order_closed"


def test_a_requester_may_not_schedule(client_for, tenant, order):
    response = _schedule(
        client_for(tenant.requester),
        order,
        technician=tenant.agent.pk,
        starts_at=_future().isoformat(),
        duration_minutes=30,
    )

    assert response.status_code == 403
    assert Visit.objects.count() == 0


def test_another_companys_order_is_404(client_for, tenant, other_tenant):
    theirs = OrderFactory(company=other_tenant.company)

    response = _schedule(
        client_for(tenant.admin),
        theirs,
        technician=other_tenant.agent.pk,
        starts_at=_future().isoformat(),
        duration_minutes=30,
    )

    assert response.status_code == 404
    assert client_for(tenant.admin).get(f"/api/v1/orders/{theirs.pk}/visits").status_code == 404
    assert Visit.objects.count() == 0


def test_the_orders_visits_are_listed_for_its_requester(client_for, tenant, order):
    later = VisitFactory(order=order, technician=tenant.agent, starts_at=_future(days=3))
    sooner = VisitFactory(order=order, technician=tenant.agent, starts_at=_future(days=2))
    VisitFactory(technician=tenant.agent)  # another order's

    response = client_for(tenant.requester).get(f"/api/v1/orders/{order.pk}/visits")

    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [sooner.pk, later.pk]


def test_the_agenda_filters_by_technician_and_local_days(client_for, tenant, order):
    # given: visits at 02:30 UTC, which is still the previous day in São Paulo (UTC-3)
    day = _future(days=3).date()
    early = datetime(day.year, day.month, day.day, 2, 30, tzinfo=UTC)
    previous_local_day = VisitFactory(order=order, technician=tenant.agent, starts_at=early)
    that_day = VisitFactory(
        order=order, technician=tenant.agent, starts_at=early + timedelta(hours=12)
    )
    VisitFactory(order=order, technician=tenant.lead, starts_at=early + timedelta(hours=12))
    client = client_for(tenant.admin)

    by_date = client.get(
        "/api/v1/visits",
        {"technician": tenant.agent.pk, "date_from": day.isoformat(), "date_to": day.isoformat()},
    )
    by_brazilian_date = client.get(
        "/api/v1/visits",
        {"technician": tenant.agent.pk, "date_to": f"{day - timedelta(days=1):%d/%m/%Y}"},
    )
    by_instant = client.get(
        "/api/v1/visits",
        {"technician": tenant.agent.pk, "date_from": early.isoformat().replace("+00:00", "Z")},
    )

    assert [row["id"] for row in by_date.json()["results"]] == [that_day.pk]
    assert [row["id"] for row in by_brazilian_date.json()["results"]] == [previous_local_day.pk]
    assert [row["id"] for row in by_instant.json()["results"]] == [
        previous_local_day.pk,
        that_day.pk,
    ]


@pytest.mark.parametrize(
    "params",
    [
        {"date_from": "yesterday"},
        {"date_to": "31/02/2026"},
        {"date_from": ""},
        {"technician": "x"},
        {"status": "done"},
        {"ordering": "title"},
    ],
)
def test_bad_agenda_filters_are_400(client_for, tenant, params):
    response = client_for(tenant.admin).get("/api/v1/visits", params)

    assert response.status_code == 400
    assert list(response.json()["errors"]) == list(params)


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_extreme_agenda_dates_are_not_a_500(client_for, tenant, order, day):
    VisitFactory(order=order, technician=tenant.agent)

    response = client_for(tenant.admin).get("/api/v1/visits", {"date_from": day, "date_to": day})

    assert response.status_code == 200


def test_the_agenda_is_scoped(client_for, tenant, other_tenant, order, user):
    ours = VisitFactory(order=order, technician=tenant.agent)
    theirs = VisitFactory(order=OrderFactory(company=other_tenant.company))

    def ids(person):
        return [row["id"] for row in client_for(person).get("/api/v1/visits").json()["results"]]

    assert ids(tenant.admin) == [ours.pk]
    assert ids(tenant.requester) == [ours.pk]
    assert ids(other_tenant.admin) == [theirs.pk]
    assert ids(user) == []
    assert client_for(tenant.admin).get(f"/api/v1/visits/{theirs.pk}").status_code == 404


@pytest.mark.parametrize("size", [5, 40])
def test_the_agenda_costs_a_fixed_number_of_queries(
    client_for, tenant, django_assert_max_num_queries, size
):
    for index in range(size):
        VisitFactory(
            order=OrderFactory(company=tenant.company),
            technician=tenant.agent,
            starts_at=_future(days=2) + timedelta(hours=index),
            created_by=tenant.admin,
        )

    with django_assert_max_num_queries(5):
        response = client_for(tenant.admin).get(
            "/api/v1/visits", {"page_size": 100, "date_from": "2000-01-01"}
        )

    assert len(response.json()["results"]) == size


def test_an_orders_visit_list_costs_a_fixed_number_of_queries(
    client_for, tenant, order, django_assert_max_num_queries
):
    for index in range(30):
        VisitFactory(
            order=order, technician=tenant.agent, starts_at=_future() + timedelta(hours=index)
        )

    with django_assert_max_num_queries(6):
        response = client_for(tenant.requester).get(
            f"/api/v1/orders/{order.pk}/visits", {"page_size": 100}
        )

    assert len(response.json()["results"]) == 30


def test_reschedule_raises_the_sequence_and_emails_the_update(
    client_for, tenant, order, django_capture_on_commit_callbacks
):
    visit = VisitFactory(order=order, technician=tenant.agent, starts_at=_future())
    new_start = _future(days=4, hour=12)

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(tenant.admin).post(
            f"/api/v1/visits/{visit.pk}/reschedule",
            {"starts_at": new_start.isoformat(), "duration_minutes": 45},
            format="json",
        )

    assert response.status_code == 200, response.data
    visit.refresh_from_db()
    assert (visit.starts_at, visit.duration_minutes, visit.sequence) == (new_start, 45, 1)
    assert visit.ends_at == new_start + timedelta(minutes=45)
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [tenant.requester.email, tenant.agent.email]
    )
    _name, calendar, _type = _ical(mail.outbox[0])
    event = calendar.walk("VEVENT")[0]
    assert (calendar["METHOD"], event["SEQUENCE"]) == ("REQUEST", 1)
    assert event.decoded("DTSTART") == new_start


def test_reschedule_to_another_technician_cancels_it_for_the_first(
    client_for, tenant, order, django_capture_on_commit_callbacks
):
    visit = VisitFactory(order=order, technician=tenant.agent, starts_at=_future())

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(tenant.admin).post(
            f"/api/v1/visits/{visit.pk}/reschedule",
            {"starts_at": _future(days=3).isoformat(), "technician": tenant.lead.pk},
            format="json",
        )

    assert response.status_code == 200
    assert response.json()["technician"]["id"] == tenant.lead.pk
    methods = {m.to[0]: _ical(m)[1]["METHOD"] for m in mail.outbox}
    assert methods == {
        tenant.agent.email: "CANCEL",
        tenant.lead.email: "REQUEST",
        tenant.requester.email: "REQUEST",
    }


def test_reschedule_into_another_visit_is_409_and_changes_nothing(client_for, tenant, order):
    visit = VisitFactory(order=order, technician=tenant.agent, starts_at=_future(hour=10))
    other = VisitFactory(technician=tenant.agent, starts_at=_future(hour=12))

    response = client_for(tenant.admin).post(
        f"/api/v1/visits/{visit.pk}/reschedule",
        {"starts_at": _future(hour=12, minute=30).isoformat()},
        format="json",
    )

    assert response.status_code == 409
    assert response.json()["visit"] == other.pk
    visit.refresh_from_db()
    assert (visit.starts_at, visit.sequence) == (_future(hour=10), 0)


def test_reschedule_refuses_the_past_and_a_requester(client_for, tenant, order):
    visit = VisitFactory(order=order, technician=tenant.agent)
    url = f"/api/v1/visits/{visit.pk}/reschedule"
    body = {"starts_at": "2020-01-01T10:00:00Z"}

    assert client_for(tenant.admin).post(url, body, format="json").status_code == 400
    assert client_for(tenant.requester).post(url, body, format="json").status_code == 403
    visit.refresh_from_db()
    assert visit.sequence == 0


def test_cancel_emails_the_cancellation_and_frees_the_agenda(
    client_for, tenant, order, django_capture_on_commit_callbacks
):
    visit = VisitFactory(order=order, technician=tenant.agent, starts_at=_future())

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(tenant.admin).post(f"/api/v1/visits/{visit.pk}/cancel")

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["sequence"]) == ("cancelled", 1)
    assert len(mail.outbox) == 2
    name, calendar, content_type = _ical(mail.outbox[0])
    assert (name, content_type) == ("cancel.ics", "text/calendar; method=CANCEL")
    event = calendar.walk("VEVENT")[0]
    assert (calendar["METHOD"], str(event["STATUS"]), event["SEQUENCE"]) == (
        "CANCEL",
        "CANCELLED",
        1,
    )
    again = client_for(tenant.admin).post(f"/api/v1/visits/{visit.pk}/cancel")
    assert again.status_code == 409
    assert again.json()["code"] == "visit_not_scheduled"


def test_cancel_is_refused_to_a_requester_and_hidden_from_another_company(
    client_for, tenant, other_tenant, order
):
    visit = VisitFactory(order=order, technician=tenant.agent)

    assert client_for(tenant.requester).post(f"/api/v1/visits/{visit.pk}/cancel").status_code == 403
    assert (
        client_for(other_tenant.admin).post(f"/api/v1/visits/{visit.pk}/cancel").status_code == 404
    )
    assert (
        client_for(other_tenant.admin)
        .post(f"/api/v1/visits/{visit.pk}/reschedule", {"starts_at": _future().isoformat()})
        .status_code
        == 404
    )
    visit.refresh_from_db()
    assert visit.status == "scheduled"


def test_the_ics_download(client_for, tenant, other_tenant, order):
    visit = VisitFactory(order=order, technician=tenant.agent, starts_at=_future())

    response = client_for(tenant.requester).get(f"/api/v1/visits/{visit.pk}/ics")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="visit-{visit.pk}.ics"'
    calendar = Calendar.from_ical(response.content)
    assert calendar["METHOD"] == "PUBLISH"
    assert calendar.walk("VEVENT")[0].decoded("DTSTART") == _future()
    assert client_for(other_tenant.admin).get(f"/api/v1/visits/{visit.pk}/ics").status_code == 404
