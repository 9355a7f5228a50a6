from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme


class SessionAwareJWTScheme(SimpleJWTScheme):
    """Shows our JWT authentication in the schema as the standard Bearer scheme."""

    target_class = "accounts.authentication.SessionAwareJWTAuthentication"
    name = "jwtAuth"
