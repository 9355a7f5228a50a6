from django.urls import path
from rest_framework.routers import SimpleRouter

from orders.api import views

router = SimpleRouter(trailing_slash=False)
router.register("orders", views.OrderViewSet, basename="order")

urlpatterns = [
    path("users/<int:user_id>/orders", views.UserOrderListView.as_view(), name="user-orders"),
    *router.urls,
]
