from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.filters import SearchFilter
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from accounts.models import User
from core.exceptions import FieldError, NotFound
from core.filters import FilterBackend, OrderingFilter
from core.rows import RowListMixin
from events import selectors, services
from events.api import serializers
from events.api.filters import EventFilter, ParticipantFilter, RegistrationFilter
from events.models import Event, Registration
from ongs.api.permissions import (
    MANAGERS,
    ManagedOngMixin,
    OngRolePermission,
    ReadOnlyOrAuthenticated,
)
from ongs.selectors import ong_get_visible_to, ong_is_managed_by

EVENT_ORDERING = ["starts_at", "ends_at", "title", "created_at", "id"]


@extend_schema(tags=["events"])
class EventViewSet(
    RowListMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Events: anyone reads the active ones; the NGO's owner and admins publish, edit and
    cancel them and see who registered; a logged-in person registers and unregisters."""

    serializer_class = serializers.EventSerializer
    list_rows_class = serializers.EventListSerializer
    filter_backends = [FilterBackend, SearchFilter, OrderingFilter]
    permission_classes = [ReadOnlyOrAuthenticated, OngRolePermission]
    required_roles = {"partial_update": MANAGERS, "destroy": MANAGERS}
    lookup_value_regex = r"\d+"
    filterset_class = EventFilter
    search_fields = ["title", "description", "address", "ong__name"]
    ordering_fields = EVENT_ORDERING
    ordering = ["starts_at", "id"]

    def get_queryset(self):
        return selectors.event_list_visible_to(self.request.user)

    def _reload(self, event: Event) -> Event:
        return selectors.event_list_visible_to(self.request.user).get(pk=event.pk)

    @extend_schema(
        request=serializers.EventWriteSerializer, responses={201: serializers.EventSerializer}
    )
    def create(self, request):
        payload = serializers.EventWriteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        try:
            ong = ong_get_visible_to(request.user, payload.validated_data["ong"])
        except NotFound as exc:
            raise FieldError("ong", _("Unknown NGO."), code="does_not_exist") from exc
        if not ong_is_managed_by(request.user, ong):
            raise PermissionDenied(_("Only the NGO's owner and admins publish its events."))
        event = services.event_create(ong=ong, data=payload.validated_data)
        return Response(
            serializers.EventSerializer(self._reload(event)).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(request=serializers.EventUpdateSerializer, responses=serializers.EventSerializer)
    def partial_update(self, request, pk=None):
        event = self.get_object()
        payload = serializers.EventUpdateSerializer(data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        event = services.event_update(event=event, data=payload.validated_data)
        return Response(serializers.EventSerializer(self._reload(event)).data)

    @extend_schema(request=None, responses={204: None})
    def destroy(self, request, pk=None):
        services.event_deactivate(event=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses={201: serializers.RegistrationSerializer})
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated])
    def registration(self, request, pk=None):
        event = self.get_object()
        serializers.RegistrationCreateSerializer(data=request.data).is_valid(raise_exception=True)
        registration = services.registration_create(event=event, user=request.user)
        return Response(
            serializers.RegistrationSerializer(registration).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(request=None, responses={204: None})
    @registration.mapping.delete
    def registration_cancel(self, request, pk=None):
        services.registration_cancel(event=self.get_object(), user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["events"])
class EventParticipantViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """`events/{event_pk}/participants`: who registered, for the NGO's owner and admins.
    Someone who does not manage the event's NGO gets 404: the list is private data."""

    serializer_class = serializers.RegistrationSerializer
    permission_classes = [IsAuthenticated, OngRolePermission]
    required_roles = {"list": MANAGERS}
    private_actions = {"list"}
    filterset_class = RegistrationFilter
    search_fields = ["user__name", "user__email"]
    ordering_fields = ["created_at", "user__name"]
    ordering = ["created_at", "id"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Registration.objects.none()
        event = selectors.event_get_visible_to(self.request.user, self.kwargs["event_pk"])
        self.check_object_permissions(self.request, event)
        return selectors.registration_list_for_event(event)


@extend_schema(tags=["ongs"])
class OngEventViewSet(RowListMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """`ongs/{ong_pk}/events`: the events of one NGO that the reader can see."""

    serializer_class = serializers.EventSerializer
    list_rows_class = serializers.EventListSerializer
    filter_backends = [FilterBackend, SearchFilter, OrderingFilter]
    permission_classes = [ReadOnlyOrAuthenticated]
    filterset_class = EventFilter
    search_fields = ["title", "description", "address"]
    ordering_fields = EVENT_ORDERING
    ordering = ["starts_at", "id"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Event.objects.none()
        ong = ong_get_visible_to(self.request.user, self.kwargs["ong_pk"])
        return selectors.event_list_visible_to(self.request.user).filter(ong=ong)


@extend_schema(tags=["ongs"])
class OngParticipantViewSet(ManagedOngMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """`ongs/{ong_pk}/participants`: everyone registered in the NGO's events (managers)."""

    serializer_class = serializers.ParticipantSerializer
    permission_classes = [IsAuthenticated, OngRolePermission]
    required_roles = {"list": MANAGERS}
    private_actions = {"list"}
    filterset_class = ParticipantFilter
    search_fields = ["name", "email"]
    ordering_fields = ["name", "email", "events_count"]
    ordering = ["name", "id"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return User.objects.none()
        return selectors.participant_list_for_ong(self.get_ong())
