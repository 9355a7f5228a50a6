from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from core.serializers import InputSerializer
from orders.models import Order
from sla.models import BusinessHours, Holiday, SlaTarget

# A year of minutes: far beyond any target, and small enough for every computation.
MAX_TARGET_MINUTES = 525_600


class BusinessHoursRangeSerializer(serializers.ModelSerializer):
    opens = serializers.TimeField(format="%H:%M")
    closes = serializers.TimeField(format="%H:%M")

    class Meta:
        model = BusinessHours
        fields = ["weekday", "opens", "closes"]


class BusinessWeekSerializer(serializers.Serializer):
    """The company's week; no ranges means around the clock. Times are in `time_zone`."""

    time_zone = serializers.CharField(read_only=True)
    ranges = BusinessHoursRangeSerializer(many=True)


class BusinessHoursRangeInput(InputSerializer):
    weekday = serializers.ChoiceField(
        choices=BusinessHours.Weekday.choices, help_text=_("0 is Monday, 6 is Sunday.")
    )
    opens = serializers.TimeField()
    closes = serializers.TimeField()


class BusinessWeekWriteSerializer(InputSerializer):
    ranges = BusinessHoursRangeInput(many=True, max_length=70, allow_empty=True)


class HolidaySerializer(serializers.ModelSerializer):
    class Meta:
        model = Holiday
        fields = ["id", "company", "date", "name"]
        read_only_fields = fields


class HolidayCreateSerializer(InputSerializer):
    date = serializers.DateField()
    name = serializers.CharField(max_length=100)


class SlaTargetSerializer(serializers.ModelSerializer):
    class Meta:
        model = SlaTarget
        fields = [
            "id",
            "company",
            "priority",
            "first_response_minutes",
            "resolution_minutes",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


def _minutes(**kwargs) -> serializers.IntegerField:
    return serializers.IntegerField(
        min_value=1,
        max_value=MAX_TARGET_MINUTES,
        help_text=_("Business minutes."),
        **kwargs,
    )


class SlaTargetCreateSerializer(InputSerializer):
    priority = serializers.ChoiceField(choices=Order.Priority.choices)
    first_response_minutes = _minutes()
    resolution_minutes = _minutes()


class SlaTargetUpdateSerializer(InputSerializer):
    elsewhere = {"priority": _("delete this target and create one for the other priority.")}

    first_response_minutes = _minutes(required=False)
    resolution_minutes = _minutes(required=False)
