from dataclasses import dataclass

import pytest

from accounts.models import User
from accounts.tests.factories import UserFactory
from homes.models import Home, HomeMember
from homes.tests.factories import HomeFactory, HomeMemberFactory


@dataclass
class House:
    """A home with an admin and two residents, and a stranger living elsewhere."""

    home: Home
    admin: User
    resident: User
    other_resident: User
    stranger: User


@pytest.fixture
def house(db) -> House:
    admin = UserFactory(name="Ana Admin")
    home = HomeFactory(name="Casa Azul", created_by=admin)
    HomeMemberFactory(home=home, user=admin, role=HomeMember.Role.ADMIN)
    resident = HomeMemberFactory(home=home, user__name="Rui Resident").user
    other_resident = HomeMemberFactory(home=home, user__name="Olga Other").user
    stranger_home = HomeFactory(name="Elsewhere")
    stranger = HomeMemberFactory(
        home=stranger_home, user=stranger_home.created_by, role=HomeMember.Role.ADMIN
    ).user
    return House(home, admin, resident, other_resident, stranger)
