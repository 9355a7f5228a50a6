from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from core.rows import current_zone, iso
from core.serializers import InputSerializer
from events.models import Event, Registration
from ongs.api.serializers import PersonSerializer


class EventOngSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)


class EventSerializer(serializers.ModelSerializer):
    ong = EventOngSerializer(read_only=True)
    registered_count = serializers.IntegerField(read_only=True)
    seats_left = serializers.SerializerMethodField()
    is_registered = serializers.BooleanField(read_only=True)

    class Meta:
        model = Event
        fields = [
            "id",
            "ong",
            "title",
            "description",
            "address",
            "starts_at",
            "ends_at",
            "capacity",
            "registered_count",
            "seats_left",
            "is_registered",
            "is_active",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_seats_left(self, event) -> int | None:
        if event.capacity is None:
            return None
        return max(event.capacity - event.registered_count, 0)


class EventListSerializer(EventSerializer):
    """One row of an event list, built from `values_list(*COLUMNS)`: the same output as
    EventSerializer (a test compares them), without an instance and a field per cell."""

    COLUMNS = (
        "id",
        "ong_id",
        "ong__name",
        "title",
        "description",
        "address",
        "starts_at",
        "ends_at",
        "capacity",
        "registered_count",
        "is_registered",
        "is_active",
        "created_at",
        "updated_at",
    )

    class Meta(EventSerializer.Meta):
        pass

    @staticmethod
    def rows(values) -> list[dict]:
        zone = current_zone()
        return [
            {
                "id": pk,
                "ong": {"id": ong_id, "name": ong_name},
                "title": title,
                "description": description,
                "address": address,
                "starts_at": iso(starts_at, zone),
                "ends_at": iso(ends_at, zone),
                "capacity": capacity,
                "registered_count": registered,
                "seats_left": None if capacity is None else max(capacity - registered, 0),
                "is_registered": is_registered,
                "is_active": is_active,
                "created_at": iso(created_at, zone),
                "updated_at": iso(updated_at, zone),
            }
            for (
                pk,
                ong_id,
                ong_name,
                title,
                description,
                address,
                starts_at,
                ends_at,
                capacity,
                registered,
                is_registered,
                is_active,
                created_at,
                updated_at,
            ) in values
        ]


class EventWriteSerializer(InputSerializer):
    """What the NGO's managers set. The NGO is chosen at creation and never changes."""

    ong = serializers.IntegerField(help_text=_("Id of an NGO you own or administer."))
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    address = serializers.CharField(required=False, allow_blank=True, max_length=300)
    starts_at = serializers.DateTimeField(help_text=_("Now or later: never in the past."))
    ends_at = serializers.DateTimeField(
        required=False,
        help_text=_("After the start. Omitted on creation: 2 hours after the start."),
    )
    capacity = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=1_000_000
    )


class EventUpdateSerializer(EventWriteSerializer):
    ong = None

    elsewhere = {
        "ong": _("an event cannot move to another NGO; create it there with POST /api/v1/events"),
        "is_active": _("cancel the event with DELETE /api/v1/events/{id}"),
    }


class RegistrationCreateSerializer(InputSerializer):
    """`POST events/{id}/registration` takes no body (the person is the caller): any field
    sent is refused, never silently ignored."""


class RegistrationSerializer(serializers.ModelSerializer):
    user = PersonSerializer(read_only=True)

    class Meta:
        model = Registration
        fields = ["id", "event", "user", "created_at"]
        read_only_fields = fields


class ParticipantSerializer(PersonSerializer):
    events_count = serializers.IntegerField(read_only=True)
