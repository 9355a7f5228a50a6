from django.contrib.postgres.fields import ArrayField
from django.db import connection
from django.db.models import Func, IntegerField, OuterRef, Subquery
from django.utils.translation import gettext_lazy as _
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed
from rest_framework_simplejwt.settings import api_settings

from accounts.models import User
from companies.models import Membership

SESSION_VERSION_CLAIM = "sv"


class SessionAwareJWTAuthentication(JWTAuthentication):
    """JWT authentication that honours logout-all and password changes.

    Every token carries the user's `session_version`; bumping it revokes every token issued
    before. The check is part of the one query that loads the user, so it costs nothing.

    On PostgreSQL the same query also reads the ids of the companies where the user is an
    admin or agent (`user.staff_company_ids`, read fresh on every request like the rest of
    the row), so list scopes compare `company_id` with literal ids, which the planner can
    match with ordered index scans, instead of a subquery.
    """

    def get_user(self, validated_token):
        try:
            user_id = validated_token[api_settings.USER_ID_CLAIM]
        except KeyError as exc:
            raise AuthenticationFailed(
                _("Token contained no recognizable user identification")
            ) from exc
        users = User.objects.filter(
            pk=user_id,
            is_active=True,
            session_version=validated_token.get(SESSION_VERSION_CLAIM, -1),
        )
        if connection.vendor == "postgresql":
            users = users.annotate(staff_company_ids=_staff_company_ids())
        user = users.first()
        if user is None:
            raise AuthenticationFailed(_("Token is invalid or expired"), code="token_not_valid")
        return user


def _staff_company_ids() -> Func:
    """`ARRAY(SELECT company_id FROM memberships WHERE user = … AND role IN (admin, agent))`."""
    # The roles of companies.selectors.STAFF_ROLES (not imported: that module needs DRF's
    # settings, which import this module).
    roles = (Membership.Role.ADMIN, Membership.Role.AGENT)
    memberships = Membership.objects.filter(user=OuterRef("pk"), role__in=roles)
    return Func(
        Subquery(memberships.order_by("company_id").values("company_id")),
        function="ARRAY",
        output_field=ArrayField(IntegerField()),
    )
