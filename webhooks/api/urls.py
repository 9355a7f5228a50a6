"""Routes of the webhooks app (see docs/orders.md)."""

from rest_framework.routers import SimpleRouter

from webhooks.api import views

router = SimpleRouter(trailing_slash=False)
router.register(
    r"companies/(?P<company_id>\d+)/webhooks",
    views.CompanyWebhookViewSet,
    basename="company-webhook",
)
router.register("webhooks", views.WebhookViewSet, basename="webhook")
router.register(
    r"webhooks/(?P<webhook_id>\d+)/deliveries",
    views.WebhookDeliveryViewSet,
    basename="webhook-delivery",
)

urlpatterns = router.urls
