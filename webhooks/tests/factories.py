import factory

from companies.tests.factories import CompanyFactory
from webhooks import services
from webhooks.models import WebhookEndpoint, WebhookEvent


class WebhookEndpointFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WebhookEndpoint

    company = factory.SubFactory(CompanyFactory)
    url = factory.Sequence(lambda n: f"https://hooks{n}.example.com/mutirao")
    events = factory.LazyFunction(lambda: list(WebhookEvent.values))
    secret = factory.LazyFunction(services.new_secret)
