from django.urls import path
from rest_framework.routers import SimpleRouter

from homes.api import views

router = SimpleRouter(trailing_slash=False)
router.register("homes", views.HomeViewSet, basename="home")
router.register(r"homes/(?P<home_id>\d+)/members", views.HomeMemberViewSet, basename="home-member")
router.register(
    r"homes/(?P<home_id>\d+)/leaderboard", views.LeaderboardViewSet, basename="home-leaderboard"
)
router.register(r"homes/(?P<home_id>\d+)/rules", views.HomeRuleViewSet, basename="home-rule")
router.register(
    r"homes/(?P<home_id>\d+)/routines", views.HomeRoutineViewSet, basename="home-routine"
)
router.register(r"homes/(?P<home_id>\d+)/tasks", views.HomeTaskViewSet, basename="home-task")
router.register(r"homes/(?P<home_id>\d+)/bills", views.HomeBillViewSet, basename="home-bill")
router.register("rules", views.RuleViewSet, basename="rule")
router.register("routines", views.RoutineViewSet, basename="routine")
router.register("tasks", views.TaskViewSet, basename="task")
router.register("bills", views.BillViewSet, basename="bill")

urlpatterns = [
    path(
        "homes/invitations/<str:token>/accept",
        views.InvitationAcceptView.as_view(),
        name="home-invitation-accept",
    ),
    *router.urls,
]
