"""Routes of the equipment app (see docs/orders.md)."""

from rest_framework.routers import SimpleRouter

from equipment.api import views

router = SimpleRouter(trailing_slash=False)
router.register("equipment", views.EquipmentViewSet, basename="equipment")

urlpatterns = router.urls
