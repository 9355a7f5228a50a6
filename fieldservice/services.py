"""Every change to visits and time entries. Each runs in one transaction and raises a
domain error with a stable code; visit changes lock the technicians concerned before
checking their agenda, and e-mail the people concerned through the outbox."""

from datetime import UTC, date, datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from companies.models import Membership
from companies.selectors import STAFF_ROLES
from companies.services import company_require_active
from core.exceptions import Conflict, FieldError
from fieldservice import ical, notifications
from fieldservice.models import TIME_ENTRY_MAX_MINUTES, VISIT_MAX_MINUTES, TimeEntry, Visit
from fieldservice.selectors import visit_overlapping
from orders.models import Order

# Further ahead than this is a typing error (2062 for 2026), not a plan.
VISIT_MAX_DAYS_AHEAD = 2 * 366


class VisitOverlaps(Conflict):
    default_code = "visit_overlaps"


class VisitNotScheduled(Conflict):
    default_code = "visit_not_scheduled"


class OrderClosed(Conflict):
    default_code = "order_closed"


def _check_technician(order: Order, technician: User) -> None:
    is_support = Membership.objects.filter(
        company_id=order.company_id, user=technician, role__in=STAFF_ROLES
    ).exists()
    if not is_support or not technician.is_active:
        raise FieldError("technician", _("Choose an agent or admin of the order's company."))


def _check_start(starts_at: datetime) -> None:
    now = timezone.now()
    if starts_at <= now:
        raise FieldError("starts_at", _("A visit cannot start in the past."), code="in_the_past")
    if starts_at > now + timedelta(days=VISIT_MAX_DAYS_AHEAD):
        raise FieldError(
            "starts_at",
            _("A visit is scheduled at most %(days)s days ahead.") % {"days": VISIT_MAX_DAYS_AHEAD},
            code="too_far_ahead",
        )


def _check_duration(minutes: int) -> None:
    if not 1 <= minutes <= VISIT_MAX_MINUTES:
        raise FieldError(
            "duration_minutes",
            _("Between 1 and %(max)s minutes.") % {"max": VISIT_MAX_MINUTES},
        )


def _lock_technicians(*technicians: User) -> None:
    """Lock the technicians' rows, always by ascending id, so that two changes to one
    agenda take turns (the second sees the first's visit) and two changes to two agendas
    never wait for each other in a circle. The lock lasts until the transaction ends."""
    ids = sorted({technician.pk for technician in technicians})
    list(User.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk"))


def _check_free(
    technician: User, starts_at: datetime, ends_at: datetime, exclude_pk: int | None = None
) -> None:
    other = visit_overlapping(
        technician=technician, starts_at=starts_at, ends_at=ends_at, exclude_pk=exclude_pk
    )
    if other is not None:
        raise VisitOverlaps(
            _("%(name)s already has visit %(visit)s from %(start)s to %(end)s (UTC).")
            % {
                "name": technician.name,
                "visit": other.pk,
                "start": other.starts_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M"),
                "end": other.ends_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M"),
            },
            visit=other.pk,
        )


@transaction.atomic
def visit_schedule(
    *,
    order: Order,
    actor: User,
    technician: User,
    starts_at: datetime,
    duration_minutes: int,
    address: str | None = None,
) -> Visit:
    """Schedule a visit of a technician (an agent or admin of the order's company) for an
    order that is not closed, in the future, at the order's site address unless another
    is given. Race-safe: the technician's row is locked before their agenda is checked,
    so of two overlapping visits scheduled at once exactly one is stored (the other: 409
    `visit_overlaps`). The requester and the technician are e-mailed an invitation."""
    company_require_active(order.company)
    if order.status == Order.Status.CLOSED:
        raise OrderClosed(_("The order is closed; reopen it to schedule a visit."))
    _check_technician(order, technician)
    _check_start(starts_at)
    _check_duration(duration_minutes)
    ends_at = starts_at + timedelta(minutes=duration_minutes)
    _lock_technicians(technician)
    _check_free(technician, starts_at, ends_at)
    visit = Visit.objects.create(
        order=order,
        technician=technician,
        starts_at=starts_at,
        duration_minutes=duration_minutes,
        ends_at=ends_at,
        address=order.site_address if address is None else address,
        created_by=actor,
    )
    notifications.visit_notify(
        visit=visit, kind=notifications.SCHEDULED, actor=actor, method=ical.REQUEST
    )
    return visit


def _lock_visit(visit: Visit) -> Visit:
    return (
        Visit.objects.select_for_update(of=("self",))
        .select_related("order", "order__company", "order__requester", "technician")
        .get(pk=visit.pk)
    )


@transaction.atomic
def visit_reschedule(
    *,
    visit: Visit,
    actor: User,
    starts_at: datetime,
    duration_minutes: int | None = None,
    technician: User | None = None,
) -> Visit:
    """Move a scheduled visit to another start (and length, and technician), in the
    future and free in the technician's agenda (locked as in `visit_schedule`). The
    invitation's SEQUENCE goes up, so calendars update the event; a technician taken off
    the visit gets its cancellation."""
    visit = _lock_visit(visit)
    order = visit.order
    company_require_active(order.company)
    if visit.status != Visit.Status.SCHEDULED:
        raise VisitNotScheduled(_("Only a scheduled visit can be rescheduled."))
    previous_technician = visit.technician
    technician = technician or previous_technician
    if technician.pk != previous_technician.pk:
        _check_technician(order, technician)
    duration_minutes = duration_minutes or visit.duration_minutes
    _check_start(starts_at)
    _check_duration(duration_minutes)
    ends_at = starts_at + timedelta(minutes=duration_minutes)
    _lock_technicians(technician, previous_technician)
    _check_free(technician, starts_at, ends_at, exclude_pk=visit.pk)
    visit.technician = technician
    visit.starts_at, visit.ends_at = starts_at, ends_at
    visit.duration_minutes = duration_minutes
    visit.sequence += 1
    visit.save(
        update_fields=[
            "technician",
            "starts_at",
            "ends_at",
            "duration_minutes",
            "sequence",
            "updated_at",
        ]
    )
    if technician.pk != previous_technician.pk:
        notifications.visit_notify(
            visit=visit,
            kind=notifications.CANCELLED,
            actor=actor,
            method=ical.CANCEL,
            to=[previous_technician],
        )
    notifications.visit_notify(
        visit=visit, kind=notifications.RESCHEDULED, actor=actor, method=ical.REQUEST
    )
    return visit


@transaction.atomic
def visit_cancel(*, visit: Visit, actor: User) -> Visit:
    """Cancel a scheduled visit: it stays on record, leaves the technician's agenda free,
    and the requester and the technician get the calendar's cancellation."""
    visit = _lock_visit(visit)
    company_require_active(visit.order.company)
    if visit.status != Visit.Status.SCHEDULED:
        raise VisitNotScheduled(_("The visit is already cancelled."))
    visit.status = Visit.Status.CANCELLED
    visit.sequence += 1
    visit.save(update_fields=["status", "sequence", "updated_at"])
    notifications.visit_notify(
        visit=visit, kind=notifications.CANCELLED, actor=actor, method=ical.CANCEL
    )
    return visit


@transaction.atomic
def time_entry_log(
    *, order: Order, agent: User, minutes: int, date: date, note: str = ""
) -> TimeEntry:
    """Record time an agent spent on the order, on a day that is not in the future in the
    company's time zone. The order's total is the sum of its entries."""
    company_require_active(order.company)
    if not 1 <= minutes <= TIME_ENTRY_MAX_MINUTES:
        raise FieldError(
            "minutes", _("Between 1 and %(max)s minutes.") % {"max": TIME_ENTRY_MAX_MINUTES}
        )
    today = timezone.now().astimezone(order.company.zone).date()
    if date > today:
        raise FieldError("date", _("The date cannot be in the future."), code="in_the_future")
    return TimeEntry.objects.create(
        order=order, agent=agent, minutes=minutes, date=date, note=note.strip()
    )


@transaction.atomic
def time_entry_delete(*, entry: TimeEntry) -> None:
    """Delete a time entry (its author, an admin of the company or staff: the view's
    `required_roles`); the order's total drops with it."""
    company_require_active(entry.order.company)
    entry.delete()
