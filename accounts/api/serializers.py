from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from accounts.models import User


class UserSerializer(serializers.ModelSerializer):
    """How a user is shown. Nothing secret (no password hash, no session version)."""

    class Meta:
        model = User
        fields = [
            "id",
            "email",
            "name",
            "birth_date",
            "position",
            "phone",
            "language",
            "is_active",
            "is_staff",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class RegisterSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(
        write_only=True, max_length=128, style={"input_type": "password"}
    )
    name = serializers.CharField(max_length=150)
    birth_date = serializers.DateField(
        required=False, allow_null=True, help_text=_("YYYY-MM-DD or dd/mm/yyyy")
    )
    position = serializers.CharField(max_length=100, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=30, required=False, allow_blank=True)
    language = serializers.ChoiceField(choices=User.Language.choices, required=False)


class UserUpdateSerializer(serializers.Serializer):
    """The fields a person may change about themselves. Flags and roles are not among them;
    unknown fields are ignored."""

    email = serializers.EmailField(max_length=254, required=False)
    name = serializers.CharField(max_length=150, required=False)
    birth_date = serializers.DateField(required=False, allow_null=True)
    position = serializers.CharField(max_length=100, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=30, required=False, allow_blank=True)
    language = serializers.ChoiceField(choices=User.Language.choices, required=False)


class LoginSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(max_length=128, style={"input_type": "password"})


class TokenPairSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()


class SessionSerializer(TokenPairSerializer):
    user = UserSerializer()


class RefreshSerializer(serializers.Serializer):
    refresh = serializers.CharField()


class PasswordChangeSerializer(serializers.Serializer):
    current_password = serializers.CharField(max_length=128, style={"input_type": "password"})
    new_password = serializers.CharField(max_length=128, style={"input_type": "password"})
