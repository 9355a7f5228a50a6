"""SLA configuration a user may see, a company's business calendar, and the SLA state of
orders as the API shows it."""

from datetime import datetime

from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from accounts.models import User
from companies.models import Company
from companies.selectors import company_ids_where
from core.exceptions import NotFound
from orders.models import Order
from sla.businesstime import Calendar
from sla.models import BusinessHours, Holiday, OrderSla, SlaTarget

MET, BREACHED, PENDING = "met", "breached", "pending"


def business_hours_of(company: Company) -> QuerySet[BusinessHours]:
    return BusinessHours.objects.filter(company=company).order_by("weekday", "opens")


def holiday_list_of(company: Company) -> QuerySet[Holiday]:
    return Holiday.objects.filter(company=company).order_by("date")


def holiday_get_visible_to(user: User, pk: int) -> Holiday:
    """A holiday of one of the user's companies (any role: roles are checked after, so a
    requester gets 403 and another company's person 404)."""
    holidays = Holiday.objects.select_related("company")
    if not user.is_staff:
        holidays = holidays.filter(company_id__in=company_ids_where(user))
    try:
        return holidays.get(pk=pk)
    except (Holiday.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound() from exc


def sla_target_list_of(company: Company) -> QuerySet[SlaTarget]:
    return SlaTarget.objects.filter(company=company).order_by("id")


def sla_target_get_visible_to(user: User, pk: int) -> SlaTarget:
    """A target of one of the user's companies; as `holiday_get_visible_to`."""
    targets = SlaTarget.objects.select_related("company")
    if not user.is_staff:
        targets = targets.filter(company_id__in=company_ids_where(user))
    try:
        return targets.get(pk=pk)
    except (SlaTarget.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound() from exc


def sla_target_for(company: Company, priority: str) -> SlaTarget | None:
    return SlaTarget.objects.filter(company=company, priority=priority).first()


def calendar_of(company: Company) -> Calendar:
    """The company's working time: its weekly ranges (none: around the clock) minus its
    holidays, in its time zone. Two queries."""
    week: dict[int, list] = {}
    for weekday, opens, closes in business_hours_of(company).values_list(
        "weekday", "opens", "closes"
    ):
        week.setdefault(weekday, []).append((opens, closes))
    holidays = frozenset(Holiday.objects.filter(company=company).values_list("date", flat=True))
    return Calendar(zone=company.zone, week=week, holidays=holidays)


def clock_state(
    due: datetime | None, done_at: datetime | None, paused_since: datetime | None, now: datetime
) -> str | None:
    """`met`, `breached` or `pending` for one clock; None when the order has no SLA.
    A paused clock is pending if it paused before its due time (the pause moves it)."""
    if due is None:
        return None
    if done_at is not None:
        return MET if done_at <= due else BREACHED
    reference = paused_since or now
    return PENDING if reference <= due else BREACHED


def order_sla_body(
    respond_by: datetime | None,
    resolve_by: datetime | None,
    first_responded_at: datetime | None,
    resolved_at: datetime | None,
    paused_since: datetime | None,
    *,
    now: datetime | None = None,
) -> dict | None:
    """What an order shows as `sla` (None without a target), from plain values, so a list
    row and a detail body say the same thing."""
    if respond_by is None:
        return None
    now = now or timezone.now()
    return {
        "respond_by": respond_by,
        "resolve_by": resolve_by,
        "response": clock_state(respond_by, first_responded_at, paused_since, now),
        "resolution": clock_state(resolve_by, resolved_at, paused_since, now),
        "paused": paused_since is not None,
    }


def order_sla_of(order: Order) -> dict | None:
    sla = getattr(order, "sla", None)  # no row: the order's priority has no target
    if sla is None:
        return None
    return order_sla_body(
        sla.respond_by, sla.resolve_by, sla.first_responded_at, sla.resolved_at, sla.paused_since
    )


def _counts(done: str, due: str, now: datetime) -> dict:
    met = Q(**{f"{done}__isnull": False, f"{done}__lte": F(due)})
    late_done = Q(**{f"{done}__gt": F(due)})
    # Not done and past due, unless it paused before its due time (then it is still pending).
    late_open = Q(**{f"{done}__isnull": True, f"{due}__lt": now}) & (
        Q(paused_since__isnull=True) | Q(paused_since__gt=F(due))
    )
    return {"met": Count("pk", filter=met), "breached": Count("pk", filter=late_done | late_open)}


def _attainment_row(row: dict) -> dict:
    result = {}
    for clock in ("response", "resolution"):
        met, breached = row[f"{clock}_met"], row[f"{clock}_breached"]
        decided = met + breached
        result[clock] = {
            "met": met,
            "breached": breached,
            "percent_met": round(100 * met / decided, 1) if decided else None,
        }
    return result


def sla_attainment(orders: QuerySet[Order]) -> dict:
    """SLA attainment over the given (already scoped and filtered) orders, per team and per
    priority: for each clock, the orders that met it, breached it, and the share met among
    those decided (pending ones are left out). Two aggregate queries."""
    now = timezone.now()
    counts = {
        **{f"response_{k}": v for k, v in _counts("first_responded_at", "respond_by", now).items()},
        **{f"resolution_{k}": v for k, v in _counts("resolved_at", "resolve_by", now).items()},
    }
    slas = OrderSla.objects.filter(order__in=orders.order_by().values("pk")).order_by()
    by_team = [
        {"team": row["order__team_id"], "name": row["order__team__name"], **_attainment_row(row)}
        for row in slas.values("order__team_id", "order__team__name")
        .annotate(**counts)
        .order_by("order__team__name", "order__team_id")
    ]
    per_priority = {
        row["order__priority"]: row for row in slas.values("order__priority").annotate(**counts)
    }
    by_priority = [
        {"priority": priority, **_attainment_row(per_priority[priority])}
        for priority in Order.Priority.values
        if priority in per_priority
    ]
    return {"by_team": by_team, "by_priority": by_priority}


def order_sla_ids_to_alert(*, now: datetime | None = None, limit: int = 1000) -> list[int]:
    """Orders whose running, unpaused clock has reached its warning time without its breach
    sent yet: the candidates of the periodic scan (each re-checked under a lock by
    `order_sla_alert`). Reads the two partial indexes of OrderSla."""
    now = now or timezone.now()
    running = OrderSla.objects.filter(paused_since__isnull=True).exclude(
        order__status=Order.Status.CLOSED
    )
    response = running.filter(
        first_responded_at__isnull=True,
        response_breach_sent_at__isnull=True,
        response_warn_from__lte=now,
    )
    resolution = running.filter(
        resolved_at__isnull=True,
        resolution_breach_sent_at__isnull=True,
        resolution_warn_from__lte=now,
    )
    ids = (
        response.order_by()
        .values_list("order_id", flat=True)
        .union(resolution.order_by().values_list("order_id", flat=True))
    )
    return sorted(ids)[:limit]
