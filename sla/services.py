"""Every SLA write: a company's business hours, holidays and targets, and the two clocks of
each order (started, paused, resumed, stopped and alerted here).

`orders.services` calls the clock functions inside its own transactions, after it has
locked and changed the order, so the clocks move with the status or not at all.
"""

from datetime import datetime, time
from itertools import pairwise
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

import orders.services as order_services
from accounts.models import User
from companies.models import Company, Membership
from companies.selectors import STAFF_ROLES, membership_role
from companies.services import company_require_active
from core.exceptions import FieldError
from core.services import model_update
from orders.models import Order, OrderEvent
from sla import selectors
from sla.businesstime import Calendar, add_business_seconds, business_seconds_between
from sla.models import BusinessHours, Holiday, OrderSla, SlaTarget

Status = Order.Status
CLOCKS = ("response", "resolution")


# --- configuration -------------------------------------------------------------------------


@transaction.atomic
def business_hours_replace(
    *, company: Company, ranges: list[dict[str, Any]]
) -> list[BusinessHours]:
    """Replace the company's whole week at once. Each range opens before it closes and no
    two ranges of a day overlap (400, nothing stored); an empty week is around the clock.
    The company row is locked so two replacements do not interleave."""
    company_require_active(company)
    Company.objects.select_for_update().filter(pk=company.pk).first()
    _check_week(ranges)
    BusinessHours.objects.filter(company=company).delete()
    return BusinessHours.objects.bulk_create(
        [BusinessHours(company=company, **values) for values in ranges]
    )


def _check_week(ranges: list[dict[str, Any]]) -> None:
    by_day: dict[int, list[tuple[time, time]]] = {}
    for values in ranges:
        if values["opens"] >= values["closes"]:
            raise FieldError("ranges", _("Each range must open before it closes."), code="invalid")
        by_day.setdefault(values["weekday"], []).append((values["opens"], values["closes"]))
    for day_ranges in by_day.values():
        day_ranges.sort()
        for (_opens, closes), (next_opens, _closes) in pairwise(day_ranges):
            if next_opens < closes:
                raise FieldError(
                    "ranges", _("Ranges of the same day must not overlap."), code="overlap"
                )


@transaction.atomic
def holiday_create(*, company: Company, date: Any, name: str) -> Holiday:
    """Add a day off; one per date (400 `unique`, also when two requests race)."""
    company_require_active(company)
    try:
        with transaction.atomic():
            return Holiday.objects.create(company=company, date=date, name=name)
    except IntegrityError as exc:
        raise FieldError(
            "date", _("The company already has a holiday on this date."), code="unique"
        ) from exc


@transaction.atomic
def holiday_delete(*, holiday: Holiday) -> None:
    company_require_active(holiday.company)
    holiday.delete()


@transaction.atomic
def sla_target_create(
    *, company: Company, priority: str, first_response_minutes: int, resolution_minutes: int
) -> SlaTarget:
    """Set the targets of one priority (one per priority: 400 `unique`). Orders opened from
    now on use it; orders already running keep the target they started with."""
    company_require_active(company)
    _check_minutes(first_response_minutes, resolution_minutes)
    try:
        with transaction.atomic():
            return SlaTarget.objects.create(
                company=company,
                priority=priority,
                first_response_minutes=first_response_minutes,
                resolution_minutes=resolution_minutes,
            )
    except IntegrityError as exc:
        raise FieldError(
            "priority", _("The company already has a target for this priority."), code="unique"
        ) from exc


@transaction.atomic
def sla_target_update(*, target: SlaTarget, data: dict[str, Any]) -> SlaTarget:
    """Change a target's minutes; as creating one, it applies to orders opened afterwards."""
    company_require_active(target.company)
    target = SlaTarget.objects.select_for_update().select_related("company").get(pk=target.pk)
    _check_minutes(
        data.get("first_response_minutes", target.first_response_minutes),
        data.get("resolution_minutes", target.resolution_minutes),
    )
    target, _changed = model_update(
        instance=target, data=data, fields=("first_response_minutes", "resolution_minutes")
    )
    return target


@transaction.atomic
def sla_target_delete(*, target: SlaTarget) -> None:
    """Orders of this priority opened afterwards have no SLA; running ones keep theirs."""
    company_require_active(target.company)
    target.delete()


def _check_minutes(first_response: int, resolution: int) -> None:
    if resolution < first_response:
        raise FieldError(
            "resolution_minutes",
            _("Resolution cannot be due before the first response."),
            code="invalid",
        )


# --- the clocks ----------------------------------------------------------------------------


def _due(calendar: Calendar, start: datetime, minutes: int, paused: float):
    """The due instant and the instant from which to warn about it: `SLA_WARNING_MINUTES`
    business minutes before, but never before half the target has gone."""
    total = minutes * 60 + paused
    lead = min(settings.SLA_WARNING_MINUTES, minutes // 2) * 60
    return add_business_seconds(calendar, start, total), add_business_seconds(
        calendar, start, total - lead
    )


def _schedule(sla: OrderSla, calendar: Calendar) -> None:
    sla.respond_by, sla.response_warn_from = _due(
        calendar, sla.response_started_at, sla.first_response_minutes, sla.response_paused_seconds
    )
    sla.resolve_by, sla.resolution_warn_from = _due(
        calendar, sla.resolution_started_at, sla.resolution_minutes, sla.resolution_paused_seconds
    )


def order_sla_start(*, order: Order) -> OrderSla | None:
    """Start both clocks of a new order from its priority's target (none: no SLA). Runs in
    the caller's transaction (`order_create`, or a batch of inbound e-mails)."""
    target = selectors.sla_target_for(order.company, order.priority)
    if target is None:
        return None
    sla = OrderSla(
        order=order,
        first_response_minutes=target.first_response_minutes,
        resolution_minutes=target.resolution_minutes,
        response_started_at=order.created_at,
        resolution_started_at=order.created_at,
    )
    _schedule(sla, selectors.calendar_of(order.company))
    sla.save(force_insert=True)
    return sla


def order_slas_start(*, orders: list[Order]) -> list[OrderSla]:
    """`order_sla_start` for a batch of new orders (inbound e-mail): the targets in one
    query, each company's calendar once, the rows in one insert."""
    if not orders:
        return []
    targets = {
        (target.company_id, target.priority): target
        for target in SlaTarget.objects.filter(company_id__in={o.company_id for o in orders})
    }
    calendars: dict[int, Calendar] = {}
    rows = []
    for order in orders:
        target = targets.get((order.company_id, order.priority))
        if target is None:
            continue
        if order.company_id not in calendars:
            calendars[order.company_id] = selectors.calendar_of(order.company)
        sla = OrderSla(
            order=order,
            first_response_minutes=target.first_response_minutes,
            resolution_minutes=target.resolution_minutes,
            response_started_at=order.created_at,
            resolution_started_at=order.created_at,
        )
        _schedule(sla, calendars[order.company_id])
        rows.append(sla)
    return OrderSla.objects.bulk_create(rows)


def _locked_sla(order: Order) -> OrderSla | None:
    return OrderSla.objects.select_for_update().filter(order_id=order.pk).first()


def order_sla_follow(*, order: Order, previous_status: str) -> OrderSla | None:
    """Move the clocks with a status change the caller has just saved: entering `waiting`
    pauses them; leaving it shifts their due times by the business time spent waiting;
    closing stops resolution; reopening restarts resolution from now (its old due time,
    pauses and alerts no longer apply). Called inside the caller's transaction."""
    if previous_status == order.status:
        return None
    sla = _locked_sla(order)
    if sla is None:
        return None
    now = timezone.now()
    calendar = selectors.calendar_of(order.company)
    if previous_status == Status.WAITING:
        _resume(sla, calendar, now)
    if order.status == Status.WAITING:
        sla.paused_since = now
    if order.status == Status.CLOSED:
        sla.resolved_at = sla.resolved_at or now
    if previous_status == Status.CLOSED:
        sla.resolution_started_at, sla.resolution_paused_seconds = now, 0
        sla.resolved_at = sla.resolution_warning_sent_at = sla.resolution_breach_sent_at = None
    _schedule(sla, calendar)
    sla.save()
    return sla


def _resume(sla: OrderSla, calendar: Calendar, now: datetime) -> None:
    if sla.paused_since is None:
        return
    waited = business_seconds_between(calendar, sla.paused_since, now)
    if sla.first_responded_at is None:
        sla.response_paused_seconds += waited
    if sla.resolved_at is None:
        sla.resolution_paused_seconds += waited
    sla.paused_since = None


def order_sla_reprioritise(*, order: Order) -> OrderSla | None:
    """Apply the new priority's target to the order, due times counted again from each
    clock's start (creation, or the last reopen); a priority without a target ends the
    order's SLA. A clock whose due time moves past now may warn again."""
    sla = _locked_sla(order)
    target = selectors.sla_target_for(order.company, order.priority)
    if target is None:
        if sla is not None:
            sla.delete()
        order._state.fields_cache.pop("sla", None)
        return None
    now = timezone.now()
    if sla is None:
        sla = OrderSla(
            order=order,
            response_started_at=order.created_at,
            resolution_started_at=order.created_at,
            paused_since=now if order.status == Status.WAITING else None,
        )
    sla.first_response_minutes = target.first_response_minutes
    sla.resolution_minutes = target.resolution_minutes
    _schedule(sla, selectors.calendar_of(order.company))
    if sla.respond_by > now:
        sla.response_warning_sent_at = sla.response_breach_sent_at = None
    if sla.resolve_by > now:
        sla.resolution_warning_sent_at = sla.resolution_breach_sent_at = None
    sla.save()
    order.sla = sla
    return sla


def is_support_reply(order: Order, author: User | None) -> bool:
    """Whether a public reply by `author` answers the requester: written by staff, an agent
    or admin of the order's company, or its assignee, and not by the requester."""
    if author is None or author.pk == order.requester_id:
        return False
    if author.is_staff or author.pk == order.assignee_id:
        return True
    return membership_role(author, order.company_id) in STAFF_ROLES


def order_sla_first_response(*, order: Order, author: User | None, at: datetime) -> bool:
    """Stop the response clock at the first public reply of the support side. A conditional
    UPDATE: of two replies at once the first to commit counts, and later ones change nothing."""
    if not is_support_reply(order, author):
        return False
    return bool(
        OrderSla.objects.filter(order_id=order.pk, first_responded_at__isnull=True).update(
            first_responded_at=at
        )
    )


def order_slas_first_response(*, replies: list[tuple[Order, User]], at: datetime) -> int:
    """`order_sla_first_response` for a batch of public replies (inbound e-mail). Replies of
    requesters cost nothing; the others' roles are read in one query, the clocks stopped
    in one UPDATE. Returns how many clocks stopped."""
    candidates = [(order, author) for order, author in replies if author.pk != order.requester_id]
    if not candidates:
        return 0
    support = set(
        Membership.objects.filter(
            company_id__in={order.company_id for order, _author in candidates},
            user_id__in={author.pk for _order, author in candidates},
            role__in=STAFF_ROLES,
        ).values_list("company_id", "user_id")
    )
    order_ids = {
        order.pk
        for order, author in candidates
        if author.is_staff
        or author.pk == order.assignee_id
        or (order.company_id, author.pk) in support
    }
    if not order_ids:
        return 0
    return OrderSla.objects.filter(order_id__in=order_ids, first_responded_at__isnull=True).update(
        first_responded_at=at
    )


# --- warnings and breaches -----------------------------------------------------------------


@transaction.atomic
def order_sla_alert(*, order_id: int) -> list[OrderEvent]:
    """Record (and so e-mail) each warning and breach that has come due for the order's
    running clocks, once each: the SLA row is locked and its `*_sent_at` set in the same
    transaction as the event, so a scan running twice, or two at once, sends one of each.
    A clock already past due when first seen gets its breach only."""
    sla = (
        OrderSla.objects.select_for_update(of=("self",))
        .select_related("order__company", "order__team", "order__assignee", "order__requester")
        .filter(order_id=order_id)
        .first()
    )
    if sla is None or sla.paused_since is not None or sla.order.status == Status.CLOSED:
        return []
    now = timezone.now()
    events = []
    for clock in CLOCKS:
        kind = _alert_due(sla, clock, now)
        if kind is None:
            continue
        due = getattr(sla, "respond_by" if clock == "response" else "resolve_by")
        events.append(
            order_services._record(
                sla.order,
                None,
                kind,
                {"target": clock, "due": due.isoformat()},
                is_internal=True,
            )
        )
    if events:
        sla.save()
    return events


def _alert_due(sla: OrderSla, clock: str, now: datetime) -> str | None:
    """Which alert the clock owes now (marking it sent on `sla`), if any."""
    done = sla.first_responded_at if clock == "response" else sla.resolved_at
    due = sla.respond_by if clock == "response" else sla.resolve_by
    if done is not None:
        return None
    warning, breach = f"{clock}_warning_sent_at", f"{clock}_breach_sent_at"
    if now >= due and getattr(sla, breach) is None:
        setattr(sla, breach, now)
        if getattr(sla, warning) is None:
            setattr(sla, warning, now)
        return OrderEvent.Kind.SLA_BREACHED
    if now >= getattr(sla, f"{clock}_warn_from") and getattr(sla, warning) is None:
        setattr(sla, warning, now)
        return OrderEvent.Kind.SLA_WARNING
    return None
