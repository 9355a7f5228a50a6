"""Visits and time entries a user may see. Views start every queryset here."""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from django.db.models import Q, QuerySet, Sum

from accounts.models import User
from companies.models import Company
from companies.selectors import STAFF_ROLES, company_ids_where
from core.exceptions import NotFound
from fieldservice.models import TimeEntry, Visit
from orders.models import Order

EARLIEST_DAY, LATEST_DAY = date(2, 1, 1), date(9998, 12, 31)


def visit_list_visible_to(user: User) -> QuerySet[Visit]:
    """Staff see every visit; admins and agents the visits of their companies' orders;
    everyone the visits of the orders they requested. What a visit shows is joined in."""
    visits = Visit.objects.select_related("order", "order__company", "technician", "created_by")
    if user.is_staff:
        return visits
    return visits.filter(
        Q(order__company_id__in=company_ids_where(user, STAFF_ROLES)) | Q(order__requester=user)
    )


def visit_get_visible_to(user: User, pk: int) -> Visit:
    try:
        return visit_list_visible_to(user).get(pk=pk)
    except (Visit.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound() from exc


def visit_list_of_order(order: Order) -> QuerySet[Visit]:
    """The visits of an order the caller already sees (`order_get_visible_to`): whoever
    sees an order sees its visits."""
    return Visit.objects.filter(order=order).select_related(
        "order", "order__company", "technician", "created_by"
    )


def visit_zone_names(visits: QuerySet[Visit]) -> list[str]:
    """The time zones of the companies these visits belong to: a date in the agenda's
    filters is a day in each visit's own company zone."""
    companies = Company.objects.filter(pk__in=visits.order_by().values("order__company_id"))
    return sorted(set(companies.values_list("time_zone", flat=True)))


def visits_starting_from(zone_names: list[str], day: date) -> Q:
    """Visits starting at or after the local midnight that opens `day` in their zone."""
    return _per_zone(zone_names, day, "starts_at__gte")


def visits_starting_before(zone_names: list[str], day: date) -> Q:
    """Visits starting before the local midnight that opens `day` in their zone."""
    return _per_zone(zone_names, day, "starts_at__lt")


def _per_zone(zone_names: list[str], day: date, lookup: str) -> Q:
    # A year away from datetime's ends: local midnight in any zone still fits once in UTC.
    day = min(max(day, EARLIEST_DAY), LATEST_DAY)
    condition = Q(pk__in=[])
    for name in zone_names:
        midnight = datetime.combine(day, time.min, tzinfo=ZoneInfo(name))
        condition |= Q(order__company__time_zone=name, **{lookup: midnight})
    return condition


def visit_overlapping(
    *, technician: User, starts_at: datetime, ends_at: datetime, exclude_pk: int | None = None
) -> Visit | None:
    """The technician's first scheduled visit that shares some time with [starts_at,
    ends_at); visits that only touch (one ends when the next starts) do not overlap."""
    clashes = Visit.objects.filter(
        technician=technician,
        status=Visit.Status.SCHEDULED,
        starts_at__lt=ends_at,
        ends_at__gt=starts_at,
    ).exclude(pk=exclude_pk)
    return clashes.order_by("starts_at", "id").first()


def time_entry_list_visible_to(user: User) -> QuerySet[TimeEntry]:
    """Time entries are the support side's working record: staff see all, admins and
    agents those of their companies' orders. Requesters see only an order's total."""
    entries = TimeEntry.objects.select_related("agent", "order", "order__company")
    if user.is_staff:
        return entries
    return entries.filter(order__company_id__in=company_ids_where(user, STAFF_ROLES))


def time_entry_list_of_order(order: Order) -> QuerySet[TimeEntry]:
    """An order's entries (the caller's role is checked by the view)."""
    return TimeEntry.objects.filter(order=order).select_related("agent")


def time_entry_get_visible_to(user: User, pk: int) -> TimeEntry:
    try:
        return time_entry_list_visible_to(user).get(pk=pk)
    except (TimeEntry.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound() from exc


def order_time_spent(order: Order) -> int:
    """The minutes logged on the order (an annotated order is read without a query)."""
    annotated = getattr(order, "time_spent_minutes", None)
    if annotated is not None:
        return annotated
    total = TimeEntry.objects.filter(order=order).aggregate(total=Sum("minutes"))["total"]
    return total or 0
