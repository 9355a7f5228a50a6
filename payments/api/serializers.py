from decimal import Decimal

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from core.fields import MoneyField
from core.serializers import InputSerializer
from ongs.api.serializers import PersonSerializer
from payments.models import Donation, PaymentMethod


class PaymentMethodSerializer(serializers.ModelSerializer):
    """A saved card as its owner sees it: never the number, CVC, token or fingerprint."""

    class Meta:
        model = PaymentMethod
        fields = [
            "id",
            "brand",
            "last4",
            "exp_month",
            "exp_year",
            "holder_name",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


def _year_bounds() -> tuple[int, int]:
    year = timezone.now().year
    return year - 1, year + 25


class PaymentMethodCreateSerializer(InputSerializer):
    """The card as typed, sent once. Number and CVC are write-only and never stored."""

    number = serializers.CharField(
        write_only=True, max_length=23, help_text=_("Card number; spaces and dashes allowed.")
    )
    exp_month = serializers.IntegerField(min_value=1, max_value=12)
    exp_year = serializers.IntegerField(min_value=2000, max_value=2100)
    cvc = serializers.RegexField(
        r"^\d{3,4}$",
        write_only=True,
        max_length=4,
        error_messages={"invalid": _("Enter the card's 3 or 4 digit security code.")},
    )
    holder_name = serializers.CharField(max_length=100)


class PaymentMethodUpdateSerializer(InputSerializer):
    """Only the holder name and expiry change; any other field is a 400 naming it."""

    elsewhere = {
        "number": _("add a new card with POST /api/v1/payment-methods"),
        "cvc": _("add a new card with POST /api/v1/payment-methods"),
    }

    exp_month = serializers.IntegerField(min_value=1, max_value=12, required=False)
    exp_year = serializers.IntegerField(min_value=2000, max_value=2100, required=False)
    holder_name = serializers.CharField(max_length=100, required=False)


class DonationOngSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)


class DonationSerializer(serializers.ModelSerializer):
    ong = DonationOngSerializer(read_only=True)

    class Meta:
        model = Donation
        fields = [
            "id",
            "ong",
            "amount",
            "currency",
            "status",
            "decline_code",
            "card_brand",
            "card_last4",
            "message",
            "created_at",
            "settled_at",
        ]
        read_only_fields = fields


class OngDonationSerializer(DonationSerializer):
    """A donation as the NGO's managers see it: with the donor."""

    donor = PersonSerializer(read_only=True)

    class Meta(DonationSerializer.Meta):
        fields = [*DonationSerializer.Meta.fields, "donor"]
        read_only_fields = fields


class DonationCreateSerializer(InputSerializer):
    amount = MoneyField(
        max_digits=12,
        decimal_places=2,
        min_value=Decimal(settings.DONATION_MIN_AMOUNT),
        max_value=Decimal(settings.DONATION_MAX_AMOUNT),
    )
    payment_method = serializers.IntegerField(help_text=_("Id of one of your payment methods."))
    message = serializers.CharField(required=False, allow_blank=True, max_length=300)


class DonationRefusedSerializer(serializers.Serializer):
    """402 (card declined) or 502 (processor error): the error and the recorded donation."""

    detail = serializers.CharField()
    code = serializers.CharField()
    donation = DonationSerializer()
