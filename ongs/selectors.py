"""Querysets of NGOs, withdrawals and ledger scoped to the person asking."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import (
    BooleanField,
    DecimalField,
    Exists,
    ExpressionWrapper,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce

from accounts.models import User
from core.exceptions import NotFound
from ongs.models import LedgerEntry, Ong, OngRole, Withdrawal

ZERO = Decimal("0.00")


def _managed_q(user: User) -> Q:
    admin_of = Ong.admins.through.objects.filter(ong_id=OuterRef("pk"), user_id=user.pk)
    return Q(owner_id=user.pk) | Q(Exists(admin_of))


def ong_list_visible_to(user: User) -> QuerySet[Ong]:
    """Active NGOs for everyone (anonymous included); inactive ones only for their owner and
    admins; staff see all. The owner comes along in the same query, and each row carries
    `viewer_manages` (the reader is its owner, one of its admins, or staff): only then do
    serializers show the owner's personal e-mail."""
    queryset = Ong.objects.select_related("owner")
    if user.is_authenticated and user.is_staff:
        return queryset.annotate(viewer_manages=Value(True, output_field=BooleanField()))
    if not user.is_authenticated:
        return queryset.filter(is_active=True).annotate(
            viewer_manages=Value(False, output_field=BooleanField())
        )
    managed = _managed_q(user)
    return queryset.filter(Q(is_active=True) | managed).annotate(
        viewer_manages=ExpressionWrapper(managed, output_field=BooleanField())
    )


def ong_get_visible_to(user: User, pk: int) -> Ong:
    """The NGO if `user` may see it, else NotFound (an inactive NGO is 404 to outsiders)."""
    try:
        return ong_list_visible_to(user).get(pk=pk)
    except Ong.DoesNotExist as exc:
        raise NotFound() from exc


def ong_list_managed_by(user: User) -> QuerySet[Ong]:
    """NGOs the user owns or administers (staff: all)."""
    if not user.is_authenticated:
        return Ong.objects.none()
    if user.is_staff:
        return Ong.objects.all()
    return Ong.objects.filter(_managed_q(user))


def ong_roles_of(user: User, ong: Ong) -> set[OngRole]:
    """`owner` and/or `admin`, read from the database on every call."""
    if not user.is_authenticated:
        return set()
    roles = set()
    if ong.owner_id == user.pk:
        roles.add(OngRole.OWNER)
    if ong.admins.filter(pk=user.pk).exists():
        roles.add(OngRole.ADMIN)
    return roles


def ong_is_managed_by(user: User, ong: Ong) -> bool:
    return bool(user.is_authenticated and (user.is_staff or ong_roles_of(user, ong)))


@dataclass(frozen=True)
class Balance:
    donated: Decimal
    withdrawn: Decimal
    available: Decimal


def ong_balance(ong: Ong) -> Balance:
    """Donated and withdrawn totals summed from the ledger (one query); available is their
    difference, which the ledger's last `balance_after` must equal (see ong_ledger_is_consistent).
    """
    money = DecimalField(max_digits=14, decimal_places=2)
    totals = LedgerEntry.objects.filter(ong=ong).aggregate(
        donated=Coalesce(
            Sum("amount", filter=Q(kind=LedgerEntry.Kind.DONATION)), Value(ZERO), output_field=money
        ),
        withdrawn=Coalesce(
            Sum("amount", filter=Q(kind=LedgerEntry.Kind.WITHDRAWAL)),
            Value(ZERO),
            output_field=money,
        ),
    )
    return Balance(
        donated=totals["donated"],
        withdrawn=totals["withdrawn"],
        available=totals["donated"] - totals["withdrawn"],
    )


def ong_ledger_is_consistent(ong: Ong) -> bool:
    """Replays the ledger: every entry's `balance_after` must follow from the previous one,
    never go negative, and the last must equal credits minus debits."""
    running = ZERO
    for kind, amount, balance_after in LedgerEntry.objects.filter(ong=ong).values_list(
        "kind", "amount", "balance_after"
    ):
        running += amount if kind == LedgerEntry.Kind.DONATION else -amount
        if running < 0 or running != balance_after:
            return False
    return running == ong_balance(ong).available


def withdrawal_list_for(ong: Ong) -> QuerySet[Withdrawal]:
    """An NGO's withdrawals; callers check the reader manages the NGO first."""
    return Withdrawal.objects.filter(ong=ong).select_related("requested_by")
