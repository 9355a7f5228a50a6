from datetime import timedelta

import factory
from django.utils import timezone

from accounts.tests.factories import UserFactory
from fieldservice.models import TimeEntry, Visit
from orders.tests.factories import OrderFactory


class VisitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Visit

    order = factory.SubFactory(OrderFactory)
    technician = factory.SubFactory(UserFactory)
    starts_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=1))
    duration_minutes = 60
    ends_at = factory.LazyAttribute(lambda v: v.starts_at + timedelta(minutes=v.duration_minutes))
    address = "Rua Augusta, 100"


class TimeEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TimeEntry

    order = factory.SubFactory(OrderFactory)
    agent = factory.SubFactory(UserFactory)
    minutes = 30
    date = factory.LazyFunction(lambda: timezone.now().date())
    note = "Checked the cables."
