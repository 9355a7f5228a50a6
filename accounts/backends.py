from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.http import HttpResponse
from django.utils.translation import gettext as _


class EmailBackend(ModelBackend):
    """Authenticates by e-mail, in any case."""

    def authenticate(self, request, email=None, password=None, **kwargs):
        user_model = get_user_model()
        email = email or kwargs.get("username") or kwargs.get(user_model.USERNAME_FIELD)
        if not email or password is None:
            return None
        user = user_model.objects.filter(email=user_model.objects.normalize_email(email)).first()
        if user is None:
            # Hash anyway so an unknown e-mail takes as long as a wrong password.
            user_model().set_password(password)
            return None
        # Inactive accounts are returned too: the login service reactivates an account its
        # owner closed and refuses one staff disabled, with a message that says which.
        return user if user.check_password(password) else None


def axes_username(request, credentials) -> str | None:
    """The account django-axes counts failures against: API logins send `email`, the admin
    form sends `username`."""
    credentials = credentials or {}
    value = credentials.get("email") or credentials.get("username")
    return value.strip().lower() if isinstance(value, str) else None


def axes_lockout_response(request, original_response, credentials):
    """What a locked-out login gets: the API's own JSON 429 (with Retry-After), or for the
    admin form a plain page that says the same."""
    retry_after = str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    if request.path.startswith("/api/") and original_response is not None:
        response = original_response
    else:
        response = HttpResponse(
            _("Too many failed logins. The account is locked for a while; try later."),
            status=429,
            content_type="text/plain; charset=utf-8",
        )
    response["Retry-After"] = retry_after
    return response
