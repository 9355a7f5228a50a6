"""Routes of the fieldservice app (see docs/orders.md)."""

from rest_framework.routers import SimpleRouter

from fieldservice.api import views

router = SimpleRouter(trailing_slash=False)
router.register(r"orders/(?P<order_id>\d+)/visits", views.OrderVisitViewSet, basename="order-visit")
router.register(
    r"orders/(?P<order_id>\d+)/time-entries",
    views.OrderTimeEntryViewSet,
    basename="order-time-entry",
)
router.register("visits", views.VisitViewSet, basename="visit")
router.register("time-entries", views.TimeEntryViewSet, basename="time-entry")

urlpatterns = router.urls
