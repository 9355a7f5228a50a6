"""Querysets of payment methods and donations scoped to the person asking."""

from django.db.models import QuerySet

from accounts.models import User
from core.exceptions import NotFound
from ongs.models import Ong
from payments.models import Donation, PaymentMethod


def payment_method_list_of(user: User) -> QuerySet[PaymentMethod]:
    """A person's own cards. Nobody else's card is ever visible, staff included: staff
    read them in the admin."""
    return PaymentMethod.objects.filter(user_id=user.pk)


def payment_method_get_of(user: User, pk: int) -> PaymentMethod:
    """The user's card, or NotFound (another person's card is indistinguishable from none)."""
    try:
        return payment_method_list_of(user).get(pk=pk)
    except PaymentMethod.DoesNotExist as exc:
        raise NotFound() from exc


def donation_list_of(user: User) -> QuerySet[Donation]:
    """Donations the user made, with their NGOs, in one query."""
    return Donation.objects.filter(donor_id=user.pk).select_related("ong")


def donation_get_of(user: User, pk: int) -> Donation:
    try:
        return donation_list_of(user).get(pk=pk)
    except Donation.DoesNotExist as exc:
        raise NotFound() from exc


def donation_list_for_ong(ong: Ong) -> QuerySet[Donation]:
    """Every donation to an NGO with its donor; callers check the reader manages the NGO."""
    return Donation.objects.filter(ong=ong).select_related("ong", "donor")
