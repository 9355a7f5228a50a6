from dataclasses import dataclass

from rest_framework_simplejwt.tokens import RefreshToken

from accounts.authentication import SESSION_VERSION_CLAIM
from accounts.models import User


@dataclass(frozen=True)
class TokenPair:
    access: str
    refresh: str


def token_pair_for(user: User) -> TokenPair:
    """A new session for the user: a refresh token (recorded, so it can be revoked) and its
    access token, both stamped with the user's current session version."""
    refresh = RefreshToken.for_user(user)
    refresh[SESSION_VERSION_CLAIM] = user.session_version
    return TokenPair(access=str(refresh.access_token), refresh=str(refresh))
