import factory

from accounts.tests.factories import UserFactory
from companies.tests.factories import CompanyFactory
from orders.models import Message, Order


class OrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Order

    company = factory.SubFactory(CompanyFactory)
    requester = factory.SubFactory(UserFactory)
    title = factory.Sequence(lambda n: f"Printer {n} is jammed")
    description = "Paper stuck in tray 2."
    equipment = Order.Equipment.PRINTER


class MessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Message

    order = factory.SubFactory(OrderFactory)
    author = factory.SubFactory(UserFactory)
    body = "On my way."
