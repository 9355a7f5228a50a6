import factory

from accounts.tests.factories import UserFactory
from payments.models import PaymentMethod

APPROVE = "4242424242424242"
INSUFFICIENT_FUNDS = "4000000000009995"
STOLEN = "4000000000009979"
DECLINED = "4000000000000002"
PROCESSOR_ERROR = "4000000000000119"


class PaymentMethodFactory(factory.django.DjangoModelFactory):
    """A stored card as the sandbox gateway would have tokenised an approving number."""

    class Meta:
        model = PaymentMethod

    user = factory.SubFactory(UserFactory)
    brand = PaymentMethod.Brand.VISA
    last4 = "4242"
    exp_month = 12
    exp_year = 2099
    holder_name = factory.Faker("name")
    gateway_token = factory.Sequence(lambda n: f"tok_sandbox_ok_{n:024x}")
    fingerprint = factory.Sequence(lambda n: f"{n:064x}")
