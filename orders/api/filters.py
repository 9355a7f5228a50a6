import django_filters
from django.db.models import F

from core.filters import ChoicesFilter, FilterSet, FilterSetOrdering, IdFilter, IsoDateTimeFilter
from orders.models import Order


class OrderOrdering(FilterSetOrdering):
    """`assignee` sorts by the technician's name, unassigned orders last either way (the
    databases disagree on where NULLs go); the id breaks ties, newest first."""

    tiebreaker = "-id"
    BY_NAME = {"assignee": "assignee__name"}

    def get_ordering_value(self, param):
        name = param.lstrip("-")
        if name in self.BY_NAME:
            field = F(self.BY_NAME[name])
            if param.startswith("-"):
                return field.desc(nulls_last=True)
            return field.asc(nulls_last=True)
        return super().get_ordering_value(param)


class OrderFilter(FilterSet):
    status = ChoicesFilter(choices=Order.Status.choices, help_text="e.g. open,in_progress")
    priority = ChoicesFilter(choices=Order.Priority.choices)
    equipment = ChoicesFilter(choices=Order.Equipment.choices)
    channel = django_filters.ChoiceFilter(choices=Order.Channel.choices)
    team = IdFilter(field_name="team_id")
    assignee = IdFilter(field_name="assignee_id")
    requester = IdFilter(field_name="requester_id")
    company = IdFilter(field_name="company_id")
    equipment_item = IdFilter(field_name="equipment_item_id")
    created_after = IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = IsoDateTimeFilter(field_name="created_at", lookup_expr="lte")
    ordering = OrderOrdering(
        fields=(
            ("created_at", "created_at"),
            ("updated_at", "updated_at"),
            ("priority_rank", "priority"),
            ("status", "status"),
            ("title", "title"),
            ("assignee__name", "assignee"),
            ("id", "id"),
        ),
        help_text=(
            "created_at, updated_at, priority (urgent first with -priority), status, title, "
            "assignee (by name, unassigned last), id"
        ),
    )

    class Meta:
        model = Order
        fields = []
