from decimal import Decimal

import pytest

from homes.models import Bill
from homes.services import Transfer, settle
from homes.tests.factories import BillFactory, HomeMemberFactory

pytestmark = pytest.mark.django_db


PAYMENT_HINT = (
    "This field cannot be set here; the debtor reports a payment with "
    "POST /api/v1/bills/{id}/report-payment; the creditor confirms it with "
    "POST /api/v1/bills/{id}/confirm-payment or marks it paid with POST /api/v1/bills/{id}/pay."
)


def test_resident_bills_a_housemate_for_themself(client_for, house):
    payload = {
        "debtor": house.other_resident.pk,
        "creditor": house.resident.pk,
        "amount": "45.50",
        "description": "Groceries",
        "due_date": "10/12/2026",
    }
    client = client_for(house.resident)

    refused = client.post(f"/api/v1/homes/{house.home.pk}/bills", {**payload, "is_paid": True})
    assert refused.status_code == 400
    assert refused.json()["errors"] == {"is_paid": [PAYMENT_HINT]}
    assert not Bill.objects.exists()

    response = client.post(f"/api/v1/homes/{house.home.pk}/bills", payload)

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
        "status": "unpaid",
        "is_paid": False,
        "paid_at": None,
        "payment_reported_at": None,
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
        ({"amount": "1e3"}, "amount"),  # Decimal reads it; the schema's pattern does not
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

    refused = client.patch(f"/api/v1/bills/{bill.pk}", {"amount": "12.34", "is_paid": True})
    assert refused.status_code == 400
    assert refused.json()["errors"] == {"is_paid": [PAYMENT_HINT]}
    bill.refresh_from_db()
    assert (bill.amount, bill.is_paid) == (Decimal("100.00"), False)

    edited = client.patch(f"/api/v1/bills/{bill.pk}", {"amount": "12.34"})
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


# --- Reported payments -----------------------------------------------------------------------


def test_debtor_reports_payment_and_creditor_confirms(client_for, house):
    bill = BillFactory(
        home=house.home, debtor=house.resident, creditor=house.other_resident, amount=Decimal("30")
    )
    balances_url = f"/api/v1/homes/{house.home.pk}/balances"

    reported = client_for(house.resident).post(f"/api/v1/bills/{bill.pk}/report-payment")
    twice = client_for(house.resident).post(f"/api/v1/bills/{bill.pk}/report-payment")
    balances = client_for(house.resident).get(balances_url).json()["members"]

    assert reported.status_code == 200
    assert (reported.json()["status"], reported.json()["is_paid"]) == ("payment_reported", False)
    assert reported.json()["payment_reported_at"] is not None
    assert (twice.status_code, twice.json()["code"]) == (409, "bill_not_unpaid")
    # a reported payment still counts: only confirmed ones settle
    assert {m["user"]: m["net"] for m in balances}[house.resident.pk] == "-30.00"
    edit = client_for(house.other_resident).patch(f"/api/v1/bills/{bill.pk}", {"amount": "1"})
    assert (edit.status_code, edit.json()["code"]) == (409, "bill_payment_reported")

    confirmed = client_for(house.other_resident).post(f"/api/v1/bills/{bill.pk}/confirm-payment")

    assert confirmed.status_code == 200
    assert confirmed.json()["status"] == "paid"
    assert confirmed.json()["payment_reported_at"] is None
    bill.refresh_from_db()
    assert (bill.is_paid, bill.paid_at is not None, bill.payment_reported_at) == (True, True, None)
    balances = client_for(house.resident).get(balances_url).json()["members"]
    assert {m["user"]: m["net"] for m in balances}[house.resident.pk] == "0.00"


def test_creditor_rejects_a_reported_payment(client_for, house):
    bill = BillFactory(home=house.home, debtor=house.resident, creditor=house.other_resident)
    client_for(house.resident).post(f"/api/v1/bills/{bill.pk}/report-payment")

    rejected = client_for(house.other_resident).post(f"/api/v1/bills/{bill.pk}/reject-payment")
    again = client_for(house.other_resident).post(f"/api/v1/bills/{bill.pk}/confirm-payment")

    assert rejected.status_code == 200
    assert (rejected.json()["status"], rejected.json()["payment_reported_at"]) == ("unpaid", None)
    assert (again.status_code, again.json()["code"]) == (409, "payment_not_reported")
    assert Bill.objects.get().is_paid is False


def test_payment_report_permissions(client_for, house):
    # the admin owes this one: even an admin cannot confirm their own payment
    bill = BillFactory(home=house.home, debtor=house.admin, creditor=house.resident)
    other = BillFactory(home=house.home, debtor=house.resident, creditor=house.other_resident)

    assert (
        client_for(house.resident).post(f"/api/v1/bills/{bill.pk}/report-payment").status_code
        == 403
    )
    assert (
        client_for(house.other_resident).post(f"/api/v1/bills/{bill.pk}/report-payment").status_code
        == 403
    )
    assert (
        client_for(house.stranger).post(f"/api/v1/bills/{bill.pk}/report-payment").status_code
        == 404
    )
    assert (
        client_for(house.admin).post(f"/api/v1/bills/{bill.pk}/report-payment").status_code == 200
    )

    debtor_confirms = client_for(house.admin).post(f"/api/v1/bills/{bill.pk}/confirm-payment")
    debtor_pays = client_for(house.admin).post(f"/api/v1/bills/{bill.pk}/pay")
    assert (debtor_confirms.status_code, debtor_confirms.json()["code"]) == (
        403,
        "debtor_cannot_confirm",
    )
    assert debtor_pays.status_code == 403
    for action in ("confirm-payment", "reject-payment"):
        assert (
            client_for(house.other_resident).post(f"/api/v1/bills/{bill.pk}/{action}").status_code
            == 403
        )
        assert (
            client_for(house.stranger).post(f"/api/v1/bills/{bill.pk}/{action}").status_code == 404
        )
    assert Bill.objects.get(pk=bill.pk).status == "payment_reported"

    # an admin who is not the debtor may confirm someone else's
    client_for(house.resident).post(f"/api/v1/bills/{other.pk}/report-payment")
    assert (
        client_for(house.admin).post(f"/api/v1/bills/{other.pk}/confirm-payment").status_code == 200
    )


def test_paid_bill_goes_back_to_unpaid(client_for, house):
    bill = BillFactory(home=house.home, debtor=house.resident, creditor=house.other_resident)
    client_for(house.other_resident).post(f"/api/v1/bills/{bill.pk}/pay")
    url = f"/api/v1/bills/{bill.pk}/mark-unpaid"

    assert client_for(house.resident).post(url).status_code == 403
    assert client_for(house.stranger).post(url).status_code == 404
    by_creditor = client_for(house.other_resident).post(url)
    not_paid = client_for(house.admin).post(url)
    client_for(house.other_resident).post(f"/api/v1/bills/{bill.pk}/pay")
    by_admin = client_for(house.admin).post(url)

    assert by_creditor.status_code == by_admin.status_code == 200
    assert (by_admin.json()["status"], by_admin.json()["paid_at"]) == ("unpaid", None)
    assert (not_paid.status_code, not_paid.json()["code"]) == (409, "bill_not_paid")
    balances = client_for(house.resident).get(f"/api/v1/homes/{house.home.pk}/balances").json()
    assert {m["user"]: m["net"] for m in balances["members"]}[house.resident.pk] == "-100.00"


def test_bills_filter_by_status(client_for, house):
    unpaid = BillFactory(home=house.home, debtor=house.resident, creditor=house.admin)
    reported = BillFactory(
        home=house.home,
        debtor=house.resident,
        creditor=house.admin,
        payment_reported_at="2026-01-01T00:00:00Z",
    )
    paid = BillFactory(
        home=house.home,
        debtor=house.resident,
        creditor=house.admin,
        is_paid=True,
        paid_at="2026-01-01T00:00:00Z",
    )
    client = client_for(house.resident)

    def ids(status):
        return [b["id"] for b in client.get("/api/v1/bills", {"status": status}).json()["results"]]

    assert ids("unpaid") == [unpaid.pk]
    assert ids("payment_reported") == [reported.pk]
    assert ids("paid,payment_reported") == [paid.pk, reported.pk]
    assert client.get("/api/v1/bills", {"status": "lost"}).status_code == 400


@pytest.mark.parametrize("action", ["pay", "report-payment"])
def test_a_body_on_a_payment_action_is_refused(client_for, house, action):
    bill = BillFactory(home=house.home, debtor=house.resident, creditor=house.other_resident)
    user = house.other_resident if action == "pay" else house.resident

    response = client_for(user).post(f"/api/v1/bills/{bill.pk}/{action}", {"amount": "1.00"})

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["amount"]
    bill.refresh_from_db()
    assert (bill.status, bill.amount) == ("unpaid", Decimal("100.00"))
