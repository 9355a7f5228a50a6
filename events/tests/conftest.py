import pytest

from accounts.tests.factories import UserFactory
from events.tests.factories import EventFactory
from ongs.tests.factories import OngFactory


@pytest.fixture
def owner(db):
    return UserFactory(name="Olga Owner")


@pytest.fixture
def ong(owner):
    return OngFactory(name="Cola&Bora", owner=owner)


@pytest.fixture
def event(ong):
    return EventFactory(ong=ong, title="Beach clean-up", capacity=2)
