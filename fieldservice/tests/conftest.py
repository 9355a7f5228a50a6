import pytest

from orders.tests.factories import OrderFactory


@pytest.fixture
def order(tenant):
    """An open order of `tenant`, requested by its requester, at its site address."""
    return OrderFactory(
        company=tenant.company,
        requester=tenant.requester,
        team=tenant.team,
        site_address="Av. Paulista, 1000",
    )
