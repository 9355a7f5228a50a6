from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from threading import Event

import pytest
from django.db import connection, connections
from rest_framework.test import APIClient

from accounts.tests.factories import UserFactory
from accounts.tokens import token_pair_for
from ongs.models import LedgerEntry, Ong, Withdrawal
from ongs.selectors import ong_balance, ong_ledger_is_consistent
from ongs.services import withdrawal_create
from ongs.tests.factories import OngFactory

ONGS = "/api/v1/ongs"


@pytest.mark.django_db
def test_balance_is_derived_from_the_ledger(client_for, owner, ong, fund):
    fund(ong, "100.00")
    fund(ong, "50.50")
    client_for(owner).post(f"{ONGS}/{ong.pk}/withdrawals", {"amount": "30.25"})

    response = client_for(owner).get(f"{ONGS}/{ong.pk}/balance")

    assert response.status_code == 200
    assert response.data == {"donated": "150.50", "withdrawn": "30.25", "available": "120.25"}
    assert list(LedgerEntry.objects.values_list("kind", "amount", "balance_after")) == [
        ("donation", Decimal("100.00"), Decimal("100.00")),
        ("donation", Decimal("50.50"), Decimal("150.50")),
        ("withdrawal", Decimal("30.25"), Decimal("120.25")),
    ]
    assert ong_ledger_is_consistent(ong)


@pytest.mark.django_db
def test_declined_donations_do_not_count(client_for, owner, ong):
    from payments import services
    from payments.tests.factories import PaymentMethodFactory

    method = PaymentMethodFactory(gateway_token="tok_sandbox_nofunds_000000000000000000000000")
    services.donation_create(
        donor=method.user, ong=ong, payment_method=method, amount=Decimal("10.00")
    )

    response = client_for(owner).get(f"{ONGS}/{ong.pk}/balance")

    assert response.data == {"donated": "0.00", "withdrawn": "0.00", "available": "0.00"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("who", "expected"), [("admin", 200), ("stranger", 404), ("staff", 200), ("anonymous", 401)]
)
def test_who_reads_the_balance(client_for, api_client, ong, who, expected):
    admin = UserFactory()
    ong.admins.add(admin)
    people = {"admin": admin, "stranger": UserFactory(), "staff": UserFactory(is_staff=True)}
    client = client_for(people[who]) if who in people else api_client

    assert client.get(f"{ONGS}/{ong.pk}/balance").status_code == expected


@pytest.mark.django_db
def test_private_data_of_an_inactive_ngo_is_404_to_outsiders(user_client, ong):
    Ong.objects.filter(pk=ong.pk).update(is_active=False)

    for path in ("balance", "withdrawals", "donations", "participants"):
        assert user_client.get(f"{ONGS}/{ong.pk}/{path}").status_code == 404, path


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["balance", "withdrawals", "donations", "participants"])
def test_private_data_of_a_visible_ngo_is_404_to_non_managers(user_client, ong, path):
    response = user_client.get(f"{ONGS}/{ong.pk}/{path}")

    assert response.status_code == 404
    assert response.data["code"] == "not_found"


@pytest.mark.django_db
def test_owner_withdraws_within_the_balance(client_for, owner, ong, fund):
    fund(ong, "80.00")

    response = client_for(owner).post(
        f"{ONGS}/{ong.pk}/withdrawals", {"amount": "80.00", "description": "Food bank"}
    )

    assert response.status_code == 201
    withdrawal = Withdrawal.objects.get()
    assert response.data == {
        "id": withdrawal.pk,
        "ong": ong.pk,
        "amount": "80.00",
        "description": "Food bank",
        "requested_by": {"id": owner.pk, "name": owner.name, "email": owner.email},
        "created_at": withdrawal.created_at.isoformat().replace("+00:00", "Z"),
    }
    assert ong_balance(ong).available == Decimal("0.00")


@pytest.mark.django_db
def test_withdrawing_more_than_available_is_409_and_writes_nothing(client_for, owner, ong, fund):
    fund(ong, "10.00")

    response = client_for(owner).post(f"{ONGS}/{ong.pk}/withdrawals", {"amount": "10.01"})

    assert response.status_code == 409
    assert response.data == {
        "detail": "The amount is larger than the available balance.",
        "code": "insufficient_balance",
        "available": "10.00",
    }
    assert not Withdrawal.objects.exists()
    assert LedgerEntry.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("amount", ["0", "-5.00", "1.001", "abc", "10000000.00"])
def test_bad_withdrawal_amounts_are_400(client_for, owner, ong, fund, amount):
    fund(ong, "10.00")

    response = client_for(owner).post(f"{ONGS}/{ong.pk}/withdrawals", {"amount": amount})

    assert response.status_code == 400
    assert "amount" in response.data["errors"]
    assert not Withdrawal.objects.exists()


@pytest.mark.django_db
def test_non_managers_cannot_withdraw(client_for, ong, fund):
    fund(ong, "10.00")

    response = client_for(UserFactory()).post(f"{ONGS}/{ong.pk}/withdrawals", {"amount": "1.00"})

    assert response.status_code == 404
    assert not Withdrawal.objects.exists()


@pytest.mark.django_db
def test_withdrawal_list_costs_fixed_queries(
    client_for, owner, ong, fund, django_assert_max_num_queries
):
    fund(ong, "1000.00")
    for _ in range(30):
        withdrawal_create(ong=ong, requested_by=owner, amount=Decimal("1.00"))
    client = client_for(owner)

    # session user, NGO, owner role, count, page with requesters
    with django_assert_max_num_queries(5):
        response = client.get(f"{ONGS}/{ong.pk}/withdrawals", {"page_size": 100})

    assert response.data["count"] == 30


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_withdrawals_never_overdraw(fund):
    if connection.vendor != "postgresql":
        pytest.skip("RACE TEST SKIPPED: needs PostgreSQL row locks (set DATABASE_URL)")
    owner = UserFactory()
    ong = OngFactory(owner=owner)
    fund(ong, "100.00")
    token = token_pair_for(owner).access
    start = Event()

    def withdraw(_):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        start.wait()
        try:
            return client.post(f"{ONGS}/{ong.pk}/withdrawals", {"amount": "7.00"}).status_code
        finally:
            connections.close_all()

    # 25 connections at a time: PostgreSQL's default limit is 100 for all test workers.
    with ThreadPoolExecutor(max_workers=25) as pool:
        futures = [pool.submit(withdraw, n) for n in range(50)]
        start.set()
        codes = [future.result() for future in futures]

    assert codes.count(201) == 14  # 14 * 7.00 = 98.00 <= 100.00 < 15 * 7.00
    assert codes.count(409) == 36
    assert Withdrawal.objects.filter(ong=ong).count() == 14
    assert ong_balance(ong).available == Decimal("2.00")
    assert ong_ledger_is_consistent(ong)


@pytest.mark.django_db
@pytest.mark.parametrize("amount", ["1e3", "1E2", "5e-1"])
def test_withdrawal_amounts_in_exponent_notation_are_400(client_for, owner, ong, fund, amount):
    fund(ong, "2000.00")

    response = client_for(owner).post(f"{ONGS}/{ong.pk}/withdrawals", {"amount": amount})

    assert response.status_code == 400
    assert response.data["errors"] == {
        "amount": ["Enter a plain decimal number such as 10 or 10.50 (no exponent)."]
    }
    assert not Withdrawal.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("amount", ["10", "10.50"])
def test_withdrawal_amounts_as_plain_decimals_work(client_for, owner, ong, fund, amount):
    fund(ong, "20.00")

    response = client_for(owner).post(f"{ONGS}/{ong.pk}/withdrawals", {"amount": amount})

    assert response.status_code == 201
    assert Withdrawal.objects.get().amount == Decimal(amount)
