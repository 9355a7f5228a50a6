from django.urls import path
from rest_framework.routers import SimpleRouter

from orders.api import inbound, views

router = SimpleRouter(trailing_slash=False)
router.register("orders", views.OrderViewSet, basename="order")

urlpatterns = [
    path("inbound/email", inbound.InboundEmailView.as_view(), name="inbound-email"),
    path("users/<int:user_id>/orders", views.UserOrderListView.as_view(), name="user-orders"),
    *router.urls,
]
