"""Every change to NGOs, their ledger and withdrawals. Views call these; nothing else writes."""

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from core.exceptions import Conflict, FieldError, Forbidden
from core.services import model_update
from ongs.models import LedgerEntry, Ong, Withdrawal

EDITABLE_FIELDS = ("name", "description", "cause", "email", "phone", "address", "cnpj")


def _cnpj_taken(cnpj: str, *, exclude_pk: int | None = None) -> bool:
    if not cnpj:
        return False
    return Ong.objects.filter(cnpj=cnpj).exclude(pk=exclude_pk).exists()


def _email_taken(email: str, *, exclude_pk: int | None = None) -> bool:
    return Ong.objects.filter(email__iexact=email).exclude(pk=exclude_pk).exists()


def _email_error() -> FieldError:
    return FieldError("email", _("An NGO with this e-mail already exists."), code="unique")


def _cnpj_error() -> FieldError:
    return FieldError("cnpj", _("An NGO with this CNPJ already exists."), code="unique")


def _check_unique(values: Mapping[str, Any], *, exclude_pk: int | None = None) -> None:
    if "email" in values and _email_taken(values["email"], exclude_pk=exclude_pk):
        raise _email_error()
    if "cnpj" in values and _cnpj_taken(values["cnpj"], exclude_pk=exclude_pk):
        raise _cnpj_error()


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


@contextmanager
def _unique_on_save(ong: Ong) -> Iterator[None]:
    """Run the block that saves `ong` in a savepoint, turning a lost unique race (two NGOs
    saved with one e-mail or CNPJ at the same moment) into that field's error."""
    try:
        with transaction.atomic():
            yield
    except IntegrityError as exc:
        # The savepoint is rolled back, so the rows can be read again to say which field lost.
        if _email_taken(ong.email, exclude_pk=ong.pk):
            raise _email_error() from exc
        raise _cnpj_error() from exc


@transaction.atomic
def ong_create(*, owner: User, data: dict[str, Any]) -> Ong:
    """Register an NGO owned by `owner`, active at once. Its e-mail is unique among NGOs
    (case-insensitive) and so is its CNPJ when given; `admin_emails` must name active
    accounts. A person owns at most one active NGO (409 `already_owns_ngo`): the owner's
    user row is locked first, so two registrations at once cannot both pass the check."""
    User.objects.select_for_update().filter(pk=owner.pk).values_list("pk").get()
    current = Ong.objects.filter(owner=owner, is_active=True).values("id", "name").first()
    if current is not None:
        raise Conflict(
            _("You already own an active NGO; a person owns one at a time."),
            code="already_owns_ngo",
            ong=current,
        )
    fields = {key: data[key] for key in EDITABLE_FIELDS if key in data}
    ong = Ong(owner=owner, **fields)
    _check_unique({"email": ong.email, "cnpj": ong.cnpj})
    admins = _admins_from_emails(data.get("admin_emails") or [])
    with _unique_on_save(ong):
        ong.save()
    ong.admins.set([admin for admin in admins if admin.pk != owner.pk])
    return ong


@transaction.atomic
def ong_update(*, ong: Ong, actor: User, data: dict[str, Any]) -> Ong:
    """Change an NGO's details. Only the owner (or staff) changes who its admins are; the
    owner, status and ledger are never changed here. A new e-mail or CNPJ must be free."""
    # Only a value that changes is checked: an NGO exempted by migration 0004 may send its
    # shared e-mail back unchanged; a new one ends the exemption and must be free.
    moved = {
        key: data[key]
        for key in ("email", "cnpj")
        if key in data and data[key] != getattr(ong, key)
    }
    _check_unique(moved, exclude_pk=ong.pk)
    if "admin_emails" in data:
        if not (actor.is_staff or actor.pk == ong.owner_id):
            raise Forbidden(_("Only the owner changes the NGO's admins."), code="owner_only")
        admins = _admins_from_emails(data["admin_emails"])
        ong.admins.set([admin for admin in admins if admin.pk != ong.owner_id])
    changes = dict(data)
    if "email" in moved:
        changes["shares_legacy_email"] = False
    with _unique_on_save(ong):
        model_update(instance=ong, data=changes, fields=(*EDITABLE_FIELDS, "shares_legacy_email"))
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
