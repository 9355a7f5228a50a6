from datetime import timedelta

import factory
from django.utils import timezone

from accounts.tests.factories import UserFactory
from events.models import Event, Registration
from ongs.tests.factories import OngFactory


class EventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Event

    ong = factory.SubFactory(OngFactory)
    title = factory.Sequence(lambda n: f"Event {n:03d}")
    description = "Come and help."
    address = "Rua das Flores, 100, São Paulo"
    starts_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=7))
    ends_at = factory.LazyAttribute(lambda event: event.starts_at + timedelta(hours=3))


class RegistrationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Registration

    event = factory.SubFactory(EventFactory)
    user = factory.SubFactory(UserFactory)
