"""Everything under /api/v1/: each app contributes its own `api/urls.py`."""

from django.urls import include, path

from core.views import ping

urlpatterns = [
    path("ping", ping, name="ping"),
    path("", include("accounts.api.urls")),
    path("", include("companies.api.urls")),
    path("", include("equipment.api.urls")),
    path("", include("orders.api.urls")),
    path("", include("sla.api.urls")),
    path("", include("fieldservice.api.urls")),
    path("", include("desk.api.urls")),
    path("", include("webhooks.api.urls")),
    path("", include("ongs.api.urls")),
    path("", include("events.api.urls")),
    path("", include("payments.api.urls")),
    path("", include("homes.api.urls")),
]
