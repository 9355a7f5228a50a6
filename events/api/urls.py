from django.urls import path
from rest_framework.routers import SimpleRouter

from events.api import views

router = SimpleRouter(trailing_slash=False)
router.register("events", views.EventViewSet, basename="event")

urlpatterns = [
    *router.urls,
    path(
        "events/<int:event_pk>/participants",
        views.EventParticipantViewSet.as_view({"get": "list"}),
        name="event-participants",
    ),
    path(
        "ongs/<int:ong_pk>/events",
        views.OngEventViewSet.as_view({"get": "list"}),
        name="ong-events",
    ),
    path(
        "ongs/<int:ong_pk>/participants",
        views.OngParticipantViewSet.as_view({"get": "list"}),
        name="ong-participants",
    ),
]
