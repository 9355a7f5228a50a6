"""Every change to service orders. Each runs in one transaction, locks the order it
changes, checks the allowed source states, writes an audit event and the e-mails that
announce it (through the outbox, so they leave only if the change commits)."""

from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from companies.models import Company, Membership, Team
from companies.selectors import STAFF_ROLES
from companies.services import company_require_active
from core.exceptions import Conflict, FieldError, Forbidden, NotFound, PayloadTooLarge
from core.services import model_update
from desk.services import satisfaction_request
from equipment.models import Equipment
from equipment.services import equipment_check_for_order
from orders import files, notifications
from orders.models import Attachment, Message, Order, OrderEvent, OrderRole
from orders.selectors import SUPPORT_ROLES, order_roles, sees_internal_notes
from sla import services as sla_services
from webhooks.services import webhook_deliveries_enqueue

Status = Order.Status
Kind = OrderEvent.Kind
EDITABLE_FIELDS = ("title", "description", "equipment", "site_address", "equipment_item")


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
    is_internal: bool = False,
) -> OrderEvent:
    event = OrderEvent.objects.create(
        order=order,
        actor=actor,
        kind=kind,
        data=data or {},
        is_internal=is_internal or bool(message and message.is_internal),
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
    equipment_item: Equipment | None = None,
) -> Order:
    """Open an order for the requester in one of their companies. Only the company's
    agents and admins may set a priority when opening; the team and the equipment item
    must be the company's (the item not retired).
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
    if equipment_item is not None:
        equipment_item = equipment_check_for_order(company=company, item=equipment_item)
    order = Order.objects.create(
        company=company,
        requester=requester,
        team=team,
        equipment_item=equipment_item,
        title=title,
        description=description,
        equipment=equipment,
        site_address=site_address,
        priority=priority or Order.Priority.MEDIUM,
        channel=channel,
    )
    sla_services.order_sla_start(order=order)
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
    item = data.get("equipment_item")
    if item is not None and item.pk != order.equipment_item_id:  # kept as it is: no check
        equipment_check_for_order(company=order.company, item=item)
    # Ids, not objects, for a foreign key: the event's data is JSON.
    before = {key: _audited(order, key) for key in EDITABLE_FIELDS}
    order, changed = model_update(instance=order, data=data, fields=EDITABLE_FIELDS)
    if changed:
        OrderEvent.objects.create(
            order=order,
            actor=actor,
            kind=Kind.UPDATED,
            data=event_changes(**{key: (before[key], _audited(order, key)) for key in changed}),
        )
    return order


def _audited(order: Order, key: str) -> Any:
    return getattr(order, Order._meta.get_field(key).attname)


@transaction.atomic
def order_delete(*, order: Order) -> None:
    """Delete an order with its messages, timeline and files (company admins and staff);
    the stored files go once the deletion commits."""
    company_require_active(order.company)
    stored = list(order.attachments.exclude(file="").values_list("file", flat=True))
    order.delete()
    _files_delete_on_commit(stored)


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
    sla_services.order_sla_follow(order=order, previous_status=previous_status)
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
    if order.status not in (Status.IN_PROGRESS, Status.WAITING):
        raise _refuse_transition(order, _("release"))
    previous, previous_status = order.assignee_id, order.status
    order.assignee = None
    order.status = Status.OPEN
    order.taken_at = None
    order.save(update_fields=["assignee", "status", "taken_at", "updated_at"])
    sla_services.order_sla_follow(order=order, previous_status=previous_status)
    _record(
        order,
        actor,
        Kind.RELEASED,
        event_changes(status=(previous_status, Status.OPEN), assignee=(previous, None)),
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
    sla_services.order_sla_follow(order=order, previous_status=previous_status)
    _record(
        order,
        actor,
        Kind.CLOSED,
        event_changes(
            status=(previous_status, Status.CLOSED), solution=(previous_solution, solution)
        ),
    )
    satisfaction_request(order=order)
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
    sla_services.order_sla_follow(order=order, previous_status=Status.CLOSED)
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
    sla_services.order_sla_follow(order=order, previous_status=previous_status)
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
        sla_services.order_sla_reprioritise(order=order)
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
    if not is_internal:
        sla_services.order_sla_first_response(order=order, author=author, at=message.created_at)
        if author.pk == order.requester_id:
            order_resume(order=order, actor=author)
    return message


@transaction.atomic
def order_wait(*, order: Order, actor: User, note: str = "") -> Order:
    """Put an in-progress order on hold until its requester answers (assignee, team lead or
    admin): the SLA clocks pause. The optional note is a reply to the requester (so their
    e-mail says what is asked); without it they are told the order waits on them."""
    order = _lock(order)
    company_require_active(order.company)
    if order.status != Status.IN_PROGRESS:
        raise _refuse_transition(order, _("put on hold"))
    message = None
    note = (note or "").strip()
    if note:
        message = Message.objects.create(order=order, author=actor, body=note)
        sla_services.order_sla_first_response(order=order, author=actor, at=message.created_at)
    order.status = Status.WAITING
    order.save(update_fields=["status", "updated_at"])
    sla_services.order_sla_follow(order=order, previous_status=Status.IN_PROGRESS)
    data = event_changes(status=(Status.IN_PROGRESS, Status.WAITING))
    if message is not None:
        data["message"] = message.pk
    _record(order, actor, Kind.WAITING, data, message=message)
    return order


def order_resume(*, order: Order, actor: User | None) -> bool:
    """A waiting order goes back to in progress because its requester answered (by the API
    or by e-mail); the SLA clocks resume, their due times moved by the business time spent
    waiting. A conditional UPDATE, in the caller's transaction: an order no longer waiting
    is left alone. Says whether it resumed."""
    resumed = Order.objects.filter(pk=order.pk, status=Status.WAITING).update(
        status=Status.IN_PROGRESS, updated_at=timezone.now()
    )
    if not resumed:
        return False
    order.status = Status.IN_PROGRESS
    sla_services.order_sla_follow(order=order, previous_status=Status.WAITING)
    _record(order, actor, Kind.RESUMED, event_changes(status=(Status.WAITING, Status.IN_PROGRESS)))
    return True


def _files_delete_on_commit(names: list[str]) -> None:
    """Remove stored files once the rows that named them are gone for good: a rollback
    keeps both."""
    field = Attachment._meta.get_field("file")
    if names:
        transaction.on_commit(lambda: [field.storage.delete(name) for name in names])


@transaction.atomic
def attachment_upload(
    *, order: Order, uploader: User, file: UploadedFile, message: Message | None = None
) -> Attachment:
    """Attach a file to an order, or to one of the uploader's own messages on it (then it
    is hidden wherever the message is: an internal note's files only reach staff). The
    file must be within ATTACHMENT_MAX_BYTES, of a type ATTACHMENT_ALLOWED_TYPES allows,
    named and made as that type (`orders.files`); it is stored only once all of that
    holds, and removed again if the row cannot be written, so a refusal leaves nothing."""
    company_require_active(order.company)
    if message is not None and (message.order_id != order.pk or message.author_id != uploader.pk):
        raise Forbidden(_("Attach files to your own messages."), code="message_not_yours")
    limit = settings.ATTACHMENT_MAX_BYTES
    if file.size > limit:
        raise PayloadTooLarge(
            _("The file is larger than %(limit)s bytes.") % {"limit": limit},
            code="attachment_too_large",
        )
    if not file.size:
        raise files.AttachmentRefused(_("The file is empty."), code="attachment_empty")
    filename = files.clean_filename(file.name)
    content_type = files.attachment_type(
        filename=filename,
        declared_type=file.content_type,
        allowed=settings.ATTACHMENT_ALLOWED_TYPES,
    )
    files.check_content(file, content_type)
    attachment = Attachment(
        order=order,
        message=message,
        source=Attachment.Source.UPLOAD,
        uploaded_by=uploader,
        filename=filename,
        content_type=content_type,
        size=file.size,
    )
    attachment.file.save(files.storage_name(filename), file, save=False)
    try:
        attachment.save()
        order.save(update_fields=["updated_at"])
    except Exception:
        attachment.file.delete(save=False)
        raise
    return attachment


@transaction.atomic
def attachment_delete(*, attachment: Attachment, actor: User) -> None:
    """Delete a file: whoever sent it (uploader or e-mail sender), the company's admins and
    staff. The row is locked, so two deletions at once delete it once; the stored file
    goes after commit."""
    order = attachment.order
    company_require_active(order.company)
    may_delete = attachment.uploaded_by_id == actor.pk or order_roles(actor, order) & {
        OrderRole.STAFF,
        OrderRole.ADMIN,
    }
    if not may_delete:
        raise Forbidden(
            _("Only whoever sent the file and the company's admins delete it."),
            code="attachment_not_yours",
        )
    locked = Attachment.objects.select_for_update().filter(pk=attachment.pk).first()
    if locked is None:
        raise NotFound()
    stored = [locked.file.name] if locked.file else []
    locked.delete()
    _files_delete_on_commit(stored)
