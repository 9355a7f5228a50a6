"""Every change to accounts and sessions. Views call these; nothing else writes users."""

from typing import Any

from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import status
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.authentication import SESSION_VERSION_CLAIM
from accounts.models import User
from accounts.tokens import TokenPair, token_pair_for
from core.exceptions import DomainError, FieldError
from core.services import model_update

PROFILE_FIELDS = ("name", "birth_date", "position", "phone", "language")


class InvalidCredentials(DomainError):
    status_code = status.HTTP_401_UNAUTHORIZED
    default_code = "invalid_credentials"
    default_message = _("Invalid e-mail or password.")


class AccountDisabled(DomainError):
    status_code = status.HTTP_401_UNAUTHORIZED
    default_code = "account_disabled"
    default_message = _("This account has been disabled. Contact support.")


class AccountLocked(DomainError):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "account_locked"
    default_message = _("Too many failed logins. The account is locked for a while; try later.")


class InvalidToken(DomainError):
    status_code = status.HTTP_401_UNAUTHORIZED
    default_code = "token_not_valid"
    default_message = _("Token is invalid or expired")


def _check_password_strength(password: str, user: User) -> None:
    try:
        validate_password(password, user=user)
    except DjangoValidationError as exc:
        raise FieldError("password", " ".join(exc.messages), code="password_too_weak") from exc


@transaction.atomic
def user_register(*, email: str, password: str, name: str, **profile: Any) -> User:
    """Create an account. The e-mail is unique whatever its case; the password must pass
    the configured validators. Roles and flags cannot be set here."""
    email = User.objects.normalize_email(email)
    fields = {key: value for key, value in profile.items() if key in PROFILE_FIELDS}
    user = User(email=email, name=name, **fields)
    _check_password_strength(password, user)
    if User.objects.filter(email=email).exists():
        raise FieldError("email", _("A user with this e-mail already exists."), code="unique")
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:  # two registrations with one e-mail at the same moment
        raise FieldError(
            "email", _("A user with this e-mail already exists."), code="unique"
        ) from exc
    return user


def session_login(*, request: HttpRequest, email: str, password: str) -> tuple[User, TokenPair]:
    """Check the credentials and open a session.

    An unknown e-mail and a wrong password get the same answer. Repeated failures lock the
    account (django-axes). Logging in reactivates an account its owner deactivated.
    """
    user = authenticate(request, email=email, password=password)
    if getattr(request, "axes_locked_out", False):
        raise AccountLocked()
    if user is None:
        raise InvalidCredentials()
    if not user.is_active:
        if not user.deactivated_by_owner:
            raise AccountDisabled()
        User.objects.filter(pk=user.pk).update(
            is_active=True, deactivated_by_owner=False, updated_at=timezone.now()
        )
        user.refresh_from_db()
    User.objects.filter(pk=user.pk).update(last_login=timezone.now())
    return user, token_pair_for(user)


@transaction.atomic
def session_refresh(*, refresh: str) -> TokenPair:
    """Swap a refresh token for a new pair. The old token is revoked; of two refreshes of
    one token at once, only one succeeds (the blacklist row is unique)."""
    try:
        token = RefreshToken(refresh)
    except TokenError as exc:
        raise InvalidToken() from exc
    user = User.objects.filter(
        pk=token.get("user_id"),
        is_active=True,
        session_version=token.get(SESSION_VERSION_CLAIM, -1),
    ).first()
    if user is None:
        raise InvalidToken()
    _, revoked_now = token.blacklist()
    if not revoked_now:
        raise InvalidToken()
    return token_pair_for(user)


@transaction.atomic
def session_logout(*, user: User, refresh: str) -> None:
    """Revoke one refresh token of the user (a token of someone else is refused)."""
    try:
        token = RefreshToken(refresh)
    except TokenError as exc:
        raise InvalidToken() from exc
    if str(token.get("user_id")) != str(user.pk):
        raise InvalidToken()
    token.blacklist()


@transaction.atomic
def sessions_revoke_all(*, user: User) -> None:
    """End every session of the user: all refresh tokens and every access token issued
    before this call stop working at once."""
    User.objects.filter(pk=user.pk).update(
        session_version=F("session_version") + 1, updated_at=timezone.now()
    )
    user.refresh_from_db(fields=["session_version"])
    live = OutstandingToken.objects.filter(user=user, blacklistedtoken__isnull=True)
    BlacklistedToken.objects.bulk_create(
        [BlacklistedToken(token=token) for token in live], ignore_conflicts=True
    )


@transaction.atomic
def user_update(*, user: User, data: dict[str, Any]) -> User:
    """Change profile fields (and the e-mail, kept unique). Flags and roles are not here."""
    data = dict(data)
    if "email" in data:
        data["email"] = User.objects.normalize_email(data["email"])
        if User.objects.filter(email=data["email"]).exclude(pk=user.pk).exists():
            raise FieldError("email", _("A user with this e-mail already exists."), code="unique")
    user, _changed = model_update(instance=user, data=data, fields=("email", *PROFILE_FIELDS))
    return user


@transaction.atomic
def user_deactivate(*, user: User) -> None:
    """The owner closes their account; every session ends. Logging in reopens it."""
    user.is_active = False
    user.deactivated_by_owner = True
    user.save(update_fields=["is_active", "deactivated_by_owner", "updated_at"])
    sessions_revoke_all(user=user)


@transaction.atomic
def user_disable(*, user: User) -> None:
    """Someone else (platform staff, or an admin of the only company the person belongs
    to) turns the account off; every session ends. Logging in does not reopen it: the
    login says the account is disabled. Callers check who may do it."""
    User.objects.filter(pk=user.pk).update(
        is_active=False, deactivated_by_owner=False, updated_at=timezone.now()
    )
    user.refresh_from_db(fields=["is_active", "deactivated_by_owner", "updated_at"])
    sessions_revoke_all(user=user)


@transaction.atomic
def user_set_photo(*, user: User, photo: UploadedFile | None) -> User:
    """Replace the person's photo (None removes it). The file it replaces is deleted once
    the change is committed, so a rollback never leaves the row pointing at nothing."""
    old = user.photo.name if user.photo else None
    user.photo = photo
    user.save(update_fields=["photo", "updated_at"])
    if old and old != user.photo.name:
        storage = user.photo.storage
        transaction.on_commit(lambda: storage.delete(old))
    return user


@transaction.atomic
def user_change_password(*, user: User, current_password: str, new_password: str) -> TokenPair:
    """Set a new password and end every other session; returns a fresh pair for the caller."""
    if not user.check_password(current_password):
        raise FieldError(
            "current_password", _("The current password is wrong."), code="wrong_password"
        )
    _check_password_strength(new_password, user)
    user.set_password(new_password)
    user.save(update_fields=["password", "updated_at"])
    sessions_revoke_all(user=user)
    return token_pair_for(user)
