"""Bills between members, and the fewest transfers that settle them."""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from core.exceptions import Conflict, FieldError, Forbidden
from core.services import model_update
from homes.models import Bill, Home
from homes.services._shared import ADMIN, check_members, home_roles

BILL_FIELDS = ("debtor", "creditor", "amount", "description", "due_date")


def _check_bill_people(home: Home, debtor: User, creditor: User) -> None:
    check_members(home, "debtor", [debtor])
    check_members(home, "creditor", [creditor])
    if debtor.pk == creditor.pk:
        raise FieldError("creditor", _("Debtor and creditor must differ."), code="same_person")


@transaction.atomic
def bill_create(*, home: Home, user: User, data: dict[str, Any]) -> Bill:
    """Record that one member owes another. A resident may only bill others for themself
    (they are the creditor); an admin may record any bill between members."""
    fields = {key: data[key] for key in BILL_FIELDS if key in data}
    _check_bill_people(home, fields["debtor"], fields["creditor"])
    if (
        fields["creditor"].pk != user.pk
        and not user.is_staff
        and ADMIN not in home_roles(home, user)
    ):
        raise Forbidden(_("You can only bill others for yourself."), code="not_creditor")
    return Bill.objects.create(home=home, created_by=user, **fields)


def _check_no_payment_reported(bill: Bill) -> None:
    if bill.payment_reported_at is not None:
        raise Conflict(
            _("Confirm or reject the reported payment first."), code="bill_payment_reported"
        )


def _check_not_debtor(bill: Bill, user: User) -> None:
    if bill.debtor_id == user.pk:
        raise Forbidden(
            _("The creditor or an admin confirms payments, not the debtor."),
            code="debtor_cannot_confirm",
        )


@transaction.atomic
def bill_update(*, bill: Bill, data: dict[str, Any]) -> Bill:
    """Change an unpaid bill's amount, description or due date (409 once paid or while a
    reported payment awaits the creditor). A new due date re-arms its reminder."""
    bill = Bill.objects.select_for_update().get(pk=bill.pk)
    if bill.is_paid:
        raise Conflict(_("A paid bill cannot be changed."), code="bill_paid")
    _check_no_payment_reported(bill)
    changes = dict(data)
    if "due_date" in data and data["due_date"] != bill.due_date:
        changes["reminded_at"] = None
    bill, _changed = model_update(
        instance=bill, data=changes, fields=("amount", "description", "due_date", "reminded_at")
    )
    return bill


@transaction.atomic
def bill_delete(*, bill: Bill) -> None:
    """Delete an unpaid bill (409 once paid: it is part of the home's history; 409 while a
    reported payment awaits the creditor)."""
    bill = Bill.objects.select_for_update().get(pk=bill.pk)
    if bill.is_paid:
        raise Conflict(_("A paid bill cannot be deleted."), code="bill_paid")
    _check_no_payment_reported(bill)
    bill.delete()


@transaction.atomic
def bill_pay(*, bill: Bill, user: User) -> Bill:
    """The creditor or an admin marks a bill paid, once (reported or not): a conditional
    UPDATE; a second call is a 409. The debtor cannot mark their own debt paid (403)."""
    _check_not_debtor(bill, user)
    now = timezone.now()
    if not Bill.objects.filter(pk=bill.pk, is_paid=False).update(
        is_paid=True, paid_at=now, payment_reported_at=None, updated_at=now
    ):
        raise Conflict(_("This bill is already paid."), code="bill_paid")
    bill.refresh_from_db()
    return bill


@transaction.atomic
def bill_report_payment(*, bill: Bill) -> Bill:
    """The debtor says they paid: the bill awaits the creditor's confirmation and still
    counts in balances. 409 if it is paid or already reported."""
    now = timezone.now()
    if not Bill.objects.filter(pk=bill.pk, is_paid=False, payment_reported_at__isnull=True).update(
        payment_reported_at=now, updated_at=now
    ):
        raise Conflict(
            _("This bill is already paid or its payment was already reported."),
            code="bill_not_unpaid",
        )
    bill.refresh_from_db()
    return bill


@transaction.atomic
def bill_confirm_payment(*, bill: Bill, user: User) -> Bill:
    """The creditor (or an admin) confirms a reported payment: paid, once."""
    _check_not_debtor(bill, user)
    now = timezone.now()
    if not Bill.objects.filter(pk=bill.pk, is_paid=False, payment_reported_at__isnull=False).update(
        is_paid=True, paid_at=now, payment_reported_at=None, updated_at=now
    ):
        raise Conflict(
            _("No payment of this bill awaits confirmation."), code="payment_not_reported"
        )
    bill.refresh_from_db()
    return bill


@transaction.atomic
def bill_reject_payment(*, bill: Bill, user: User) -> Bill:
    """The creditor (or an admin) says the reported payment did not arrive: unpaid again."""
    _check_not_debtor(bill, user)
    now = timezone.now()
    if not Bill.objects.filter(pk=bill.pk, is_paid=False, payment_reported_at__isnull=False).update(
        payment_reported_at=None, updated_at=now
    ):
        raise Conflict(
            _("No payment of this bill awaits confirmation."), code="payment_not_reported"
        )
    bill.refresh_from_db()
    return bill


@transaction.atomic
def bill_mark_unpaid(*, bill: Bill) -> Bill:
    """The creditor or an admin sets a paid bill back to unpaid (a payment that bounced,
    a mistake); it counts in balances again. 409 if it is not paid."""
    now = timezone.now()
    if not Bill.objects.filter(pk=bill.pk, is_paid=True).update(
        is_paid=False, paid_at=None, updated_at=now
    ):
        raise Conflict(_("This bill is not paid."), code="bill_not_paid")
    bill.refresh_from_db()
    return bill


@dataclass(frozen=True)
class Transfer:
    debtor_id: int
    creditor_id: int
    amount: Decimal


def settle(net: dict[int, Decimal]) -> list[Transfer]:
    """Turn net positions (positive: is owed; negative: owes) into transfers.

    Greedy: the largest debtor pays the largest creditor as much as both allow, and the one
    who is settled drops out. Each step settles at least one person, so there are at most
    n - 1 transfers; ties break by user id, so the answer is stable.
    """
    debtors = sorted(((-v, k) for k, v in net.items() if v < 0), key=lambda x: (-x[0], x[1]))
    creditors = sorted(((v, k) for k, v in net.items() if v > 0), key=lambda x: (-x[0], x[1]))
    transfers: list[Transfer] = []
    while debtors and creditors:
        owed, debtor = debtors.pop(0)
        due, creditor = creditors.pop(0)
        amount = min(owed, due)
        transfers.append(Transfer(debtor, creditor, amount))
        if owed > amount:
            debtors.append((owed - amount, debtor))
            debtors.sort(key=lambda x: (-x[0], x[1]))
        if due > amount:
            creditors.append((due - amount, creditor))
            creditors.sort(key=lambda x: (-x[0], x[1]))
    return transfers
