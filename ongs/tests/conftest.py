import pytest

from accounts.tests.factories import UserFactory
from ongs.tests.factories import OngFactory


@pytest.fixture
def owner(db):
    return UserFactory(name="Olga Owner")


@pytest.fixture
def ong(owner):
    return OngFactory(name="Cola&Bora", owner=owner)


@pytest.fixture
def fund():
    """`fund(ong, "100.00")` records an approved donation through the sandbox gateway."""
    from decimal import Decimal

    from payments import services
    from payments.tests.factories import PaymentMethodFactory

    def give(ong, amount: str, donor=None):
        donor = donor or UserFactory()
        method = PaymentMethodFactory(user=donor)
        return services.donation_create(
            donor=donor, ong=ong, payment_method=method, amount=Decimal(amount)
        )

    return give
