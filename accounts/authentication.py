from django.utils.translation import gettext_lazy as _
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed
from rest_framework_simplejwt.settings import api_settings

from accounts.models import User

SESSION_VERSION_CLAIM = "sv"


class SessionAwareJWTAuthentication(JWTAuthentication):
    """JWT authentication that honours logout-all and password changes.

    Every token carries the user's `session_version`; bumping it revokes every token issued
    before. The check is part of the one query that loads the user, so it costs nothing.
    """

    def get_user(self, validated_token):
        try:
            user_id = validated_token[api_settings.USER_ID_CLAIM]
        except KeyError as exc:
            raise AuthenticationFailed(
                _("Token contained no recognizable user identification")
            ) from exc
        user = User.objects.filter(
            pk=user_id,
            is_active=True,
            session_version=validated_token.get(SESSION_VERSION_CLAIM, -1),
        ).first()
        if user is None:
            raise AuthenticationFailed(_("Token is invalid or expired"), code="token_not_valid")
        return user
