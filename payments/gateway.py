"""The payment gateway boundary: card tokenisation and charges.

Mutirão never keeps a card: it hands the number to the gateway once, keeps the token the
gateway returns, and charges by token. `PAYMENT_GATEWAY` names the class to use; the
default `SandboxGateway` runs offline and answers like a processor's test mode, by test
card number (the table is in docs/payments.md).
"""

import abc
import hashlib
import secrets
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache

from django.conf import settings
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class CardDetails:
    """A card as typed by its holder. Lives only for the length of one request; its repr
    hides the number and CVC so that no traceback or log line can carry them."""

    number: str = field(repr=False)
    exp_month: int
    exp_year: int
    cvc: str = field(repr=False)
    holder_name: str


@dataclass(frozen=True)
class TokenizedCard:
    token: str
    brand: str
    last4: str


@dataclass(frozen=True)
class ChargeResult:
    """The processor's answer. `status` is `approved`, `declined` (the card was refused,
    `decline_code` says why) or `failed` (the processor broke; nothing was charged)."""

    status: str
    reference: str = ""
    decline_code: str = ""


class GatewayError(Exception):
    """The gateway refused a card at tokenisation (it is not a card it can charge)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class PaymentGateway(abc.ABC):
    """What Mutirão needs from a card processor. Implementations must be thread-safe."""

    @abc.abstractmethod
    def tokenize(self, card: CardDetails) -> TokenizedCard:
        """Store the card at the processor; return a token to charge it later."""

    @abc.abstractmethod
    def charge(
        self, *, token: str, amount: Decimal, currency: str, idempotency_key: str
    ) -> ChargeResult:
        """Charge a tokenised card. The same `idempotency_key` twice charges once."""


def card_brand(number: str) -> str:
    """The card network, from the number's leading digits (IIN ranges)."""
    if number.startswith(("34", "37")):
        return "amex"
    if number.startswith(("4011", "4312", "4389", "4514", "4576", "5041", "5066", "5067", "6362")):
        return "elo"
    if number.startswith("4"):
        return "visa"
    prefix2, prefix4 = int(number[:2]), int(number[:4])
    if 51 <= prefix2 <= 55 or 2221 <= prefix4 <= 2720:
        return "mastercard"
    return "other"


class SandboxGateway(PaymentGateway):
    """Offline test mode. The outcome is decided by the card number at tokenisation and
    carried in the token, so charging needs no state:

    - 4000000000009995 → declined, `insufficient_funds`
    - 4000000000009979 → declined, `stolen_card`
    - 4000000000000002 → declined, `card_declined`
    - 4000000000000119 → failed, `processing_error`
    - any other valid number (4242424242424242, 5555555555554444, 378282246310005…) → approved
    """

    OUTCOMES = {
        "4000000000009995": ("declined", "insufficient_funds"),
        "4000000000009979": ("declined", "stolen_card"),
        "4000000000000002": ("declined", "card_declined"),
        "4000000000000119": ("failed", "processing_error"),
    }
    _TOKEN_OUTCOMES = {
        "ok": ("approved", ""),
        "nofunds": OUTCOMES["4000000000009995"],
        "stolen": OUTCOMES["4000000000009979"],
        "declined": OUTCOMES["4000000000000002"],
        "error": OUTCOMES["4000000000000119"],
    }
    _NUMBER_TAGS = {
        "4000000000009995": "nofunds",
        "4000000000009979": "stolen",
        "4000000000000002": "declined",
        "4000000000000119": "error",
    }

    def tokenize(self, card: CardDetails) -> TokenizedCard:
        tag = self._NUMBER_TAGS.get(card.number, "ok")
        return TokenizedCard(
            token=f"tok_sandbox_{tag}_{secrets.token_hex(12)}",
            brand=card_brand(card.number),
            last4=card.number[-4:],
        )

    def charge(
        self, *, token: str, amount: Decimal, currency: str, idempotency_key: str
    ) -> ChargeResult:
        parts = token.split("_")
        tag = parts[2] if len(parts) == 4 and parts[:2] == ["tok", "sandbox"] else "declined"
        status, code = self._TOKEN_OUTCOMES.get(tag, ("declined", "card_declined"))
        # Same key, same reference: what a real processor's idempotent charge returns.
        reference = "ch_sandbox_" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:24]
        return ChargeResult(
            status=status,
            reference=reference if status == "approved" else "",
            decline_code=code,
        )


@lru_cache(maxsize=4)
def _gateway_class(path: str) -> type[PaymentGateway]:
    return import_string(path)


def get_gateway() -> PaymentGateway:
    """The gateway named by the PAYMENT_GATEWAY setting (read on each call)."""
    return _gateway_class(settings.PAYMENT_GATEWAY)()
