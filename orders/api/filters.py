import django_filters

from core.filters import ChoicesFilter, FilterSet, FilterSetOrdering, IdFilter, IsoDateTimeFilter
from orders.models import Order


class OrderFilter(FilterSet):
    status = ChoicesFilter(choices=Order.Status.choices, help_text="e.g. open,in_progress")
    priority = ChoicesFilter(choices=Order.Priority.choices)
    equipment = ChoicesFilter(choices=Order.Equipment.choices)
    channel = django_filters.ChoiceFilter(choices=Order.Channel.choices)
    team = IdFilter(field_name="team_id")
    assignee = IdFilter(field_name="assignee_id")
    requester = IdFilter(field_name="requester_id")
    company = IdFilter(field_name="company_id")
    created_after = IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = IsoDateTimeFilter(field_name="created_at", lookup_expr="lte")
    ordering = FilterSetOrdering(
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
