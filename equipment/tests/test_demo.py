import pytest
from django.core.management import call_command

from accounts.models import User
from equipment.models import Equipment
from orders.models import Order

pytestmark = pytest.mark.django_db


def test_seed_demo_gives_equipment_a_history_and_is_idempotent(client_for):
    call_command("seed_demo")
    call_command("seed_demo")

    assert Equipment.objects.count() == 7
    computer = Equipment.objects.get(serial_number="7XK2Q93")
    assert sorted(computer.orders.values_list("title", flat=True)) == [
        "Computer will not boot",
        "Monitor piscando",
    ]
    assert not Order.objects.filter(equipment_item__isnull=True).exists()
    tech = User.objects.get(email="tech@softclient.demo")
    response = client_for(tech).get(f"/api/v1/equipment/{computer.pk}")
    assert [row["title"] for row in response.json()["history"]] == [
        "Computer will not boot",
        "Monitor piscando",
    ]
