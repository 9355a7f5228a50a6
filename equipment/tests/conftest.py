import pytest

from equipment.models import Equipment
from equipment.tests.factories import EquipmentFactory


@pytest.fixture
def item(tenant) -> Equipment:
    """A printer of `tenant`, in use."""
    return EquipmentFactory(company=tenant.company)
