from collections.abc import Iterable

from rest_framework import permissions

from core.permissions import RolePermission
from ongs.models import OngRole
from ongs.selectors import ong_roles_of

MANAGERS = frozenset({OngRole.OWNER, OngRole.ADMIN})


class OngRolePermission(RolePermission):
    """Roles on an NGO (`owner`, `admin`), read from the database. Works for an NGO or for
    anything with an `ong` attribute (an event), so every app declares roles the same way."""

    def roles_on(self, request, obj) -> Iterable[str]:
        ong = getattr(obj, "ong", obj)
        return ong_roles_of(request.user, ong)


# Public reads (anonymous included); every write needs a logged-in user. DRF's own class, so
# the OpenAPI schema shows the reads as open to anonymous callers too.
ReadOnlyOrAuthenticated = permissions.IsAuthenticatedOrReadOnly


class ManagedOngMixin:
    """For lists nested under `ongs/{ong_pk}/...` that only the NGO's managers read.

    The NGO is looked up among those the user can see (else 404), then its roles are
    checked against the view's `required_roles` (else 404: these lists are private data,
    see `private_actions`), before any row is listed.
    """

    ong_lookup_kwarg = "ong_pk"

    def get_ong(self):
        from ongs.selectors import ong_get_visible_to

        if not hasattr(self, "_ong"):
            ong = ong_get_visible_to(self.request.user, self.kwargs[self.ong_lookup_kwarg])
            self.check_object_permissions(self.request, ong)
            self._ong = ong
        return self._ong
