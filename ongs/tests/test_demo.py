from decimal import Decimal

import pytest

from events.models import Registration
from ongs.demo import create_demo_data
from ongs.models import Ong, Withdrawal
from ongs.selectors import ong_balance, ong_ledger_is_consistent
from payments.models import Donation

pytestmark = pytest.mark.django_db


def test_demo_data_is_complete_and_idempotent():
    logins = create_demo_data()
    create_demo_data()

    ong = Ong.objects.get(name="Cola&Bora")
    assert [login.email for login in logins] == [
        "ongowner@mutirao.demo",
        "voluntario@mutirao.demo",
    ]
    assert ong.owner.email == "ongowner@mutirao.demo"
    assert ong.events.count() == 3
    assert Registration.objects.filter(event__ong=ong).count() == 2
    assert sorted(Donation.objects.values_list("status", flat=True)) == [
        "approved",
        "approved",
        "declined",
    ]
    assert Withdrawal.objects.count() == 1
    assert ong_balance(ong).available == Decimal("125.50")
    assert ong_ledger_is_consistent(ong)
