import django_filters

from core.filters import FilterSet, IdFilter, IsoDateTimeFromToRangeFilter
from orders.models import Order


class ChoiceInFilter(django_filters.BaseInFilter, django_filters.ChoiceFilter):
    """Several choices at once, comma-separated: `status=open,in_progress`."""


class OrderFilter(FilterSet):
    status = ChoiceInFilter(choices=Order.Status.choices, help_text="e.g. open,in_progress")
    priority = ChoiceInFilter(choices=Order.Priority.choices)
    equipment = ChoiceInFilter(choices=Order.Equipment.choices)
    channel = django_filters.ChoiceFilter(choices=Order.Channel.choices)
    team = IdFilter(field_name="team_id")
    assignee = IdFilter(field_name="assignee_id")
    requester = IdFilter(field_name="requester_id")
    company = IdFilter(field_name="company_id")
    created = IsoDateTimeFromToRangeFilter(
        field_name="created_at", help_text="created_after / created_before (ISO 8601)"
    )
    ordering = django_filters.OrderingFilter(
        fields=(
            ("created_at", "created_at"),
            ("updated_at", "updated_at"),
            ("priority_rank", "priority"),
            ("status", "status"),
            ("id", "id"),
        ),
        help_text="created_at, updated_at, priority (urgent first with -priority), status, id",
    )

    class Meta:
        model = Order
        fields = []
