from django.urls import path
from rest_framework.routers import SimpleRouter

from payments.api import views

router = SimpleRouter(trailing_slash=False)
router.register("payment-methods", views.PaymentMethodViewSet, basename="payment-method")
router.register("donations", views.DonationViewSet, basename="donation")

urlpatterns = [
    *router.urls,
    path(
        "ongs/<int:ong_pk>/donations",
        views.OngDonationViewSet.as_view({"get": "list", "post": "create"}),
        name="ong-donations",
    ),
]
