"""The time spent on an order as a query expression, for the order list, detail, report and
stats to read it in the query they already make."""

from django.db.models import IntegerField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from fieldservice.models import TimeEntry

# The report's column header (orders/reports.py).
TIME_SPENT_LABEL = _("Minutes spent")


def time_spent_minutes(order_ref: str = "pk") -> Coalesce:
    """The minutes logged on the order `order_ref` points at (0 when none)."""
    total = (
        TimeEntry.objects.filter(order_id=OuterRef(order_ref))
        .order_by()
        .values("order_id")
        .annotate(total=Sum("minutes"))
        .values("total")
    )
    return Coalesce(Subquery(total), Value(0), output_field=IntegerField())
