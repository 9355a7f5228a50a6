"""Every change to NGOs, their ledger and withdrawals. Views call these; nothing else writes."""

from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from core.exceptions import Conflict, FieldError, Forbidden
from ongs.models import LedgerEntry, Ong, Withdrawal

EDITABLE_FIELDS = ("name", "description", "cause", "email", "phone", "address", "cnpj")


def _cnpj_taken(cnpj: str, *, exclude_pk: int | None = None) -> bool:
    if not cnpj:
        return False
    return Ong.objects.filter(cnpj=cnpj).exclude(pk=exclude_pk).exists()


def _admins_from_emails(emails: list[str]) -> list[User]:
    wanted = {User.objects.normalize_email(email) for email in emails}
    users = list(User.objects.filter(email__in=wanted, is_active=True))
    missing = wanted - {user.email for user in users}
    if missing:
        raise FieldError(
            "admin_emails",
            _("No active account has the e-mail %(email)s.") % {"email": sorted(missing)[0]},
            code="unknown_user",
        )
    return users


def _save_unique(ong: Ong, **save_kwargs: Any) -> None:
    try:
        with transaction.atomic():
            ong.save(**save_kwargs)
    except IntegrityError as exc:  # two NGOs registered with one CNPJ at the same moment
        raise FieldError("cnpj", _("An NGO with this CNPJ already exists."), code="unique") from exc


@transaction.atomic
def ong_create(*, owner: User, data: dict[str, Any]) -> Ong:
    """Register an NGO owned by `owner`, active at once. The CNPJ, when given, is unique;
    `admin_emails` must name active accounts."""
    fields = {key: data[key] for key in EDITABLE_FIELDS if key in data}
    if _cnpj_taken(fields.get("cnpj", "")):
        raise FieldError("cnpj", _("An NGO with this CNPJ already exists."), code="unique")
    admins = _admins_from_emails(data.get("admin_emails") or [])
    ong = Ong(owner=owner, **fields)
    _save_unique(ong)
    ong.admins.set([admin for admin in admins if admin.pk != owner.pk])
    return ong


@transaction.atomic
def ong_update(*, ong: Ong, actor: User, data: dict[str, Any]) -> Ong:
    """Change an NGO's details. Only the owner (or staff) changes who its admins are; the
    owner, status and ledger are never changed here."""
    changed = [key for key in EDITABLE_FIELDS if key in data]
    for key in changed:
        setattr(ong, key, data[key])
    if "cnpj" in changed and _cnpj_taken(ong.cnpj, exclude_pk=ong.pk):
        raise FieldError("cnpj", _("An NGO with this CNPJ already exists."), code="unique")
    if "admin_emails" in data:
        if not (actor.is_staff or actor.pk == ong.owner_id):
            raise Forbidden(_("Only the owner changes the NGO's admins."), code="owner_only")
        admins = _admins_from_emails(data["admin_emails"])
        ong.admins.set([admin for admin in admins if admin.pk != ong.owner_id])
    if changed:
        _save_unique(ong, update_fields=[*changed, "updated_at"])
    return ong


@transaction.atomic
def ong_deactivate(*, ong: Ong) -> None:
    """Hide the NGO from public lists; it accepts no more donations or registrations.
    Its events, donations and ledger stay as they are."""
    Ong.objects.filter(pk=ong.pk).update(is_active=False)
    ong.is_active = False


def _lock(ong: Ong) -> Ong:
    # Every ledger write locks the NGO row first, so appends are serialised per NGO.
    return Ong.objects.select_for_update().get(pk=ong.pk)


def _last_balance(ong: Ong) -> Decimal:
    last = LedgerEntry.objects.filter(ong=ong).order_by("-id").values("balance_after").first()
    return last["balance_after"] if last else Decimal("0.00")


def ledger_credit_donation(*, donation: Any) -> LedgerEntry:
    """Append the credit of an approved donation. Must run inside the caller's transaction;
    it locks the NGO row, so concurrent credits and withdrawals queue up."""
    ong = _lock(donation.ong)
    balance = _last_balance(ong) + donation.amount
    return LedgerEntry.objects.create(
        ong=ong,
        kind=LedgerEntry.Kind.DONATION,
        amount=donation.amount,
        balance_after=balance,
        donation=donation,
    )


@transaction.atomic
def withdrawal_create(
    *, ong: Ong, requested_by: User, amount: Decimal, description: str = ""
) -> Withdrawal:
    """Take `amount` out of the NGO's available balance, never more than it holds.

    The NGO row is locked before the balance is read, so of many withdrawals at once each
    sees the balance the previous one left; the ledger's CHECK (balance ≥ 0) backs this up.
    """
    ong = _lock(ong)
    available = _last_balance(ong)
    if amount > available:
        raise Conflict(
            _("The amount is larger than the available balance."),
            code="insufficient_balance",
            available=str(available),
        )
    withdrawal = Withdrawal.objects.create(
        ong=ong, requested_by=requested_by, amount=amount, description=description
    )
    LedgerEntry.objects.create(
        ong=ong,
        kind=LedgerEntry.Kind.WITHDRAWAL,
        amount=amount,
        balance_after=available - amount,
        withdrawal=withdrawal,
    )
    return withdrawal
