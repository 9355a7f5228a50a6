"""Checks on a card as typed, and its fingerprint. Nothing here stores or logs a number."""

import hashlib
import hmac
import re
from functools import lru_cache

from django.conf import settings
from django.utils import timezone

_NON_DIGITS = re.compile(r"[\s-]")


def card_number_normalize(value: str) -> str:
    """Drop spaces and dashes: `4242 4242-4242 4242` → `4242424242424242`."""
    return _NON_DIGITS.sub("", value or "")


def luhn_is_valid(number: str) -> bool:
    if not number.isdigit() or not 12 <= len(number) <= 19:
        return False
    total = 0
    for position, char in enumerate(reversed(number)):
        digit = int(char)
        if position % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def expiry_is_future(exp_month: int, exp_year: int) -> bool:
    """A card is good until the last day of its expiry month."""
    today = timezone.now().date()
    return (exp_year, exp_month) >= (today.year, today.month)


def cvc_is_valid(cvc: str, *, brand: str) -> bool:
    length = 4 if brand == "amex" else 3
    return cvc.isdigit() and len(cvc) == length


@lru_cache(maxsize=4)
def _fingerprint_key(configured: str, secret_key: str) -> bytes:
    if configured:
        return configured.encode()
    # A separate key derived from SECRET_KEY, so the raw SECRET_KEY never keys card hashes.
    return hmac.new(secret_key.encode(), b"mutirao.payments.card-fingerprint", "sha256").digest()


def card_fingerprint(number: str) -> str:
    """HMAC-SHA256 of the number: the same card gives the same fingerprint, and without the
    key the fingerprint cannot be brute-forced back into a number."""
    key = _fingerprint_key(settings.PAYMENT_FINGERPRINT_KEY, settings.SECRET_KEY)
    return hmac.new(key, number.encode(), hashlib.sha256).hexdigest()
