import logging

import pytest

from accounts.tests.factories import UserFactory
from ongs.tests.factories import OngFactory
from payments import services
from payments.tests.factories import APPROVE


@pytest.fixture
def owner(db):
    return UserFactory(name="Olga Owner")


@pytest.fixture
def ong(owner):
    return OngFactory(name="Cola&Bora", owner=owner)


@pytest.fixture
def add_card():
    """`add_card(user, number)` saves a card through the service, as the API would."""

    def add(user, number: str = APPROVE, cvc: str = "123"):
        return services.payment_method_create(
            user=user,
            number=number,
            exp_month=12,
            exp_year=2099,
            cvc=cvc,
            holder_name=user.name,
        )

    return add


@pytest.fixture
def card(user, add_card):
    return add_card(user)


class _Collector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if record.exc_info:
            text += logging.Formatter().formatException(record.exc_info)
        self.lines.append(text)


@pytest.fixture
def captured_logs():
    """Every log line (DEBUG and up, every logger) written during the test.

    Works like pytest's caplog but also when the logging plugin is disabled (`-p no:logging`
    in the suite's commands), so the PCI test always sees the logs.
    """
    collector = _Collector()
    root = logging.getLogger()
    previous = root.level
    root.addHandler(collector)
    root.setLevel(logging.DEBUG)
    try:
        yield collector.lines
    finally:
        root.removeHandler(collector)
        root.setLevel(previous)
