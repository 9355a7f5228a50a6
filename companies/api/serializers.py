from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from accounts.models import User
from companies.models import Company, Membership, Team
from core.cnpj import CNPJField
from core.fields import IdListField, StrictBooleanField


class UserSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "name", "email"]
        read_only_fields = fields


class CompanySerializer(serializers.ModelSerializer):
    cnpj = CNPJField(read_only=True)

    class Meta:
        model = Company
        fields = [
            "id",
            "cnpj",
            "legal_name",
            "trading_name",
            "support_email",
            "phone",
            "address",
            "is_active",
            "accepts_new_requesters_by_email",
            "closed_order_reply",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class FirstAdminSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(max_length=128, write_only=True)
    name = serializers.CharField(max_length=150)


class CompanyRegisterSerializer(serializers.Serializer):
    cnpj = CNPJField(help_text=_("Numeric or alphanumeric, with or without punctuation."))
    legal_name = serializers.CharField(max_length=200)
    trading_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    support_email = serializers.EmailField(required=False, allow_null=True)
    phone = serializers.CharField(max_length=30, required=False, allow_blank=True)
    address = serializers.CharField(max_length=300, required=False, allow_blank=True)
    admin = FirstAdminSerializer(
        required=False,
        help_text=_(
            "The first admin's new account. Leave out when logged in: you become the admin."
        ),
    )


class CompanyUpdateSerializer(serializers.Serializer):
    legal_name = serializers.CharField(max_length=200, required=False)
    trading_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    support_email = serializers.EmailField(required=False, allow_null=True)
    phone = serializers.CharField(max_length=30, required=False, allow_blank=True)
    address = serializers.CharField(max_length=300, required=False, allow_blank=True)
    accepts_new_requesters_by_email = StrictBooleanField(required=False)
    closed_order_reply = serializers.ChoiceField(
        choices=Company.ClosedOrderReply.choices, required=False
    )


class CompanyMemberSerializer(serializers.ModelSerializer):
    user = UserSummarySerializer(read_only=True)

    class Meta:
        model = Membership
        fields = ["user", "role", "created_at"]
        read_only_fields = fields


class MemberAddSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    role = serializers.ChoiceField(choices=Membership.Role.choices)
    name = serializers.CharField(
        max_length=150, required=False, help_text=_("Only to create a new account.")
    )
    password = serializers.CharField(
        max_length=128,
        required=False,
        write_only=True,
        help_text=_("Only to create a new account."),
    )


class MemberRoleSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=Membership.Role.choices)


class TeamSerializer(serializers.ModelSerializer):
    lead = UserSummarySerializer(read_only=True, allow_null=True)
    agents = UserSummarySerializer(many=True, read_only=True)

    class Meta:
        model = Team
        fields = ["id", "company", "name", "lead", "agents", "created_at", "updated_at"]
        read_only_fields = fields


class TeamWriteSerializer(serializers.Serializer):
    """Lead and agents are user ids; they must be agents or admins of the team's company."""

    name = serializers.CharField(max_length=100)
    lead = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.none(), required=False, allow_null=True
    )
    agents = IdListField(
        child_relation=serializers.PrimaryKeyRelatedField(queryset=User.objects.none()),
        required=False,
    )

    def __init__(self, *args, company: Company | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        # Only the company's own people can be picked: any other id is "does not exist".
        members = (
            User.objects.filter(memberships__company=company) if company else User.objects.none()
        )
        self.fields["lead"].queryset = members
        self.fields["agents"].child_relation.queryset = members
