from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from threading import Event as Gate

import pytest
from django.core import mail
from django.db import connection, connections
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.tests.factories import UserFactory
from accounts.tokens import token_pair_for
from events.models import Event, Registration
from events.tests.factories import EventFactory, RegistrationFactory
from ongs.models import Ong

EVENTS = "/api/v1/events"


@pytest.mark.django_db
def test_register_and_get_a_confirmation_email(
    user_client, user, event, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = user_client.post(f"{EVENTS}/{event.pk}/registration")

    assert response.status_code == 201
    registration = Registration.objects.get()
    assert response.data == {
        "id": registration.pk,
        "event": event.pk,
        "user": {"id": user.pk, "name": user.name, "email": user.email},
        "created_at": registration.created_at.isoformat().replace("+00:00", "Z"),
    }
    assert [(message.to, message.subject) for message in mail.outbox] == [
        ([user.email], "You are registered: Beach clean-up")
    ]
    assert "Cola&Bora" in mail.outbox[0].body


@pytest.mark.django_db
def test_confirmation_is_in_the_participants_language(client_for, event):
    person = UserFactory(language="pt-br")

    client_for(person).post(f"{EVENTS}/{event.pk}/registration")

    from core.models import OutboundEmail

    assert OutboundEmail.objects.get().subject == "Inscrição confirmada: Beach clean-up"


@pytest.mark.django_db
def test_registering_twice_is_409(user_client, user, event):
    RegistrationFactory(event=event, user=user)

    response = user_client.post(f"{EVENTS}/{event.pk}/registration")

    assert response.status_code == 409
    assert response.data["code"] == "already_registered"
    assert Registration.objects.count() == 1


@pytest.mark.django_db
def test_a_full_event_is_409(user_client, event):
    RegistrationFactory.create_batch(2, event=event)

    response = user_client.post(f"{EVENTS}/{event.pk}/registration")

    assert response.status_code == 409
    assert response.data == {"detail": "This event is full.", "code": "event_full"}
    assert Registration.objects.count() == 2


@pytest.mark.django_db
def test_registration_closes_when_the_event_starts(user_client, ong):
    started = EventFactory(ong=ong, starts_at=timezone.now() - timedelta(minutes=1))

    response = user_client.post(f"{EVENTS}/{started.pk}/registration")

    assert response.status_code == 409
    assert response.data["code"] == "registration_closed"
    assert not Registration.objects.exists()


@pytest.mark.django_db
def test_cancelled_event_or_inactive_ngo_takes_no_registrations(client_for, event):
    Event.objects.filter(pk=event.pk).update(is_active=False)
    stranger_response = client_for(UserFactory()).post(f"{EVENTS}/{event.pk}/registration")
    # staff still see the cancelled event, and are not its NGO's managers
    staff_response = client_for(UserFactory(is_staff=True)).post(
        f"{EVENTS}/{event.pk}/registration"
    )

    assert stranger_response.status_code == 404
    assert staff_response.status_code == 409
    assert staff_response.data["code"] == "event_inactive"

    Event.objects.filter(pk=event.pk).update(is_active=True)
    Ong.objects.filter(pk=event.ong_id).update(is_active=False)
    assert client_for(UserFactory()).post(f"{EVENTS}/{event.pk}/registration").status_code == 404
    assert not Registration.objects.exists()


@pytest.mark.django_db
def test_registering_needs_login(api_client, event):
    assert api_client.post(f"{EVENTS}/{event.pk}/registration").status_code == 401


@pytest.mark.django_db
def test_unregister_frees_the_seat_and_emails(
    user_client, user, event, django_capture_on_commit_callbacks
):
    RegistrationFactory(event=event, user=user)

    with django_capture_on_commit_callbacks(execute=True):
        response = user_client.delete(f"{EVENTS}/{event.pk}/registration")

    assert response.status_code == 204
    assert not Registration.objects.exists()
    assert [message.subject for message in mail.outbox] == [
        "Registration cancelled: Beach clean-up"
    ]
    assert user_client.post(f"{EVENTS}/{event.pk}/registration").status_code == 201


@pytest.mark.django_db
def test_unregister_when_not_registered_is_404(user_client, event):
    response = user_client.delete(f"{EVENTS}/{event.pk}/registration")

    assert response.status_code == 404
    assert response.data["code"] == "not_registered"


@pytest.mark.django_db
def test_unregister_after_the_start_is_409(user_client, user, ong):
    started = EventFactory(ong=ong, starts_at=timezone.now() - timedelta(minutes=1))
    RegistrationFactory(event=started, user=user)

    assert user_client.delete(f"{EVENTS}/{started.pk}/registration").status_code == 409
    assert Registration.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("who", "expected"),
    [("owner", 200), ("admin", 200), ("stranger", 404), ("staff", 200), ("anonymous", 401)],
)
def test_who_sees_an_events_participants(client_for, api_client, owner, event, who, expected):
    admin = UserFactory()
    event.ong.admins.add(admin)
    RegistrationFactory(event=event)
    people = {
        "owner": owner,
        "admin": admin,
        "stranger": UserFactory(),
        "staff": UserFactory(is_staff=True),
    }
    client = client_for(people[who]) if who in people else api_client

    response = client.get(f"{EVENTS}/{event.pk}/participants")

    assert response.status_code == expected
    if expected == 200:
        assert response.data["count"] == 1


@pytest.mark.django_db
def test_participants_of_an_invisible_event_is_404(user_client, event):
    Event.objects.filter(pk=event.pk).update(is_active=False)

    assert user_client.get(f"{EVENTS}/{event.pk}/participants").status_code == 404


@pytest.mark.django_db
def test_event_participants_cost_fixed_queries(
    client_for, owner, ong, django_assert_max_num_queries
):
    event = EventFactory(ong=ong)
    RegistrationFactory.create_batch(30, event=event)
    client = client_for(owner)

    # session user, event, owner role, count, page with users
    with django_assert_max_num_queries(5):
        response = client.get(f"{EVENTS}/{event.pk}/participants", {"page_size": 100})

    assert response.data["count"] == 30


@pytest.mark.django_db
def test_ngo_participants_lists_each_person_once(
    client_for, owner, ong, django_assert_max_num_queries
):
    first, second = EventFactory(ong=ong), EventFactory(ong=ong)
    regular = UserFactory(name="Ana Regular")
    RegistrationFactory(event=first, user=regular)
    RegistrationFactory(event=second, user=regular)
    RegistrationFactory(event=EventFactory(), user=regular)  # another NGO's event
    RegistrationFactory.create_batch(30, event=first)
    client = client_for(owner)

    with django_assert_max_num_queries(5):
        response = client.get(
            f"/api/v1/ongs/{ong.pk}/participants",
            {"page_size": 100, "ordering": "-events_count"},
        )

    assert response.data["count"] == 31
    assert response.data["results"][0] == {
        "id": regular.pk,
        "name": "Ana Regular",
        "email": regular.email,
        "events_count": 2,
    }


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_hundred_people_for_ten_seats_fill_exactly_ten():
    if connection.vendor != "postgresql":
        pytest.skip("RACE TEST SKIPPED: needs PostgreSQL row locks (set DATABASE_URL)")
    event = EventFactory(capacity=10)
    tokens = [token_pair_for(UserFactory()).access for _ in range(100)]
    start = Gate()

    def register(token):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        start.wait()
        try:
            return client.post(f"{EVENTS}/{event.pk}/registration").status_code
        finally:
            connections.close_all()

    # 25 connections at a time: PostgreSQL's default limit is 100 for all test workers.
    with ThreadPoolExecutor(max_workers=25) as pool:
        futures = [pool.submit(register, token) for token in tokens]
        start.set()
        codes = [future.result() for future in futures]

    assert codes.count(201) == 10
    assert codes.count(409) == 90
    assert Registration.objects.filter(event=event).count() == 10


@pytest.mark.django_db
def test_errors_are_translated(user_client, event):
    RegistrationFactory.create_batch(2, event=event)

    response = user_client.post(f"{EVENTS}/{event.pk}/registration", HTTP_ACCEPT_LANGUAGE="pt-br")

    assert response.data == {"detail": "Este evento está lotado.", "code": "event_full"}


# --- the NGO's managers do not volunteer at its events -----------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["owner", "admin"])
def test_the_ngos_owner_and_admins_cannot_register_for_its_events(client_for, owner, event, who):
    admin = UserFactory()
    event.ong.admins.add(admin)
    person = {"owner": owner, "admin": admin}[who]

    response = client_for(person).post(f"{EVENTS}/{event.pk}/registration")

    assert response.status_code == 403
    assert response.data == {
        "detail": "The NGO's owner and admins do not register for its events.",
        "code": "own_ngo_event",
    }
    assert not Registration.objects.exists()


@pytest.mark.django_db
def test_an_ngo_admin_volunteers_at_another_ngos_events(client_for, event):
    admin_elsewhere = UserFactory()
    EventFactory().ong.admins.add(admin_elsewhere)

    assert client_for(admin_elsewhere).post(f"{EVENTS}/{event.pk}/registration").status_code == 201


# --- no two registrations less than an hour apart ----------------------------------------


def _event_at(start, hours=2, **fields):
    return EventFactory(starts_at=start, ends_at=start + timedelta(hours=hours), **fields)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("offset", "clashes"),
    [
        (timedelta(hours=1), True),  # overlaps (the first runs 10:00-12:00, this 11:00-13:00)
        (timedelta(hours=2, minutes=59), True),  # starts 59 minutes after the first ends
        (timedelta(hours=3), False),  # starts exactly one hour after the first ends
        (-timedelta(hours=2, minutes=30), True),  # ends 30 minutes before the first starts
        (-timedelta(hours=3), False),  # ends exactly one hour before the first starts
    ],
)
def test_registrations_less_than_an_hour_apart_are_409(user_client, user, offset, clashes):
    ten = (timezone.now() + timedelta(days=5)).replace(hour=10, minute=0, second=0, microsecond=0)
    first = _event_at(ten, title="Morning clean-up")
    RegistrationFactory(event=first, user=user)
    second = _event_at(ten + offset)

    response = user_client.post(f"{EVENTS}/{second.pk}/registration")

    if clashes:
        assert response.status_code == 409
        assert response.data == {
            "detail": "You are registered for another event less than an hour apart from this one.",
            "code": "registration_overlaps",
            "conflicting_event": {"id": first.pk, "title": "Morning clean-up"},
        }
        assert not Registration.objects.filter(event=second).exists()
    else:
        assert response.status_code == 201


@pytest.mark.django_db
def test_cancelled_registrations_and_events_do_not_block(user_client, user):
    start = timezone.now() + timedelta(days=5)
    given_up, cancelled = _event_at(start), _event_at(start)
    RegistrationFactory(event=cancelled, user=user)
    Event.objects.filter(pk=cancelled.pk).update(is_active=False)
    RegistrationFactory(event=given_up, user=user)
    assert user_client.delete(f"{EVENTS}/{given_up.pk}/registration").status_code == 204
    target = _event_at(start)

    response = user_client.post(f"{EVENTS}/{target.pk}/registration")

    assert response.status_code == 201


@pytest.mark.django_db
def test_other_peoples_registrations_do_not_block(user_client, event):
    RegistrationFactory(event=_event_at(event.starts_at))

    assert user_client.post(f"{EVENTS}/{event.pk}/registration").status_code == 201


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_one_person_registering_for_ten_clashing_events_at_once_gets_one():
    if connection.vendor != "postgresql":
        pytest.skip("RACE TEST SKIPPED: needs PostgreSQL row locks (set DATABASE_URL)")
    start = timezone.now() + timedelta(days=3)
    events = [_event_at(start + timedelta(minutes=10 * n)) for n in range(10)]
    person = UserFactory()
    token = token_pair_for(person).access
    gate = Gate()

    def register(event):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        gate.wait()
        try:
            response = client.post(f"{EVENTS}/{event.pk}/registration")
            return response.status_code, response.data.get("code")
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=10) as pool:
        futures = [pool.submit(register, event) for event in events]
        gate.set()
        answers = [future.result() for future in futures]

    assert [code for code, _ in answers].count(201) == 1
    assert (
        sorted(reason for code, reason in answers if code != 201) == ["registration_overlaps"] * 9
    )
    assert Registration.objects.filter(user=person).count() == 1


@pytest.mark.django_db
def test_registration_takes_no_body_fields(user_client, event):
    response = user_client.post(
        f"{EVENTS}/{event.pk}/registration", {"user": UserFactory().pk}, format="json"
    )

    assert response.status_code == 400
    assert response.data["errors"] == {"user": ["This field cannot be set here."]}
    assert not Registration.objects.exists()
