import pytest

from companies.models import Membership
from companies.tests.factories import MembershipFactory
from orders.models import Order
from orders.tests.factories import OrderFactory


@pytest.fixture
def order(tenant) -> Order:
    """An open order of `tenant`, requested by its requester, with its team."""
    return OrderFactory(company=tenant.company, requester=tenant.requester, team=tenant.team)


@pytest.fixture
def assignee(tenant):
    """A second agent of the tenant, on its team, who can be given orders."""
    person = MembershipFactory(company=tenant.company, role=Membership.Role.AGENT).user
    tenant.team.agents.add(person)
    return person


@pytest.fixture
def in_progress_order(order, assignee) -> Order:
    Order.objects.filter(pk=order.pk).update(status=Order.Status.IN_PROGRESS, assignee=assignee)
    order.refresh_from_db()
    return order


@pytest.fixture
def closed_order(in_progress_order) -> Order:
    Order.objects.filter(pk=in_progress_order.pk).update(
        status=Order.Status.CLOSED, solution="Replaced the fuser."
    )
    in_progress_order.refresh_from_db()
    return in_progress_order


@pytest.fixture
def inbound_secret(settings):
    """The inbound e-mail webhook's shared secret, as the signing helpers use it."""
    from orders.tests.mail import SECRET

    settings.INBOUND_EMAIL_SECRET = SECRET
    return SECRET
