from decimal import Decimal

import pytest
from django.core import mail

from accounts.tests.factories import UserFactory
from core.models import IdempotencyRecord, OutboundEmail
from ongs.models import LedgerEntry, Ong
from ongs.selectors import ong_balance
from payments import gateway as gateway_module
from payments.models import Donation
from payments.tests.factories import (
    INSUFFICIENT_FUNDS,
    PROCESSOR_ERROR,
    STOLEN,
    PaymentMethodFactory,
)

pytestmark = pytest.mark.django_db


def _url(ong) -> str:
    return f"/api/v1/ongs/{ong.pk}/donations"


@pytest.fixture
def charges(monkeypatch):
    """Every charge the gateway receives (the gateway itself still answers)."""
    seen = []
    original = gateway_module.SandboxGateway.charge

    def spy(self, **kwargs):
        seen.append(kwargs)
        return original(self, **kwargs)

    monkeypatch.setattr(gateway_module.SandboxGateway, "charge", spy)
    return seen


def test_approved_donation_credits_the_ngo_and_emails_a_receipt(
    user_client, user, ong, card, charges, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = user_client.post(
            _url(ong), {"amount": "25.50", "payment_method": card.pk, "message": "Força!"}
        )

    assert response.status_code == 201
    donation = Donation.objects.get()
    assert response.data == {
        "id": donation.pk,
        "ong": {"id": ong.pk, "name": "Cola&Bora"},
        "amount": "25.50",
        "currency": "BRL",
        "status": "approved",
        "decline_code": "",
        "card_brand": "visa",
        "card_last4": "4242",
        "message": "Força!",
        "created_at": donation.created_at.isoformat().replace("+00:00", "Z"),
        "settled_at": donation.settled_at.isoformat().replace("+00:00", "Z"),
    }
    assert (donation.donor, donation.payment_method, donation.gateway_reference[:11]) == (
        user,
        card,
        "ch_sandbox_",
    )
    assert [(c["token"], c["amount"], c["currency"]) for c in charges] == [
        (card.gateway_token, Decimal("25.50"), "BRL")
    ]
    assert LedgerEntry.objects.get().donation == donation
    assert ong_balance(ong).available == Decimal("25.50")
    assert [(m.to, m.subject) for m in mail.outbox] == [
        ([user.email], "Receipt for your donation to Cola&Bora")
    ]
    assert "BRL 25.50" in mail.outbox[0].body


@pytest.mark.parametrize(
    ("number", "http_status", "code", "status"),
    [
        (INSUFFICIENT_FUNDS, 402, "insufficient_funds", "declined"),
        (STOLEN, 402, "stolen_card", "declined"),
        ("4000000000000002", 402, "card_declined", "declined"),
        (PROCESSOR_ERROR, 502, "processing_error", "failed"),
    ],
)
def test_refused_cards_record_the_outcome_and_credit_nothing(
    user_client, user, ong, add_card, number, http_status, code, status
):
    card = add_card(user, number)

    response = user_client.post(_url(ong), {"amount": "10.00", "payment_method": card.pk})

    assert response.status_code == http_status
    assert response.data["code"] == code
    assert response.data["donation"]["status"] == status
    donation = Donation.objects.get()
    assert (donation.status, donation.decline_code, donation.gateway_reference) == (
        status,
        code,
        "",
    )
    assert not LedgerEntry.objects.exists()
    assert not OutboundEmail.objects.exists()


def test_an_unreachable_gateway_leaves_a_failed_donation(user_client, ong, card, monkeypatch):
    def down(self, **kwargs):
        raise ConnectionError("processor unreachable")

    monkeypatch.setattr(gateway_module.SandboxGateway, "charge", down)

    response = user_client.post(_url(ong), {"amount": "10.00", "payment_method": card.pk})

    assert response.status_code == 502
    assert response.data["code"] == "gateway_unavailable"
    assert Donation.objects.get().status == "failed"
    assert not LedgerEntry.objects.exists()


@pytest.mark.parametrize(
    "amount", ["0", "0.00", "-10.00", "10.001", "0.99", "50000.01", "ten", "", None]
)
def test_bad_amounts_are_400_and_charge_nothing(user_client, ong, card, charges, amount):
    body = {"payment_method": card.pk}
    if amount is not None:
        body["amount"] = amount

    response = user_client.post(_url(ong), body)

    assert response.status_code == 400
    assert "amount" in response.data["errors"]
    assert not Donation.objects.exists()
    assert charges == []


def test_someone_elses_card_is_400_and_charges_nothing(user_client, ong, charges):
    theirs = PaymentMethodFactory()

    response = user_client.post(_url(ong), {"amount": "10.00", "payment_method": theirs.pk})

    assert response.status_code == 400
    assert response.data["errors"] == {"payment_method": ["Unknown payment method."]}
    assert not Donation.objects.exists()
    assert charges == []


def test_inactive_ngo_takes_no_donations(client_for, user_client, owner, ong, card, charges):
    Ong.objects.filter(pk=ong.pk).update(is_active=False)
    owner_card = PaymentMethodFactory(user=owner)

    stranger = user_client.post(_url(ong), {"amount": "10.00", "payment_method": card.pk})
    by_owner = client_for(owner).post(
        _url(ong), {"amount": "10.00", "payment_method": owner_card.pk}
    )

    assert stranger.status_code == 404
    assert by_owner.status_code == 409
    assert by_owner.data["code"] == "ong_inactive"
    assert not Donation.objects.exists()
    assert charges == []


def test_donating_needs_login(api_client, ong):
    assert api_client.post(_url(ong), {"amount": "10.00", "payment_method": 1}).status_code == 401


def test_same_key_and_body_replays_without_charging_again(user_client, ong, card, charges):
    body = {"amount": "10.00", "payment_method": card.pk}

    first = user_client.post(_url(ong), body, HTTP_IDEMPOTENCY_KEY="key-1")
    second = user_client.post(_url(ong), body, HTTP_IDEMPOTENCY_KEY="key-1")

    assert (first.status_code, second.status_code) == (201, 201)
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert Donation.objects.count() == 1
    assert len(charges) == 1
    record = IdempotencyRecord.objects.get()
    assert (record.state, record.response_status) == ("completed", 201)


def test_a_declined_answer_is_replayed_too(user_client, user, ong, add_card, charges):
    card = add_card(user, STOLEN)
    body = {"amount": "10.00", "payment_method": card.pk}

    first = user_client.post(_url(ong), body, HTTP_IDEMPOTENCY_KEY="key-1")
    second = user_client.post(_url(ong), body, HTTP_IDEMPOTENCY_KEY="key-1")

    assert (first.status_code, second.status_code) == (402, 402)
    assert second.json() == first.json()
    assert len(charges) == 1


def test_same_key_with_another_body_is_422(user_client, ong, card, charges):
    user_client.post(
        _url(ong), {"amount": "10.00", "payment_method": card.pk}, HTTP_IDEMPOTENCY_KEY="key-1"
    )

    response = user_client.post(
        _url(ong), {"amount": "99.00", "payment_method": card.pk}, HTTP_IDEMPOTENCY_KEY="key-1"
    )

    assert response.status_code == 422
    assert response.data["code"] == "idempotency_key_reused"
    assert Donation.objects.count() == 1
    assert len(charges) == 1


def test_same_key_for_another_ngo_is_422(user_client, ong, card):
    from ongs.tests.factories import OngFactory

    body = {"amount": "10.00", "payment_method": card.pk}
    user_client.post(_url(ong), body, HTTP_IDEMPOTENCY_KEY="key-1")

    response = user_client.post(_url(OngFactory()), body, HTTP_IDEMPOTENCY_KEY="key-1")

    assert response.status_code == 422


def test_a_key_in_flight_is_409(user_client, user, ong, card, charges):
    from core.idempotency import request_hash

    body = {"amount": "10.00", "payment_method": card.pk}
    IdempotencyRecord.objects.create(
        user=user,
        key="key-1",
        scope="donation",
        request_hash=request_hash(method="POST", path=_url(ong), data=body),
    )

    response = user_client.post(_url(ong), body, HTTP_IDEMPOTENCY_KEY="key-1")

    assert response.status_code == 409
    assert response.data["code"] == "idempotency_in_progress"
    assert charges == []


def test_keys_belong_to_one_user(user_client, client_for, ong, card):
    other = UserFactory()
    other_card = PaymentMethodFactory(user=other)
    user_client.post(
        _url(ong), {"amount": "10.00", "payment_method": card.pk}, HTTP_IDEMPOTENCY_KEY="shared"
    )

    response = client_for(other).post(
        _url(ong),
        {"amount": "10.00", "payment_method": other_card.pk},
        HTTP_IDEMPOTENCY_KEY="shared",
    )

    assert response.status_code == 201
    assert Donation.objects.count() == 2


def test_a_refusal_before_charging_frees_the_key(client_for, owner, ong):
    owner_card = PaymentMethodFactory(user=owner)
    body = {"amount": "10.00", "payment_method": owner_card.pk}
    Ong.objects.filter(pk=ong.pk).update(is_active=False)
    client = client_for(owner)

    refused = client.post(_url(ong), body, HTTP_IDEMPOTENCY_KEY="key-1")
    Ong.objects.filter(pk=ong.pk).update(is_active=True)
    retried = client.post(_url(ong), body, HTTP_IDEMPOTENCY_KEY="key-1")

    assert (refused.status_code, retried.status_code) == (409, 201)


def test_too_long_key_is_400(user_client, ong, card):
    response = user_client.post(
        _url(ong), {"amount": "10.00", "payment_method": card.pk}, HTTP_IDEMPOTENCY_KEY="k" * 256
    )

    assert response.status_code == 400
    assert not Donation.objects.exists()


def test_donations_are_throttled_per_user(user_client, client_for, ong, card, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "donations": "2/hour",
        },
    }
    body = {"amount": "10.00", "payment_method": card.pk}

    codes = [user_client.post(_url(ong), body).status_code for _ in range(3)]
    other = UserFactory()
    other_code = client_for(other).post(
        _url(ong), {"amount": "10.00", "payment_method": PaymentMethodFactory(user=other).pk}
    )

    assert codes == [201, 201, 429]
    assert other_code.status_code == 201
    assert Donation.objects.count() == 3
    assert user_client.get("/api/v1/donations").status_code == 200  # reading is not throttled


def test_my_donations_in_fixed_queries(user_client, user, ong, card, django_assert_max_num_queries):
    from payments import services

    for _ in range(30):
        services.donation_create(donor=user, ong=ong, payment_method=card, amount=Decimal("1.00"))
    someone_else = PaymentMethodFactory()  # their history stays out of mine
    services.donation_create(
        donor=someone_else.user, ong=ong, payment_method=someone_else, amount=Decimal("1.00")
    )

    with django_assert_max_num_queries(3):
        response = user_client.get("/api/v1/donations", {"page_size": 100})

    assert response.data["count"] == 30
    assert response.data["results"][0]["ong"] == {"id": ong.pk, "name": "Cola&Bora"}


def test_my_donations_filter_by_status(user_client, user, ong, add_card):
    from payments import services

    approved, stolen = add_card(user), add_card(user, STOLEN)
    services.donation_create(donor=user, ong=ong, payment_method=approved, amount=Decimal("5"))
    services.donation_create(donor=user, ong=ong, payment_method=stolen, amount=Decimal("5"))

    response = user_client.get("/api/v1/donations", {"status": "declined"})

    assert [row["decline_code"] for row in response.data["results"]] == ["stolen_card"]


def test_a_donation_of_someone_else_is_404(user_client):
    from payments import services

    their_card = PaymentMethodFactory()
    theirs = services.donation_create(
        donor=their_card.user,
        ong=Ong.objects.create(name="X", cause="other", email="x@x.org", owner=UserFactory()),
        payment_method=their_card,
        amount=Decimal("5.00"),
    )

    assert user_client.get(f"/api/v1/donations/{theirs.pk}").status_code == 404


def test_ngo_managers_list_its_donations_with_donors(
    client_for, owner, ong, django_assert_max_num_queries
):
    from payments import services

    for _ in range(30):
        donor = UserFactory()
        method = PaymentMethodFactory(user=donor)
        services.donation_create(donor=donor, ong=ong, payment_method=method, amount=Decimal("2"))
    client = client_for(owner)

    # session user, NGO, owner role, count, page with donors
    with django_assert_max_num_queries(5):
        response = client.get(_url(ong), {"page_size": 100})

    assert response.status_code == 200
    assert response.data["count"] == 30
    assert set(response.data["results"][0]["donor"]) == {"id", "name", "email"}


@pytest.mark.parametrize(
    ("who", "expected"), [("admin", 200), ("stranger", 404), ("staff", 200), ("anonymous", 401)]
)
def test_who_lists_an_ngos_donations(client_for, api_client, ong, who, expected):
    admin = UserFactory()
    ong.admins.add(admin)
    people = {"admin": admin, "stranger": UserFactory(), "staff": UserFactory(is_staff=True)}
    client = client_for(people[who]) if who in people else api_client

    assert client.get(_url(ong)).status_code == expected


def test_a_replay_still_answers_after_the_card_is_deleted(user_client, ong, card, charges):
    body = {"amount": "10.00", "payment_method": card.pk}
    first = user_client.post(_url(ong), body, HTTP_IDEMPOTENCY_KEY="key-1")
    user_client.delete(f"/api/v1/payment-methods/{card.pk}")

    replay = user_client.post(_url(ong), body, HTTP_IDEMPOTENCY_KEY="key-1")

    assert (first.status_code, replay.status_code) == (201, 201)
    assert replay.json() == first.json()
    assert len(charges) == 1


def test_an_unknown_card_with_a_key_frees_the_key(user_client, user, ong, card):
    response = user_client.post(
        _url(ong), {"amount": "10.00", "payment_method": 999999}, HTTP_IDEMPOTENCY_KEY="key-1"
    )

    assert response.status_code == 400
    assert not IdempotencyRecord.objects.exists()


def test_an_invalid_body_with_a_key_leaves_the_key_free(user_client, ong, card, charges):
    invalid = user_client.post(
        _url(ong), {"amount": "-1", "payment_method": card.pk}, HTTP_IDEMPOTENCY_KEY="key-1"
    )
    fixed = user_client.post(
        _url(ong), {"amount": "10.00", "payment_method": card.pk}, HTTP_IDEMPOTENCY_KEY="key-1"
    )

    assert (invalid.status_code, fixed.status_code) == (400, 201)
    assert "Idempotent-Replayed" not in fixed
    assert IdempotencyRecord.objects.get().response_status == 201
    assert len(charges) == 1


PLAIN_ONLY = "Enter a plain decimal number such as 10 or 10.50 (no exponent)."


@pytest.mark.parametrize("amount", ["1e3", "1E2", "5e-1", "1_000", "١٠", "+10", "Infinity"])
def test_amounts_outside_the_schemas_pattern_are_400(user_client, ong, card, charges, amount):
    response = user_client.post(_url(ong), {"payment_method": card.pk, "amount": amount})

    assert response.status_code == 400
    assert response.data["errors"]["amount"] in ([PLAIN_ONLY], ["A valid number is required."])
    assert not Donation.objects.exists()
    assert charges == []


@pytest.mark.parametrize(("amount", "stored"), [("10", "10.00"), ("10.50", "10.50"), (25, "25.00")])
def test_plain_decimals_still_donate(user_client, ong, card, amount, stored):
    response = user_client.post(
        _url(ong), {"payment_method": card.pk, "amount": amount}, format="json"
    )

    assert response.status_code == 201
    assert response.data["amount"] == stored
    assert str(Donation.objects.get().amount) == stored


def test_the_schema_declares_the_pattern_the_server_enforces():
    import re

    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    for name in ("DonationCreateRequest", "WithdrawalCreateRequest"):
        pattern = schema["components"]["schemas"][name]["properties"]["amount"]["pattern"]
        assert re.fullmatch(pattern.replace(r"\d", "[0-9]"), "10.50")
        assert not re.search(pattern.replace(r"\d", "[0-9]"), "1e3")
