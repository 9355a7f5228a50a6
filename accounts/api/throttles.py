import hashlib

from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle


class _ConfiguredRateThrottle(SimpleRateThrottle):
    def get_rate(self):
        # Read the rate at request time so a settings change (or a test override) applies.
        return api_settings.DEFAULT_THROTTLE_RATES[self.scope]


class IPRateThrottle(_ConfiguredRateThrottle):
    """Per client IP. X-Forwarded-For counts only behind NUM_PROXIES trusted proxies."""

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class EmailRateThrottle(_ConfiguredRateThrottle):
    """Per e-mail address in the body, whatever IP it comes from (stops spraying one account
    from many addresses)."""

    # Where the address is in the body: ("email",), or ("admin", "email") for a nested one.
    email_path: tuple[str, ...] = ("email",)

    def get_cache_key(self, request, view):
        email = request.data
        for key in self.email_path:
            email = email.get(key) if isinstance(email, dict) else None
        if not isinstance(email, str) or not email.strip():
            return None
        ident = hashlib.sha256(email.strip().lower().encode()).hexdigest()
        return self.cache_format % {"scope": self.scope, "ident": ident}


class LoginIPThrottle(IPRateThrottle):
    scope = "login"


class LoginEmailThrottle(EmailRateThrottle):
    scope = "login_email"


class RegisterIPThrottle(IPRateThrottle):
    scope = "register"


class RegisterEmailThrottle(EmailRateThrottle):
    scope = "register_email"


class _AnonymousOnly:
    """Counts only requests without a logged-in user (the ones that create an account)."""

    def get_cache_key(self, request, view):
        if request.user and request.user.is_authenticated:
            return None
        return super().get_cache_key(request, view)


class CompanySignUpIPThrottle(_AnonymousOnly, RegisterIPThrottle):
    """An anonymous company registration creates its first admin's account, so it shares
    `auth/register`'s counters: per IP ..."""


class CompanySignUpEmailThrottle(_AnonymousOnly, RegisterEmailThrottle):
    """... and per e-mail of the new account (`admin.email`)."""

    email_path = ("admin", "email")
