"""Every change to payment methods and donations. Views call these; nothing else writes.

The card number and CVC pass through here on their way to the gateway and are dropped:
they are never saved, logged or put into an exception message.
"""

import logging
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from core.emails import render_email
from core.exceptions import Conflict, FieldError
from core.services import model_update, outbox_enqueue
from ongs.models import Ong
from ongs.services import ledger_credit_donation
from payments.cards import (
    card_fingerprint,
    card_number_normalize,
    cvc_is_valid,
    expiry_is_future,
    luhn_is_valid,
)
from payments.gateway import CardDetails, ChargeResult, GatewayError, card_brand, get_gateway
from payments.models import Donation, PaymentMethod

logger = logging.getLogger(__name__)


def _duplicate_card() -> FieldError:
    return FieldError("number", _("You have already saved this card."), code="duplicate_card")


def payment_method_create(
    *, user: User, number: str, exp_month: int, exp_year: int, cvc: str, holder_name: str
) -> PaymentMethod:
    """Check a card (Luhn, expiry in the future, CVC shape), tokenise it at the gateway and
    keep only brand, last 4 digits, expiry, holder, token and fingerprint. The same card
    twice for one person is refused (400), also when both arrive at once."""
    number = card_number_normalize(number)
    if not luhn_is_valid(number):
        raise FieldError("number", _("Enter a valid card number."), code="invalid_card_number")
    if not expiry_is_future(exp_month, exp_year):
        raise FieldError("exp_year", _("The card has expired."), code="card_expired")
    if not cvc_is_valid(cvc, brand=card_brand(number)):
        raise FieldError("cvc", _("Enter the card's security code."), code="invalid_cvc")
    fingerprint = card_fingerprint(number)
    if PaymentMethod.objects.filter(user=user, fingerprint=fingerprint).exists():
        raise _duplicate_card()
    try:
        tokenized = get_gateway().tokenize(
            CardDetails(
                number=number,
                exp_month=exp_month,
                exp_year=exp_year,
                cvc=cvc,
                holder_name=holder_name,
            )
        )
    except GatewayError as exc:
        raise FieldError("number", _("The card was refused."), code=exc.code) from None
    try:
        with transaction.atomic():
            return PaymentMethod.objects.create(
                user=user,
                brand=tokenized.brand,
                last4=tokenized.last4,
                exp_month=exp_month,
                exp_year=exp_year,
                holder_name=holder_name,
                gateway_token=tokenized.token,
                fingerprint=fingerprint,
            )
    except IntegrityError:
        raise _duplicate_card() from None


@transaction.atomic
def payment_method_update(*, payment_method: PaymentMethod, data: dict[str, Any]) -> PaymentMethod:
    """Change the holder name and expiry only; the card itself cannot change."""
    exp_month = data.get("exp_month", payment_method.exp_month)
    exp_year = data.get("exp_year", payment_method.exp_year)
    if ("exp_month" in data or "exp_year" in data) and not expiry_is_future(exp_month, exp_year):
        raise FieldError("exp_year", _("The card has expired."), code="card_expired")
    payment_method, _changed = model_update(
        instance=payment_method, data=data, fields=("holder_name", "exp_month", "exp_year")
    )
    return payment_method


@transaction.atomic
def payment_method_delete(*, payment_method: PaymentMethod) -> None:
    """Forget a card. Past donations keep their brand and last 4 digits."""
    payment_method.delete()


def donation_create(
    *,
    donor: User,
    ong: Ong,
    payment_method: PaymentMethod,
    amount: Decimal,
    message: str = "",
) -> Donation:
    """Charge `amount` to the donor's card for the NGO and record the outcome.

    The donation is committed as `pending` before the gateway is called (no lock is held
    during the call), then settled: an approved one credits the NGO's ledger and e-mails
    the donor a receipt in the same transaction. A processor that cannot be reached leaves
    the donation `failed`. Refused before charging (404/409) when the NGO is inactive or the
    card is not the donor's.
    """
    if not ong.is_active:
        raise Conflict(_("This NGO is not accepting donations."), code="ong_inactive")
    if payment_method.user_id != donor.pk:
        raise FieldError("payment_method", _("Unknown payment method."), code="does_not_exist")
    donation = Donation.objects.create(
        donor=donor,
        ong=ong,
        payment_method=payment_method,
        amount=amount,
        currency=settings.DONATION_CURRENCY,
        card_brand=payment_method.brand,
        card_last4=payment_method.last4,
        message=message,
    )
    try:
        result = get_gateway().charge(
            token=payment_method.gateway_token,
            amount=amount,
            currency=donation.currency,
            idempotency_key=f"donation-{donation.pk}",
        )
    except Exception:
        # The exception may come from any gateway library; only the donation id is logged.
        logger.exception("Payment gateway failed for donation %s", donation.pk)
        result = ChargeResult(status=Donation.Status.FAILED, decline_code="gateway_unavailable")
    return donation_settle(donation=donation, result=result)


@transaction.atomic
def donation_settle(*, donation: Donation, result: ChargeResult) -> Donation:
    """Record the gateway's answer on a pending donation, once. An approval credits the
    NGO's ledger (locking the NGO row) and queues the receipt e-mail."""
    donation = (
        Donation.objects.select_for_update().select_related("donor", "ong").get(pk=donation.pk)
    )
    if donation.status != Donation.Status.PENDING:
        return donation
    donation.status = result.status
    donation.decline_code = result.decline_code
    donation.gateway_reference = result.reference
    donation.settled_at = timezone.now()
    donation.save(
        update_fields=["status", "decline_code", "gateway_reference", "settled_at", "updated_at"]
    )
    if donation.status == Donation.Status.APPROVED:
        ledger_credit_donation(donation=donation)
        donor = donation.donor
        outbox_enqueue(
            key=f"payments:donation:{donation.pk}:receipt",
            to=donor.email,
            email=render_email(
                "payments/email/donation_receipt",
                {"donation": donation, "donor": donor, "ong": donation.ong},
                language=donor.language,
            ),
        )
    return donation
