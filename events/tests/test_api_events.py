from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.tests.factories import UserFactory
from events.models import Event
from events.tests.factories import EventFactory, RegistrationFactory
from ongs.models import Ong
from ongs.tests.factories import OngFactory

pytestmark = pytest.mark.django_db

EVENTS = "/api/v1/events"


def _iso(value) -> str:
    return value.isoformat().replace("+00:00", "Z")


def test_public_list_shows_active_events_of_active_ngos(api_client, event):
    EventFactory(is_active=False)
    EventFactory(ong=OngFactory(is_active=False))
    RegistrationFactory(event=event)

    response = api_client.get(EVENTS)

    assert response.status_code == 200
    assert response.data["count"] == 1
    assert response.data["results"][0] == {
        "id": event.pk,
        "ong": {"id": event.ong.pk, "name": "Cola&Bora"},
        "title": "Beach clean-up",
        "description": "Come and help.",
        "address": "Rua das Flores, 100, São Paulo",
        "starts_at": _iso(event.starts_at),
        "ends_at": _iso(event.ends_at),
        "capacity": 2,
        "registered_count": 1,
        "seats_left": 1,
        "is_registered": False,
        "is_active": True,
        "created_at": _iso(event.created_at),
        "updated_at": _iso(event.updated_at),
    }


def test_list_costs_fixed_queries_whatever_the_page_size(
    user_client, user, django_assert_max_num_queries
):
    for event in EventFactory.create_batch(30):
        RegistrationFactory(event=event, user=user)

    with django_assert_max_num_queries(3):  # session user, count, page
        response = user_client.get(EVENTS, {"page_size": 100})

    assert response.data["count"] == 30
    assert all(row["is_registered"] for row in response.data["results"])


def test_list_filters_by_ngo_date_range_and_search(api_client, ong):
    now = timezone.now()
    soon = EventFactory(ong=ong, title="Soup kitchen", starts_at=now + timedelta(days=1))
    later = EventFactory(ong=ong, title="Tree planting", starts_at=now + timedelta(days=30))
    EventFactory(title="Elsewhere", starts_at=now + timedelta(days=2))

    by_ngo = api_client.get(EVENTS, {"ong": ong.pk, "ordering": "-starts_at"})
    by_range = api_client.get(
        EVENTS,
        {
            "starts_after": _iso(now + timedelta(days=10)),
            "starts_before": _iso(now + timedelta(days=40)),
        },
    )
    by_text = api_client.get(EVENTS, {"search": "soup"})

    assert [row["id"] for row in by_ngo.data["results"]] == [later.pk, soon.pk]
    assert [row["id"] for row in by_range.data["results"]] == [later.pk]
    assert [row["id"] for row in by_text.data["results"]] == [soon.pk]


def test_ngo_events_lists_one_ngos_events(api_client, event):
    EventFactory()

    response = api_client.get(f"/api/v1/ongs/{event.ong.pk}/events")

    assert [row["id"] for row in response.data["results"]] == [event.pk]


def test_ngo_events_of_an_inactive_ngo_is_404(api_client, ong):
    Ong.objects.filter(pk=ong.pk).update(is_active=False)

    assert api_client.get(f"/api/v1/ongs/{ong.pk}/events").status_code == 404


def _event_body(ong, **changes):
    starts = timezone.now() + timedelta(days=3)
    body = {
        "ong": ong.pk,
        "title": "Mutirão de limpeza",
        "address": "Praia Grande",
        "starts_at": _iso(starts),
        "ends_at": _iso(starts + timedelta(hours=4)),
        "capacity": 30,
    }
    return {**body, **changes}


def test_owner_publishes_an_event(client_for, owner, ong):
    response = client_for(owner).post(EVENTS, _event_body(ong))

    assert response.status_code == 201
    event = Event.objects.get()
    assert (event.ong, event.title, event.capacity, event.is_active) == (
        ong,
        "Mutirão de limpeza",
        30,
        True,
    )
    assert response.data["registered_count"] == 0
    assert response.data["seats_left"] == 30


def test_admin_publishes_an_event(client_for, ong):
    admin = UserFactory()
    ong.admins.add(admin)

    assert client_for(admin).post(EVENTS, _event_body(ong)).status_code == 201


def test_publishing_for_a_visible_ngo_one_does_not_manage_is_403(user_client, ong):
    response = user_client.post(EVENTS, _event_body(ong))

    assert response.status_code == 403
    assert not Event.objects.exists()


def test_publishing_for_an_invisible_ngo_is_400(user_client, ong):
    Ong.objects.filter(pk=ong.pk).update(is_active=False)

    response = user_client.post(EVENTS, _event_body(ong))

    assert response.status_code == 400
    assert response.data["errors"] == {"ong": ["Unknown NGO."]}
    assert not Event.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"ends_at": _iso(timezone.now())}, "ends_at"),
        ({"capacity": 0}, "capacity"),
        ({"starts_at": "tomorrow"}, "starts_at"),
        ({"title": ""}, "title"),
    ],
)
def test_bad_event_input_is_400(client_for, owner, ong, changes, field):
    response = client_for(owner).post(EVENTS, _event_body(ong, **changes))

    assert response.status_code == 400
    assert field in response.data["errors"]
    assert not Event.objects.exists()


@pytest.mark.parametrize(
    ("who", "expected"), [("owner", 200), ("stranger", 403), ("anonymous", 401)]
)
def test_who_edits_an_event(client_for, api_client, owner, event, who, expected):
    people = {"owner": owner, "stranger": UserFactory()}
    client = client_for(people[who]) if who in people else api_client

    response = client.patch(f"{EVENTS}/{event.pk}", {"title": "New title"})

    assert response.status_code == expected
    event.refresh_from_db()
    assert event.title == ("New title" if expected == 200 else "Beach clean-up")


def test_an_event_never_moves_to_another_ngo(client_for, owner, event):
    other = OngFactory(owner=owner)

    response = client_for(owner).patch(
        f"{EVENTS}/{event.pk}", {"title": "New title", "ong": other.pk, "is_active": False}
    )

    assert response.status_code == 400
    assert response.data["errors"] == {
        "ong": [
            "This field cannot be set here; an event cannot move to another NGO; "
            "create it there with POST /api/v1/events"
        ],
        "is_active": [
            "This field cannot be set here; cancel the event with DELETE /api/v1/events/{id}"
        ],
    }
    event.refresh_from_db()
    assert (event.title, event.ong_id, event.is_active) == ("Beach clean-up", event.ong.pk, True)


def test_capacity_cannot_drop_below_registrations(client_for, owner, event):
    RegistrationFactory.create_batch(2, event=event)

    response = client_for(owner).patch(f"{EVENTS}/{event.pk}", {"capacity": 1})

    assert response.status_code == 400
    assert response.data["errors"] == {"capacity": ["2 people are already registered."]}
    event.refresh_from_db()
    assert event.capacity == 2


def test_patch_keeps_end_after_start(client_for, owner, event):
    response = client_for(owner).patch(
        f"{EVENTS}/{event.pk}", {"ends_at": _iso(event.starts_at - timedelta(hours=1))}
    )

    assert response.status_code == 400
    assert "ends_at" in response.data["errors"]


def test_delete_cancels_the_event(client_for, api_client, owner, event):
    assert client_for(UserFactory()).delete(f"{EVENTS}/{event.pk}").status_code == 403

    response = client_for(owner).delete(f"{EVENTS}/{event.pk}")

    assert response.status_code == 204
    assert Event.objects.get(pk=event.pk).is_active is False
    assert api_client.get(f"{EVENTS}/{event.pk}").status_code == 404
    assert client_for(owner).get(f"{EVENTS}/{event.pk}").status_code == 200


def test_ngo_events_cost_fixed_queries(api_client, ong, django_assert_max_num_queries):
    EventFactory.create_batch(30, ong=ong)

    with django_assert_max_num_queries(3):  # NGO, count, page
        response = api_client.get(f"/api/v1/ongs/{ong.pk}/events", {"page_size": 100})

    assert response.data["count"] == 30


# --- the start is never in the past; the end has a default ------------------------------


def test_an_event_cannot_be_published_in_the_past(client_for, owner, ong):
    starts = timezone.now() - timedelta(minutes=5)

    response = client_for(owner).post(
        EVENTS, _event_body(ong, starts_at=_iso(starts), ends_at=_iso(starts + timedelta(hours=2)))
    )

    assert response.status_code == 400
    assert response.data["errors"] == {"starts_at": ["An event cannot start in the past."]}
    assert not Event.objects.exists()


def test_patch_cannot_move_the_start_into_the_past(client_for, owner, event):
    before = event.starts_at

    response = client_for(owner).patch(
        f"{EVENTS}/{event.pk}",
        {"title": "Moved", "starts_at": _iso(timezone.now() - timedelta(days=1))},
    )

    assert response.status_code == 400
    assert response.data["errors"] == {"starts_at": ["An event cannot start in the past."]}
    event.refresh_from_db()
    assert (event.title, event.starts_at) == ("Beach clean-up", before)


def test_an_event_that_started_keeps_its_other_details_editable(client_for, owner, ong):
    started = EventFactory(ong=ong, starts_at=timezone.now() - timedelta(hours=1))

    response = client_for(owner).patch(
        f"{EVENTS}/{started.pk}",
        {"description": "Photos are up.", "starts_at": _iso(started.starts_at)},
    )

    assert response.status_code == 200
    started.refresh_from_db()
    assert started.description == "Photos are up."


def test_without_an_end_an_event_lasts_two_hours(client_for, owner, ong):
    body = _event_body(ong)
    del body["ends_at"]

    response = client_for(owner).post(EVENTS, body)

    assert response.status_code == 201
    event = Event.objects.get()
    assert event.ends_at - event.starts_at == timedelta(hours=2)
    assert response.data["ends_at"] == _iso(event.ends_at)
