from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from accounts.models import User
from companies.cnpj import CNPJField
from companies.models import Company, Membership, Team
from core.fields import IdListField, StrictBooleanField, TimeZoneField
from core.serializers import InputSerializer


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
            "time_zone",
            "is_active",
            "accepts_new_requesters_by_email",
            "closed_order_reply",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class FirstAdminSerializer(InputSerializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(max_length=128, write_only=True)
    name = serializers.CharField(max_length=150)


class CompanyRegisterSerializer(InputSerializer):
    elsewhere = {
        "is_active": _("a new company starts inactive until platform staff activate it."),
        "active": _("a new company starts inactive until platform staff activate it."),
    }

    cnpj = CNPJField(help_text=_("Numeric or alphanumeric, with or without punctuation."))
    legal_name = serializers.CharField(max_length=200)
    trading_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    support_email = serializers.EmailField(required=False, allow_null=True)
    phone = serializers.CharField(max_length=30, required=False, allow_blank=True)
    address = serializers.CharField(max_length=300, required=False, allow_blank=True)
    time_zone = TimeZoneField(required=False, default="America/Sao_Paulo")
    admin = FirstAdminSerializer(
        required=False,
        help_text=_(
            "The first admin's new account. Leave out when logged in: you become the admin."
        ),
    )


_COMPANY_STATUS_ELSEWHERE = _(
    "its admins deactivate it with DELETE /api/v1/companies/{id}; platform staff "
    "with POST /api/v1/companies/{id}/activate and /deactivate."
)


class CompanyUpdateSerializer(InputSerializer):
    elsewhere = {
        "is_active": _COMPANY_STATUS_ELSEWHERE,
        "active": _COMPANY_STATUS_ELSEWHERE,
        "cnpj": _("the CNPJ is fixed when the company is registered."),
    }

    legal_name = serializers.CharField(max_length=200, required=False)
    trading_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    support_email = serializers.EmailField(required=False, allow_null=True)
    phone = serializers.CharField(max_length=30, required=False, allow_blank=True)
    address = serializers.CharField(max_length=300, required=False, allow_blank=True)
    time_zone = TimeZoneField(required=False)
    accepts_new_requesters_by_email = StrictBooleanField(required=False)
    closed_order_reply = serializers.ChoiceField(
        choices=Company.ClosedOrderReply.choices, required=False
    )


class MemberUserSerializer(serializers.ModelSerializer):
    """A member's person as the company sees them: contact, position, birth date, photo
    (absolute URL or null) and whether the account is active."""

    class Meta:
        model = User
        fields = ["id", "name", "email", "position", "phone", "birth_date", "photo", "is_active"]
        read_only_fields = fields


class CompanyMemberSerializer(serializers.ModelSerializer):
    user = MemberUserSerializer(read_only=True)

    class Meta:
        model = Membership
        fields = ["user", "role", "created_at"]
        read_only_fields = fields


_PROFILE_HELP = _(
    "Changes an existing account only if it belongs to no other company and is not staff."
)


class MemberProfileFields(InputSerializer):
    """The profile fields a company admin sets for its people (the User's own fields)."""

    elsewhere = {
        "is_active": _(
            "deactivate the account with POST /api/v1/companies/{id}/members/{user_id}/deactivate."
        ),
        "password": _("only the person changes it, with POST /api/v1/users/me/password."),
        "photo": _("only the person sets it, with PUT /api/v1/users/me/photo."),
        "language": _("only the person changes it, with PATCH /api/v1/users/me."),
    }

    name = serializers.CharField(max_length=150, required=False, help_text=_PROFILE_HELP)
    position = serializers.CharField(
        max_length=100, required=False, allow_blank=True, help_text=_PROFILE_HELP
    )
    phone = serializers.CharField(
        max_length=30, required=False, allow_blank=True, help_text=_PROFILE_HELP
    )
    birth_date = serializers.DateField(
        required=False,
        allow_null=True,
        help_text=format_lazy("{} {}", _("YYYY-MM-DD or dd/mm/yyyy."), _PROFILE_HELP),
    )


class MemberAddSerializer(MemberProfileFields):
    """Add a person by e-mail: an existing account, or a new one (then `name` and
    `password` are required)."""

    email = serializers.EmailField(max_length=254)
    role = serializers.ChoiceField(choices=Membership.Role.choices)
    password = serializers.CharField(
        max_length=128,
        required=False,
        write_only=True,
        help_text=_("Only to create a new account."),
    )


class CompanyMemberUpdateSerializer(MemberProfileFields):
    """A member's role, and the profile of an account the company alone manages."""

    elsewhere = {
        **MemberProfileFields.elsewhere,
        "email": _("only the person changes it, with PATCH /api/v1/users/me."),
    }

    role = serializers.ChoiceField(choices=Membership.Role.choices, required=False)


class TeamSerializer(serializers.ModelSerializer):
    lead = UserSummarySerializer(read_only=True, allow_null=True)
    agents = UserSummarySerializer(many=True, read_only=True)

    class Meta:
        model = Team
        fields = ["id", "company", "name", "lead", "agents", "created_at", "updated_at"]
        read_only_fields = fields


class TeamWriteSerializer(InputSerializer):
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
