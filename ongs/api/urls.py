from django.urls import path
from rest_framework.routers import SimpleRouter

from ongs.api import views

router = SimpleRouter(trailing_slash=False)
router.register("ongs", views.OngViewSet, basename="ong")

urlpatterns = [
    *router.urls,
    path(
        "ongs/<int:ong_pk>/withdrawals",
        views.WithdrawalViewSet.as_view({"get": "list", "post": "create"}),
        name="ong-withdrawals",
    ),
]
