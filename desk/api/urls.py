"""Routes of the desk app (see docs/orders.md)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from desk.api import views

router = SimpleRouter(trailing_slash=False)
router.register("canned-replies", views.CannedReplyViewSet, basename="canned-reply")
router.register(
    r"orders/(?P<order_id>[0-9]+)/watchers", views.OrderWatcherViewSet, basename="order-watcher"
)

urlpatterns = [
    path("orders/<int:order_id>/rating", views.OrderRatingView.as_view(), name="order-rating"),
    *router.urls,
]
