from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import User
from core.rows import iso
from core.serializers import InputSerializer
from fieldservice.models import TIME_ENTRY_MAX_MINUTES, VISIT_MAX_MINUTES, TimeEntry, Visit
from orders.api.serializers import OrderPersonSerializer
from orders.models import Order


class VisitOrderSerializer(serializers.ModelSerializer):
    class Meta:
        model = Order
        fields = ["id", "title"]
        read_only_fields = fields


class VisitSerializer(serializers.ModelSerializer):
    """`starts_at_local`: the start in the company's time zone (`time_zone`), as the
    e-mails say it."""

    order = VisitOrderSerializer(read_only=True)
    technician = OrderPersonSerializer(read_only=True)
    created_by = OrderPersonSerializer(read_only=True, allow_null=True)
    time_zone = serializers.CharField(source="order.company.time_zone", read_only=True)
    starts_at_local = serializers.SerializerMethodField()

    class Meta:
        model = Visit
        fields = [
            "id",
            "order",
            "technician",
            "status",
            "starts_at",
            "ends_at",
            "duration_minutes",
            "time_zone",
            "starts_at_local",
            "address",
            "uid",
            "sequence",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.DateTimeField())
    def get_starts_at_local(self, visit: Visit) -> str:
        return iso(visit.starts_at, visit.order.company.zone)


# Where each field a visit's body may not set is changed instead.
VISIT_ELSEWHERE = {
    "status": _("cancel with POST /api/v1/visits/{id}/cancel."),
    "starts_at": _("move it with POST /api/v1/visits/{id}/reschedule."),
}


class _TechnicianMixin:
    def limit_technicians(self, people):
        self.fields["technician"].queryset = people if people is not None else User.objects.none()


class VisitCreateSerializer(_TechnicianMixin, InputSerializer):
    """The technician must be an agent or admin of the order's company; the address
    defaults to the order's site address."""

    elsewhere = {"status": VISIT_ELSEWHERE["status"]}

    technician = serializers.PrimaryKeyRelatedField(queryset=User.objects.none())
    starts_at = serializers.DateTimeField(help_text="ISO 8601; in the future.")
    duration_minutes = serializers.IntegerField(min_value=1, max_value=VISIT_MAX_MINUTES)
    address = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=300,
        help_text="Defaults to the order's site address.",
    )

    def __init__(self, *args, people=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.limit_technicians(people)


class VisitRescheduleSerializer(_TechnicianMixin, InputSerializer):
    """A new start; the length and the technician stay unless given."""

    elsewhere = {"status": VISIT_ELSEWHERE["status"]}

    starts_at = serializers.DateTimeField(help_text="ISO 8601; in the future.")
    duration_minutes = serializers.IntegerField(
        min_value=1, max_value=VISIT_MAX_MINUTES, required=False
    )
    technician = serializers.PrimaryKeyRelatedField(queryset=User.objects.none(), required=False)

    def __init__(self, *args, people=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.limit_technicians(people)


class TimeEntrySerializer(serializers.ModelSerializer):
    agent = OrderPersonSerializer(read_only=True)
    order = serializers.IntegerField(source="order_id", read_only=True)

    class Meta:
        model = TimeEntry
        fields = ["id", "order", "agent", "minutes", "date", "note", "created_at"]
        read_only_fields = fields


class TimeEntryCreateSerializer(InputSerializer):
    minutes = serializers.IntegerField(min_value=1, max_value=TIME_ENTRY_MAX_MINUTES)
    date = serializers.DateField(
        required=False,
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
        help_text="The day the work was done (not in the future); today in the company's "
        "time zone when left out.",
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=500)
