from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path

from core.views import RedocView, SchemaView, SwaggerView, health
from desk.pages import RatingPageView
from homes.pages import InvitationPageView
from orders.email.webhooks import provider_inbound

urlpatterns = [
    path("api/v1/", include("config.api_urls")),
    path("api/schema/", SchemaView.as_view(), name="schema"),
    path("api/docs/", SwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/redoc/", RedocView.as_view(url_name="schema"), name="redoc"),
    path("admin/", admin.site.urls),
    # Providers' inbound webhooks, answering only for INBOUND_EMAIL_PROVIDERS: docs/email.md.
    path("anymail/<slug:provider>/inbound/", provider_inbound, name="provider-inbound"),
    path("anymail/mailgun/inbound_mime/", provider_inbound, {"provider": "mailgun"}),
    path("anymail/mandrill/", provider_inbound, {"provider": "mandrill"}),
    path("health/", health, name="health"),
    # The page a home invitation e-mail links to (core.links, homes.pages).
    path("invitations/<str:token>/", InvitationPageView.as_view(), name="invitation-page"),
    # The page a satisfaction e-mail links to (desk.services.satisfaction_link, desk.pages).
    path("rate/<str:token>/", RatingPageView.as_view(), name="rating-page"),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

handler400 = "core.views.bad_request"
handler403 = "core.views.permission_denied"
handler404 = "core.views.not_found"
handler500 = "core.views.server_error"
