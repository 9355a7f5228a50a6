from datetime import date, time, timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from accounts.tests.factories import UserFactory
from homes.models import Bill, Home, HomeMember, Routine, Rule, Task


class HomeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Home

    name = factory.Sequence(lambda n: f"Home {n}")
    address = "Rua das Flores, 10"
    rent = Decimal("2400.00")
    time_zone = "America/Sao_Paulo"
    created_by = factory.SubFactory(UserFactory)


class HomeMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = HomeMember

    home = factory.SubFactory(HomeFactory)
    user = factory.SubFactory(UserFactory)
    role = HomeMember.Role.RESIDENT


class RuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Rule

    home = factory.SubFactory(HomeFactory)
    text = factory.Sequence(lambda n: f"Rule {n}: wash your dishes")
    created_by = factory.SelfAttribute("home.created_by")


class RoutineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Routine

    home = factory.SubFactory(HomeFactory)
    name = factory.Sequence(lambda n: f"Routine {n}")
    weekdays = [0, 1, 2, 3, 4, 5, 6]
    time_limit = time(20, 0)
    assignment = Routine.Assignment.FIXED
    points = 10
    valid_from = date(2026, 1, 1)
    created_by = factory.SelfAttribute("home.created_by")


class TaskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Task

    home = factory.SubFactory(HomeFactory)
    title = factory.Sequence(lambda n: f"Task {n}")
    due_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=1))
    points = 5


class BillFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Bill

    home = factory.SubFactory(HomeFactory)
    amount = Decimal("100.00")
    description = factory.Sequence(lambda n: f"Bill {n}")
