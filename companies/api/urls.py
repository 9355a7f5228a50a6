from django.urls import path
from rest_framework.routers import SimpleRouter

from companies.api import views

router = SimpleRouter(trailing_slash=False)
router.register("companies", views.CompanyViewSet, basename="company")
router.register(r"companies/(?P<company_id>\d+)/members", views.MemberViewSet, basename="member")
router.register(
    r"companies/(?P<company_id>\d+)/teams", views.CompanyTeamViewSet, basename="company-team"
)
router.register("teams", views.TeamViewSet, basename="team")

urlpatterns = [
    path(
        "users/<int:user_id>/companies", views.UserCompanyListView.as_view(), name="user-companies"
    ),
    *router.urls,
]
