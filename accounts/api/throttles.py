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

    def get_cache_key(self, request, view):
        data = request.data if isinstance(request.data, dict) else {}
        email = data.get("email")
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
