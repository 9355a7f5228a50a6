from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from accounts.models import User
from core.fields import PhotoField
from core.serializers import InputSerializer

# Where each field a person may not set in their profile is changed instead.
PROFILE_ELSEWHERE = {
    "password": _("change it with POST /api/v1/users/me/password."),
    "photo": _("upload it with PUT /api/v1/users/me/photo (multipart) or remove it with DELETE."),
    "is_active": _(
        "close the account with DELETE /api/v1/users/me (staff: DELETE /api/v1/users/{id})."
    ),
    "role": _("a company admin changes it with PATCH /api/v1/companies/{id}/members/{user_id}."),
}


class UserSerializer(serializers.ModelSerializer):
    """How a user is shown. Nothing secret (no password hash, no session version). The
    photo is an absolute URL when the request is in the context, else null when unset."""

    class Meta:
        model = User
        fields = [
            "id",
            "email",
            "name",
            "birth_date",
            "position",
            "phone",
            "photo",
            "language",
            "is_active",
            "is_staff",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class RegisterSerializer(InputSerializer):
    elsewhere = {
        "photo": _("upload it once signed in, with PUT /api/v1/users/me/photo (multipart)."),
    }

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


class UserUpdateSerializer(InputSerializer):
    """The fields a person may change about themselves. Flags and roles are not among them;
    any other field is a 400 that names it (and where it is changed, if anywhere)."""

    elsewhere = PROFILE_ELSEWHERE

    email = serializers.EmailField(max_length=254, required=False)
    name = serializers.CharField(max_length=150, required=False)
    birth_date = serializers.DateField(
        required=False, allow_null=True, help_text=_("YYYY-MM-DD or dd/mm/yyyy")
    )
    position = serializers.CharField(max_length=100, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=30, required=False, allow_blank=True)
    language = serializers.ChoiceField(choices=User.Language.choices, required=False)


class UserPhotoSerializer(InputSerializer):
    """A person's photo, uploaded as multipart/form-data."""

    photo = PhotoField()


class LoginSerializer(InputSerializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(max_length=128, style={"input_type": "password"})


class TokenPairSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()


class SessionSerializer(TokenPairSerializer):
    user = UserSerializer()


class RefreshSerializer(InputSerializer):
    refresh = serializers.CharField()


class PasswordChangeSerializer(InputSerializer):
    current_password = serializers.CharField(max_length=128, style={"input_type": "password"})
    new_password = serializers.CharField(max_length=128, style={"input_type": "password"})
