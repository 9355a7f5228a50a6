import factory

from companies.tests.factories import CompanyFactory
from desk.models import CannedReply, OrderWatcher


class CannedReplyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CannedReply

    company = factory.SubFactory(CompanyFactory)
    title = factory.Sequence(lambda n: f"Reply {n}")
    body = "Hello {requester_name}, order #{order_id} ({title}) is on our list."


class OrderWatcherFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrderWatcher
