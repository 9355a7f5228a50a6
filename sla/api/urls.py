"""Routes of the sla app (see docs/orders.md)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from sla.api import views

router = SimpleRouter(trailing_slash=False)
router.register(
    r"companies/(?P<company_id>\d+)/holidays",
    views.CompanyHolidayViewSet,
    basename="company-holiday",
)
router.register("holidays", views.HolidayViewSet, basename="holiday")
router.register(
    r"companies/(?P<company_id>\d+)/sla-targets",
    views.CompanySlaTargetViewSet,
    basename="company-sla-target",
)
router.register("sla-targets", views.SlaTargetViewSet, basename="sla-target")

urlpatterns = [
    path(
        "companies/<int:company_id>/business-hours",
        views.BusinessHoursView.as_view(),
        name="company-business-hours",
    ),
    *router.urls,
]
