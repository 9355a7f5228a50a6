"""Every change to service orders. Each runs in one transaction, locks the order it
changes, checks the allowed source states, writes an audit event and the e-mails that
announce it (through the outbox, so they leave only if the change commits)."""

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from companies.models import Company, Membership, Team
from companies.selectors import STAFF_ROLES
from companies.services import company_require_active
from core.exceptions import Conflict, FieldError, Forbidden
from core.services import model_update
from orders import notifications
from orders.models import Message, Order, OrderEvent
from orders.selectors import SUPPORT_ROLES, order_roles, sees_internal_notes
from webhooks.services import webhook_deliveries_enqueue

Status = Order.Status
Kind = OrderEvent.Kind
EDITABLE_FIELDS = ("title", "description", "equipment", "site_address")


class InvalidTransition(Conflict):
    default_code = "invalid_transition"


def transition_refusal(order: Order, action: str) -> str:
    """Why the order's status does not allow the action, in the reader's words."""
    return _("Cannot %(action)s an order that is %(status)s.") % {
        "action": action,
        "status": order.get_status_display(),
    }


def _refuse_transition(order: Order, action: str) -> InvalidTransition:
    return InvalidTransition(transition_refusal(order, action), status=order.status)


def _lock(order: Order) -> Order:
    """Reload the order under a row lock; every transition starts here."""
    return (
        Order.objects.select_for_update(of=("self",))
        .select_related("company", "team", "requester", "assignee")
        .get(pk=order.pk)
    )


def _record(
    order: Order,
    actor: User | None,
    kind: str,
    data: dict | None = None,
    *,
    message: Message | None = None,
) -> OrderEvent:
    event = OrderEvent.objects.create(
        order=order,
        actor=actor,
        kind=kind,
        data=data or {},
        is_internal=bool(message and message.is_internal),
    )
    notifications.notify(event, message=message)
    webhook_deliveries_enqueue(event=event, message=message)
    return event


def event_changes(**values: tuple[Any, Any]) -> dict[str, dict[str, dict[str, Any]]]:
    """An event's `data` for what changed: `{"changes": {field: {"from": old, "to": new}}}`,
    fields that kept their value left out. People and teams are ids (None: nobody)."""
    return {
        "changes": {
            name: {"from": old, "to": new} for name, (old, new) in values.items() if old != new
        }
    }


def _check_agent(company: Company, user: User, field: str) -> None:
    is_agent = Membership.objects.filter(company=company, user=user, role__in=STAFF_ROLES).exists()
    if not is_agent:
        raise FieldError(field, _("Choose an agent or admin of the order's company."))


def _check_team(company: Company, team: Team | None) -> None:
    if team is not None and team.company_id != company.pk:
        raise FieldError("team", _("Choose a team of the order's company."))


@transaction.atomic
def order_create(
    *,
    requester: User,
    company: Company,
    title: str,
    description: str = "",
    equipment: str = Order.Equipment.OTHER,
    site_address: str = "",
    team: Team | None = None,
    priority: str | None = None,
    channel: str = Order.Channel.API,
) -> Order:
    """Open an order for the requester in one of their companies. Only the company's
    agents and admins may set a priority when opening; the team must be the company's.
    Orders that arrive by e-mail are written by `orders.email.services`."""
    company_require_active(company)
    role = (
        Membership.objects.filter(company=company, user=requester)
        .values_list("role", flat=True)
        .first()
    )
    if role is None and not requester.is_staff:
        raise FieldError("company", _("You are not a member of this company."))
    if priority and role not in STAFF_ROLES and not requester.is_staff:
        raise Forbidden(_("Only agents and admins set the priority."), code="priority_forbidden")
    _check_team(company, team)
    order = Order.objects.create(
        company=company,
        requester=requester,
        team=team,
        title=title,
        description=description,
        equipment=equipment,
        site_address=site_address,
        priority=priority or Order.Priority.MEDIUM,
        channel=channel,
    )
    _record(order, requester, Kind.CREATED, {"channel": channel})
    return order


@transaction.atomic
def order_update(*, order: Order, actor: User, data: dict[str, Any]) -> Order:
    """Edit what the order is about. Requesters may edit only while it is open."""
    order = _lock(order)
    company_require_active(order.company)
    roles = order_roles(actor, order)
    if not roles & SUPPORT_ROLES and order.status != Status.OPEN:
        raise Forbidden(_("The order can no longer be edited by its requester."))
    before = {key: getattr(order, key) for key in EDITABLE_FIELDS}
    order, changed = model_update(instance=order, data=data, fields=EDITABLE_FIELDS)
    if changed:
        OrderEvent.objects.create(
            order=order,
            actor=actor,
            kind=Kind.UPDATED,
            data=event_changes(**{key: (before[key], getattr(order, key)) for key in changed}),
        )
    return order


@transaction.atomic
def order_delete(*, order: Order) -> None:
    """Delete an order with its messages and timeline (company admins and staff)."""
    company_require_active(order.company)
    order.delete()


@transaction.atomic
def order_take(*, order: Order, agent: User) -> Order:
    """An agent takes an open order. Race-safe without a lock: one conditional UPDATE, so
    of many agents taking at once exactly one changes the row; the rest get 409."""
    company_require_active(order.company)
    now = timezone.now()
    previous_assignee = order.assignee_id  # an open order has none
    taken = Order.objects.filter(pk=order.pk, status=Status.OPEN).update(
        status=Status.IN_PROGRESS, assignee=agent, taken_at=now, updated_at=now
    )
    order = Order.objects.select_related("company", "team", "requester", "assignee").get(
        pk=order.pk
    )
    if not taken:
        raise _refuse_transition(order, _("take"))
    _record(
        order,
        agent,
        Kind.TAKEN,
        event_changes(
            status=(Status.OPEN, Status.IN_PROGRESS), assignee=(previous_assignee, agent.pk)
        ),
    )
    return order


@transaction.atomic
def order_assign(*, order: Order, actor: User, assignee: User) -> Order:
    """Give an open or in-progress order to an agent of its company (admin or team lead).
    Giving it to the technician who already has it changes nothing and records nothing."""
    order = _lock(order)
    company_require_active(order.company)
    if order.status == Status.CLOSED:
        raise _refuse_transition(order, _("assign"))
    _check_agent(order.company, assignee, "assignee")
    if order.assignee_id == assignee.pk and order.status == Status.IN_PROGRESS:
        return order
    previous_assignee, previous_status = order.assignee_id, order.status
    order.assignee = assignee
    order.status = Status.IN_PROGRESS
    order.taken_at = order.taken_at or timezone.now()
    order.save(update_fields=["assignee", "status", "taken_at", "updated_at"])
    _record(
        order,
        actor,
        Kind.ASSIGNED,
        event_changes(
            status=(previous_status, order.status), assignee=(previous_assignee, assignee.pk)
        ),
    )
    return order


@transaction.atomic
def order_release(*, order: Order, actor: User) -> Order:
    """Put an in-progress order back in the open queue, without a technician; it is no
    longer taken (`taken_at` is cleared, and set again by whoever takes it next)."""
    order = _lock(order)
    company_require_active(order.company)
    if order.status != Status.IN_PROGRESS:
        raise _refuse_transition(order, _("release"))
    previous = order.assignee_id
    order.assignee = None
    order.status = Status.OPEN
    order.taken_at = None
    order.save(update_fields=["assignee", "status", "taken_at", "updated_at"])
    _record(
        order,
        actor,
        Kind.RELEASED,
        event_changes(status=(Status.IN_PROGRESS, Status.OPEN), assignee=(previous, None)),
    )
    return order


@transaction.atomic
def order_close(*, order: Order, actor: User, solution: str) -> Order:
    """Close an order with the solution that was applied."""
    solution = (solution or "").strip()
    if not solution:
        raise FieldError("solution", _("Describe the solution to close the order."))
    order = _lock(order)
    company_require_active(order.company)
    if order.status == Status.CLOSED:
        raise _refuse_transition(order, _("close"))
    previous_status, previous_solution = order.status, order.solution
    order.status = Status.CLOSED
    order.solution = solution
    order.closed_at = timezone.now()
    order.save(update_fields=["status", "solution", "closed_at", "updated_at"])
    _record(
        order,
        actor,
        Kind.CLOSED,
        event_changes(
            status=(previous_status, Status.CLOSED), solution=(previous_solution, solution)
        ),
    )
    return order


@transaction.atomic
def order_reopen(*, order: Order, actor: User) -> Order:
    """Reopen a closed order. It goes back to its technician if it had one. The solution
    no longer holds: it is emptied, and kept in the timeline as the reopen event's old
    value."""
    order = _lock(order)
    company_require_active(order.company)
    if order.status != Status.CLOSED:
        raise _refuse_transition(order, _("reopen"))
    changes = order_reopen_in_memory(order)
    order.save(update_fields=["status", "solution", "closed_at", "updated_at"])
    _record(order, actor, Kind.REOPENED, changes)
    return order


def order_reopen_in_memory(order: Order) -> dict:
    """Make a closed order, unsaved, what reopening makes it: back to its technician if it
    had one, else open; the solution emptied and kept as the event's old value. Returns
    the reopen event's data. The API (`order_reopen`) and e-mail (`orders.email`) share it."""
    previous_solution = order.solution
    order.status = Status.IN_PROGRESS if order.assignee_id else Status.OPEN
    order.solution, order.closed_at = "", None
    return event_changes(status=(Status.CLOSED, order.status), solution=(previous_solution, ""))


@transaction.atomic
def order_redirect(*, order: Order, actor: User, team: Team) -> Order:
    """Move an order to another team of its company; it waits there for a technician,
    open and not taken (`taken_at` cleared)."""
    order = _lock(order)
    company_require_active(order.company)
    if order.status == Status.CLOSED:
        raise _refuse_transition(order, _("redirect"))
    _check_team(order.company, team)
    if team.pk == order.team_id:
        raise FieldError("team", _("The order is already with this team."))
    previous_team, previous_assignee, previous_status = (
        order.team_id,
        order.assignee_id,
        order.status,
    )
    order.team = team
    order.assignee = None
    order.status = Status.OPEN
    order.taken_at = None
    order.save(update_fields=["team", "assignee", "status", "taken_at", "updated_at"])
    _record(
        order,
        actor,
        Kind.REDIRECTED,
        event_changes(
            status=(previous_status, Status.OPEN),
            team=(previous_team, team.pk),
            assignee=(previous_assignee, None),
        ),
    )
    return order


@transaction.atomic
def order_set_priority(*, order: Order, actor: User, priority: str) -> Order:
    """Change the priority (team lead or admin); the timeline keeps from and to."""
    order = _lock(order)
    company_require_active(order.company)
    if order.status == Status.CLOSED:
        raise _refuse_transition(order, _("reprioritise"))
    if priority != order.priority:
        previous = order.priority
        order.priority = priority
        order.save(update_fields=["priority", "updated_at"])
        order.refresh_from_db(fields=["priority_rank"])
        _record(order, actor, Kind.PRIORITY_CHANGED, event_changes(priority=(previous, priority)))
    return order


@transaction.atomic
def message_add(
    *,
    order: Order,
    author: User,
    body: str,
    is_internal: bool = False,
    subject: str = "",
    channel: str = Message.Channel.API,
) -> Message:
    """Add a reply (e-mailed to the other side) or an internal note (only the company's
    agents and admins write and read those). `subject` (one line, checked by the caller)
    is the e-mail's subject after the order's `[#id]` tag, instead of the order's title.
    Messages that arrive by e-mail are written by `orders.email.services`."""
    body = (body or "").strip()
    if not body:
        raise FieldError("body", _("Write something."))
    subject = " ".join(subject.split())  # a header is one line, whoever calls
    if is_internal and not sees_internal_notes(order_roles(author, order)):
        raise Forbidden(
            _("Only agents and admins write internal notes."), code="internal_forbidden"
        )
    company_require_active(order.company)
    message = Message.objects.create(
        order=order,
        author=author,
        subject=subject,
        body=body,
        is_internal=is_internal,
        channel=channel,
    )
    order.save(update_fields=["updated_at"])
    _record(order, author, Kind.MESSAGE_ADDED, {"message": message.pk}, message=message)
    return message
