from decimal import Decimal

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from companies.cnpj import CNPJField, cnpj_format
from core.fields import MoneyField
from core.rows import current_zone, iso
from core.serializers import InputSerializer
from ongs.models import Ong, Withdrawal


class PersonSerializer(serializers.Serializer):
    """A person as other people see them in an NGO's lists: no flags, no profile."""

    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    email = serializers.EmailField(read_only=True)


class OngOwnerSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    email = serializers.EmailField(
        read_only=True,
        allow_null=True,
        help_text=_("Only for the NGO's owner, its admins and staff; null for everyone else."),
    )


def owner_email_for(viewer_manages: bool, email: str) -> str | None:
    """The owner's personal e-mail is for the NGO's managers; the public reads the NGO's."""
    return email if viewer_manages else None


class OngSerializer(serializers.ModelSerializer):
    """An NGO as `ongs.selectors` gives it: `viewer_manages` says whether the reader sees the
    owner's e-mail (an instance without it shows none)."""

    cnpj = CNPJField(read_only=True)
    owner = serializers.SerializerMethodField()

    class Meta:
        model = Ong
        fields = [
            "id",
            "name",
            "description",
            "cause",
            "email",
            "phone",
            "address",
            "cnpj",
            "owner",
            "is_active",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(OngOwnerSerializer)
    def get_owner(self, ong) -> dict:
        owner = ong.owner
        return {
            "id": owner.pk,
            "name": owner.name,
            "email": owner_email_for(getattr(ong, "viewer_manages", False), owner.email),
        }


class OngListSerializer(OngSerializer):
    """One row of the NGO list, built from `values_list(*COLUMNS)`: the same output as
    OngSerializer (a test compares them), without an instance and a field per cell."""

    COLUMNS = (
        "id",
        "name",
        "description",
        "cause",
        "email",
        "phone",
        "address",
        "cnpj",
        "owner_id",
        "owner__name",
        "owner__email",
        "viewer_manages",
        "is_active",
        "created_at",
        "updated_at",
    )

    class Meta(OngSerializer.Meta):
        pass

    @staticmethod
    def rows(values) -> list[dict]:
        zone = current_zone()
        return [
            {
                "id": pk,
                "name": name,
                "description": description,
                "cause": cause,
                "email": email,
                "phone": phone,
                "address": address,
                "cnpj": cnpj_format(cnpj) if cnpj else cnpj,
                "owner": {
                    "id": owner_id,
                    "name": owner_name,
                    "email": owner_email_for(viewer_manages, owner_email),
                },
                "is_active": is_active,
                "created_at": iso(created_at, zone),
                "updated_at": iso(updated_at, zone),
            }
            for (
                pk,
                name,
                description,
                cause,
                email,
                phone,
                address,
                cnpj,
                owner_id,
                owner_name,
                owner_email,
                viewer_manages,
                is_active,
                created_at,
                updated_at,
            ) in values
        ]


class OngWriteSerializer(InputSerializer):
    """What a person may set on an NGO. Owner, status and balance are not here."""

    elsewhere = {
        "is_active": _("deactivate the NGO with DELETE /api/v1/ongs/{id}"),
        "balance": _(
            "read it with GET /api/v1/ongs/{id}/balance; donations and withdrawals change it"
        ),
    }

    name = serializers.CharField(max_length=150)
    description = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    cause = serializers.ChoiceField(choices=Ong.Cause.choices)
    email = serializers.EmailField(max_length=254)
    phone = serializers.CharField(required=False, allow_blank=True, max_length=30)
    address = serializers.CharField(required=False, allow_blank=True, max_length=300)
    cnpj = CNPJField(required=False, allow_blank=True)
    admin_emails = serializers.ListField(
        child=serializers.EmailField(max_length=254),
        required=False,
        max_length=20,
        help_text=_("E-mails of the accounts that manage the NGO with its owner (owner only)."),
    )


class BalanceSerializer(serializers.Serializer):
    donated = serializers.DecimalField(max_digits=14, decimal_places=2)
    withdrawn = serializers.DecimalField(max_digits=14, decimal_places=2)
    available = serializers.DecimalField(max_digits=14, decimal_places=2)


class WithdrawalSerializer(serializers.ModelSerializer):
    requested_by = PersonSerializer(read_only=True)

    class Meta:
        model = Withdrawal
        fields = ["id", "ong", "amount", "description", "requested_by", "created_at"]
        read_only_fields = fields


class WithdrawalCreateSerializer(InputSerializer):
    amount = MoneyField(
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0.01"),
        max_value=Decimal(settings.WITHDRAWAL_MAX_AMOUNT),
    )
    description = serializers.CharField(required=False, allow_blank=True, max_length=200)
