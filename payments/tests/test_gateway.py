from decimal import Decimal

import pytest

from payments.cards import card_fingerprint, luhn_is_valid
from payments.gateway import CardDetails, PaymentGateway, SandboxGateway, get_gateway


def _charge(number: str):
    sandbox = SandboxGateway()
    card = CardDetails(number=number, exp_month=12, exp_year=2099, cvc="123", holder_name="P")
    token = sandbox.tokenize(card).token
    return token, sandbox.charge(
        token=token, amount=Decimal("1.00"), currency="BRL", idempotency_key="k"
    )


@pytest.mark.parametrize(
    ("number", "status", "code"),
    [
        ("4242424242424242", "approved", ""),
        ("5555555555554444", "approved", ""),
        ("378282246310005", "approved", ""),
        ("4000000000009995", "declined", "insufficient_funds"),
        ("4000000000009979", "declined", "stolen_card"),
        ("4000000000000002", "declined", "card_declined"),
        ("4000000000000119", "failed", "processing_error"),
    ],
)
def test_sandbox_outcomes_by_test_card(number, status, code):
    token, result = _charge(number)

    assert (result.status, result.decline_code) == (status, code)
    assert number not in token
    assert bool(result.reference) is (status == "approved")


def test_sandbox_charge_is_idempotent_per_key():
    sandbox = SandboxGateway()
    token = sandbox.tokenize(
        CardDetails(number="4242424242424242", exp_month=1, exp_year=2099, cvc="1", holder_name="")
    ).token

    first = sandbox.charge(token=token, amount=Decimal(1), currency="BRL", idempotency_key="a")
    again = sandbox.charge(token=token, amount=Decimal(1), currency="BRL", idempotency_key="a")
    other = sandbox.charge(token=token, amount=Decimal(1), currency="BRL", idempotency_key="b")

    assert first.reference == again.reference != other.reference


def test_an_unknown_token_is_declined():
    result = SandboxGateway().charge(
        token="tok_forged", amount=Decimal(1), currency="BRL", idempotency_key="k"
    )

    assert (result.status, result.decline_code) == ("declined", "card_declined")


class RecordingGateway(SandboxGateway):
    pass


def test_the_setting_chooses_the_gateway(settings):
    assert isinstance(get_gateway(), SandboxGateway)

    settings.PAYMENT_GATEWAY = "payments.tests.test_gateway.RecordingGateway"

    assert isinstance(get_gateway(), RecordingGateway)
    assert isinstance(get_gateway(), PaymentGateway)


def test_luhn():
    assert luhn_is_valid("4242424242424242")
    assert not luhn_is_valid("4242424242424243")
    assert not luhn_is_valid("42424242424")


def test_fingerprint_is_keyed(settings):
    default = card_fingerprint("4242424242424242")
    settings.PAYMENT_FINGERPRINT_KEY = "another-key"

    assert card_fingerprint("4242424242424242") != default
    assert len(default) == 64
