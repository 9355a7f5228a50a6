from decimal import Decimal

import pytest

from homes.models import Bill
from homes.services import Transfer, settle
from homes.tests.factories import BillFactory, HomeMemberFactory

pytestmark = pytest.mark.django_db


def test_resident_bills_a_housemate_for_themself(client_for, house):
    response = client_for(house.resident).post(
        f"/api/v1/homes/{house.home.pk}/bills",
        {
            "debtor": house.other_resident.pk,
            "creditor": house.resident.pk,
            "amount": "45.50",
            "description": "Groceries",
            "due_date": "10/12/2026",
            "is_paid": True,
        },
    )

    assert response.status_code == 201
    bill = Bill.objects.get()
    body = response.json()
    assert body == {
        "id": bill.pk,
        "home": house.home.pk,
        "home_name": "Casa Azul",
        "debtor": house.other_resident.pk,
        "debtor_name": "Olga Other",
        "creditor": house.resident.pk,
        "creditor_name": "Rui Resident",
        "amount": "45.50",
        "description": "Groceries",
        "due_date": "2026-12-10",
        "is_paid": False,
        "paid_at": None,
        "penalty_task": None,
        "created_by": house.resident.pk,
        "created_at": body["created_at"],
        "updated_at": body["updated_at"],
    }


def test_resident_cannot_bill_on_behalf_of_others(client_for, house):
    response = client_for(house.resident).post(
        f"/api/v1/homes/{house.home.pk}/bills",
        {
            "debtor": house.other_resident.pk,
            "creditor": house.admin.pk,
            "amount": "5",
            "description": "x",
        },
    )

    assert response.status_code == 403
    assert not Bill.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"amount": "0"}, "amount"),
        ({"amount": "abc"}, "amount"),
        ({"debtor": "SELF"}, "creditor"),
        ({"debtor": "STRANGER"}, "debtor"),
        ({"description": ""}, "description"),
    ],
)
def test_bill_bad_input_is_400(client_for, house, change, field):
    people = {"SELF": house.admin.pk, "STRANGER": house.stranger.pk}
    payload = {
        "debtor": house.resident.pk,
        "creditor": house.admin.pk,
        "amount": "10",
        "description": "Gas",
    }
    payload.update({key: people.get(value, value) for key, value in change.items()})

    response = client_for(house.admin).post(f"/api/v1/homes/{house.home.pk}/bills", payload)

    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not Bill.objects.exists()


def test_creditor_marks_paid_once_debtor_cannot(client_for, house):
    bill = BillFactory(home=house.home, debtor=house.resident, creditor=house.other_resident)
    url = f"/api/v1/bills/{bill.pk}/pay"

    assert client_for(house.resident).post(url).status_code == 403
    paid = client_for(house.other_resident).post(url)
    again = client_for(house.admin).post(url)

    assert paid.status_code == 200
    assert paid.json()["is_paid"] is True
    assert paid.json()["paid_at"] is not None
    assert again.status_code == 409
    assert (
        client_for(house.other_resident)
        .patch(f"/api/v1/bills/{bill.pk}", {"amount": "1"})
        .status_code
        == 409
    )
    assert client_for(house.admin).delete(f"/api/v1/bills/{bill.pk}").status_code == 409


def test_creditor_edits_and_deletes_unpaid_bill(client_for, house):
    bill = BillFactory(home=house.home, debtor=house.resident, creditor=house.other_resident)
    client = client_for(house.other_resident)

    edited = client.patch(f"/api/v1/bills/{bill.pk}", {"amount": "12.34", "is_paid": True})
    assert edited.status_code == 200
    assert (edited.json()["amount"], edited.json()["is_paid"]) == ("12.34", False)
    assert client_for(house.resident).delete(f"/api/v1/bills/{bill.pk}").status_code == 403
    assert client.delete(f"/api/v1/bills/{bill.pk}").status_code == 204


def test_another_homes_bills_are_404(client_for, house):
    bill = BillFactory(home=house.home, debtor=house.resident, creditor=house.admin)
    client = client_for(house.stranger)

    assert client.get(f"/api/v1/homes/{house.home.pk}/bills").status_code == 404
    assert client.get(f"/api/v1/bills/{bill.pk}").status_code == 404
    assert client.post(f"/api/v1/bills/{bill.pk}/pay").status_code == 404
    assert client.get("/api/v1/bills").json()["count"] == 0
    assert client.get(f"/api/v1/homes/{house.home.pk}/balances").status_code == 404


def test_my_bills_across_homes(client_for, house):
    mine_here = BillFactory(home=house.home, debtor=house.resident, creditor=house.admin)
    elsewhere = HomeMemberFactory(user=house.resident).home
    other = HomeMemberFactory(home=elsewhere).user
    mine_there = BillFactory(home=elsewhere, debtor=other, creditor=house.resident)
    BillFactory(home=house.home, debtor=house.other_resident, creditor=house.admin)

    response = client_for(house.resident).get("/api/v1/bills")

    assert [b["id"] for b in response.json()["results"]] == [mine_there.pk, mine_here.pk]
    filtered = client_for(house.resident).get("/api/v1/bills", {"home": elsewhere.pk})
    assert [b["id"] for b in filtered.json()["results"]] == [mine_there.pk]


def test_bill_lists_fixed_queries(client_for, house, django_assert_max_num_queries):
    BillFactory.create_batch(30, home=house.home, debtor=house.resident, creditor=house.admin)
    client = client_for(house.resident)

    with django_assert_max_num_queries(6):
        home_list = client.get(f"/api/v1/homes/{house.home.pk}/bills", {"page_size": 100})
    with django_assert_max_num_queries(3):
        mine = client.get("/api/v1/bills", {"page_size": 100})

    assert home_list.json()["count"] == mine.json()["count"] == 30


def test_balances_net_and_settle_with_few_transfers(client_for, house):
    a, r, o = house.admin, house.resident, house.other_resident
    BillFactory(home=house.home, debtor=r, creditor=a, amount=Decimal("60"))
    BillFactory(home=house.home, debtor=o, creditor=r, amount=Decimal("20"))
    BillFactory(home=house.home, debtor=o, creditor=a, amount=Decimal("10"))
    BillFactory(
        home=house.home,
        debtor=r,
        creditor=o,
        amount=Decimal("99"),
        is_paid=True,
        paid_at="2026-01-01T00:00:00Z",
    )

    response = client_for(r).get(f"/api/v1/homes/{house.home.pk}/balances")

    assert response.status_code == 200
    assert response.json() == {
        "members": [
            {"user": r.pk, "name": "Rui Resident", "net": "-40.00"},
            {"user": o.pk, "name": "Olga Other", "net": "-30.00"},
            {"user": a.pk, "name": "Ana Admin", "net": "70.00"},
        ],
        "transfers": [
            {
                "debtor": r.pk,
                "debtor_name": "Rui Resident",
                "creditor": a.pk,
                "creditor_name": "Ana Admin",
                "amount": "40.00",
            },
            {
                "debtor": o.pk,
                "debtor_name": "Olga Other",
                "creditor": a.pk,
                "creditor_name": "Ana Admin",
                "amount": "30.00",
            },
        ],
    }


def test_settle_uses_at_most_n_minus_one_transfers():
    net = {
        1: Decimal("-50"),
        2: Decimal("-30"),
        3: Decimal("-20"),
        4: Decimal("70"),
        5: Decimal("30"),
    }

    transfers = settle(net)

    assert transfers == [
        Transfer(1, 4, Decimal("50")),
        Transfer(2, 5, Decimal("30")),
        Transfer(3, 4, Decimal("20")),
    ]
    assert settle({1: Decimal("0")}) == []
