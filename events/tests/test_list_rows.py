"""Event lists build their rows by hand (core/rows.py): they must say exactly what
the generic serializer says, for anonymous and logged-in readers, in two queries (plus
the user's own for a logged-in reader) whatever the page size."""

import json

import pytest
from django.utils import timezone

from events import selectors
from events.api.serializers import EventListSerializer, EventSerializer
from events.tests.factories import EventFactory, RegistrationFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("zone", ["UTC", "America/Sao_Paulo"])
def test_hand_written_event_row_matches_the_generic_serializer(user, zone):
    full = EventFactory(capacity=2)
    RegistrationFactory.create_batch(3, event=full)  # more than the seats: 0 left, not -1
    RegistrationFactory(event=EventFactory(capacity=10), user=user)
    EventFactory(capacity=None, address="")
    events = selectors.event_list_visible_to(user).order_by("id")

    with timezone.override(zone):
        rows = EventListSerializer.rows(events.values_list(*EventListSerializer.COLUMNS))
        generic = [EventSerializer(event).data for event in events]

    assert [row["seats_left"] for row in rows] == [0, 9, None]
    assert [row["is_registered"] for row in rows] == [False, True, False]
    assert rows == generic


def test_public_event_list_is_two_queries_and_the_generic_json(
    api_client, django_assert_max_num_queries
):
    events = EventFactory.create_batch(12, capacity=5)
    for event in events[:4]:
        RegistrationFactory.create_batch(2, event=event)

    with django_assert_max_num_queries(2):
        response = api_client.get("/api/v1/events", {"page_size": 10, "page": 1})

    assert response.status_code == 200
    body = json.loads(response.content)
    assert body["count"] == 12
    from django.contrib.auth.models import AnonymousUser

    expected = [
        EventSerializer(event).data
        for event in selectors.event_list_visible_to(AnonymousUser()).order_by("starts_at", "id")
    ][:10]
    assert body["results"] == json.loads(json.dumps(expected))
    assert sorted(row["registered_count"] for row in body["results"])[-4:] == [2, 2, 2, 2]


def test_logged_in_reader_sees_own_registrations_in_three_queries(
    client_for, user, django_assert_max_num_queries
):
    mine, other = EventFactory(), EventFactory()
    RegistrationFactory(event=mine, user=user)
    client = client_for(user)

    with django_assert_max_num_queries(3):
        response = client.get("/api/v1/events")

    flags = {row["id"]: row["is_registered"] for row in response.data["results"]}
    assert flags == {mine.id: True, other.id: False}
