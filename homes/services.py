"""Every change to homes, members, rules, routines, tasks and bills. Views call these."""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from core.emails import render_email
from core.exceptions import Conflict, FieldError, Forbidden, NotFound
from core.services import outbox_enqueue
from homes.models import Bill, Home, HomeInvitation, HomeMember, Routine, Rule, Task

ADMIN = HomeMember.Role.ADMIN


# --- Homes -----------------------------------------------------------------------------------

HOME_FIELDS = ("name", "address", "rent", "photo", "time_zone")


@transaction.atomic
def home_create(*, user: User, data: dict[str, Any]) -> Home:
    """Create a home; its creator becomes its first admin in the same transaction."""
    home = Home(created_by=user, **{key: data[key] for key in HOME_FIELDS if key in data})
    home.save()
    HomeMember.objects.create(home=home, user=user, role=ADMIN)
    return home


@transaction.atomic
def home_update(*, home: Home, data: dict[str, Any]) -> Home:
    """Change the home's own fields. A new time zone applies from the scheduler's next run;
    tasks already created keep their moment in time."""
    changed = [key for key in HOME_FIELDS if key in data]
    for key in changed:
        # A null photo clears it.
        setattr(home, key, "" if key == "photo" and data[key] is None else data[key])
    if changed:
        home.save(update_fields=[*changed, "updated_at"])
    return home


@transaction.atomic
def home_delete(*, home: Home) -> None:
    """Delete the home with everything in it (members, rules, routines, tasks, bills)."""
    Bill.objects.filter(home=home).delete()
    home.delete()


# --- Members and invitations -----------------------------------------------------------------


@dataclass(frozen=True)
class InviteResult:
    """An invitation either added an existing account at once or left a pending invitation."""

    status: str  # "joined" or "invited"
    member: HomeMember | None = None
    invitation: HomeInvitation | None = None


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def member_invite(*, home: Home, invited_by: User, email: str, role: str) -> InviteResult:
    """Invite a person by e-mail.

    An existing account joins at once and is told by e-mail. An unknown address gets one
    pending invitation (inviting again renews its token and expiry) and an e-mail with a
    link; the person registers with that address and accepts it. Someone already living
    here is a 409.
    """
    email = User.objects.normalize_email(email)
    invitee = User.objects.filter(email=email).first()
    if invitee is not None:
        try:
            with transaction.atomic():
                member = HomeMember.objects.create(home=home, user=invitee, role=role)
        except IntegrityError as exc:
            raise Conflict(
                _("This person already lives in this home."), code="already_member"
            ) from exc
        outbox_enqueue(
            key=f"homes.member_added.{member.pk}",
            to=invitee.email,
            email=render_email(
                "homes/email/member_added",
                {"home": home, "invited_by": invited_by, "user": invitee, "role": role},
                language=invitee.language,
            ),
        )
        return InviteResult(status="joined", member=member)

    token = secrets.token_urlsafe(32)
    expires_at = timezone.now() + timedelta(days=settings.HOMES_INVITATION_DAYS)
    invitation = (
        HomeInvitation.objects.select_for_update()
        .filter(home=home, email=email, accepted_at__isnull=True)
        .first()
    )
    if invitation is None:
        try:
            with transaction.atomic():
                invitation = HomeInvitation.objects.create(
                    home=home,
                    email=email,
                    role=role,
                    invited_by=invited_by,
                    token_hash=_token_hash(token),
                    expires_at=expires_at,
                )
        except IntegrityError as exc:  # the same address invited twice at the same moment
            raise Conflict(
                _("An invitation to this e-mail is being sent."), code="invitation_pending"
            ) from exc
    else:
        invitation.role = role
        invitation.invited_by = invited_by
        invitation.token_hash = _token_hash(token)
        invitation.expires_at = expires_at
        invitation.save(
            update_fields=["role", "invited_by", "token_hash", "expires_at", "updated_at"]
        )
    outbox_enqueue(
        key=f"homes.invitation.{invitation.pk}.{invitation.token_hash[:16]}",
        to=email,
        email=render_email(
            "homes/email/invitation",
            {
                "home": home,
                "invited_by": invited_by,
                "token": token,
                "accept_url": f"{settings.SITE_URL}/api/v1/homes/invitations/{token}/accept",
                "expires_at": expires_at,
            },
            language=invited_by.language,
        ),
    )
    return InviteResult(status="invited", invitation=invitation)


@transaction.atomic
def invitation_accept(*, user: User, token: str) -> HomeMember:
    """Join the home of a pending, unexpired invitation addressed to the user's e-mail.

    Any other case (unknown token, another person's invitation, expired, already used) is
    the same 404, so a token reveals nothing about other people. Accepting twice at once
    joins once: the invitation row is locked.
    """
    invitation = (
        HomeInvitation.objects.select_for_update()
        .filter(
            token_hash=_token_hash(token),
            accepted_at__isnull=True,
            expires_at__gt=timezone.now(),
            email=user.email,
        )
        .first()
    )
    if invitation is None:
        raise NotFound(_("This invitation does not exist or has expired."), code="not_found")
    member, _created = HomeMember.objects.get_or_create(
        home_id=invitation.home_id, user=user, defaults={"role": invitation.role}
    )
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at", "updated_at"])
    return member


def _lock_admins(home_id: int) -> list[int]:
    # Lock every admin row of the home, in id order, so two demotions cannot both pass the
    # "another admin remains" check.
    return list(
        HomeMember.objects.select_for_update()
        .filter(home_id=home_id, role=ADMIN)
        .order_by("id")
        .values_list("pk", flat=True)
    )


@transaction.atomic
def member_change_role(*, member: HomeMember, role: str) -> HomeMember:
    """Change a member's role. A home always keeps at least one admin (409 otherwise)."""
    admins = _lock_admins(member.home_id)
    if member.role == ADMIN and role != ADMIN and admins == [member.pk]:
        raise Conflict(_("A home needs at least one admin."), code="last_admin")
    if member.role != role:
        member.role = role
        member.save(update_fields=["role", "updated_at"])
    return member


@transaction.atomic
def member_remove(*, member: HomeMember) -> None:
    """Remove a member (an admin removing someone, or a person leaving).

    The last admin cannot leave while others live there (409). The person's pending tasks
    become unassigned and they drop out of the home's routines; their bills stay, so money
    owed is never forgotten.
    """
    admins = _lock_admins(member.home_id)
    others = HomeMember.objects.filter(home_id=member.home_id).exclude(pk=member.pk)
    if admins == [member.pk] and others.exists():
        raise Conflict(_("A home needs at least one admin."), code="last_admin")
    Task.objects.filter(
        home_id=member.home_id,
        assignee_id=member.user_id,
        status__in=[Task.Status.PENDING, Task.Status.OVERDUE],
    ).update(assignee=None, updated_at=timezone.now())
    routines = Routine.objects.filter(home_id=member.home_id)
    routines.filter(responsible_id=member.user_id).update(
        responsible=None, updated_at=timezone.now()
    )
    Routine.rotation_members.through.objects.filter(
        routine__in=routines, user_id=member.user_id
    ).delete()
    member.delete()


# --- Rules -----------------------------------------------------------------------------------


@transaction.atomic
def rule_create(*, home: Home, user: User, text: str) -> Rule:
    """Add one house rule."""
    return Rule.objects.create(home=home, created_by=user, text=text)


@transaction.atomic
def rule_update(*, rule: Rule, text: str) -> Rule:
    """Rewrite one house rule."""
    rule.text = text
    rule.save(update_fields=["text", "updated_at"])
    return rule


@transaction.atomic
def rule_delete(*, rule: Rule) -> None:
    """Delete one house rule."""
    rule.delete()


# --- Routines --------------------------------------------------------------------------------

ROUTINE_FIELDS = (
    "name",
    "description",
    "weekdays",
    "time_limit",
    "assignment",
    "responsible",
    "points",
    "penalty_amount",
    "valid_from",
    "valid_until",
)


def _check_members(home: Home, field: str, users: list[User]) -> None:
    ids = {user.pk for user in users}
    found = set(
        HomeMember.objects.filter(home=home, user_id__in=ids).values_list("user_id", flat=True)
    )
    if ids - found:
        raise FieldError(field, _("Choose people who live in this home."), code="not_a_member")


def _check_routine(routine: Routine, rotation: list[User]) -> None:
    if routine.assignment == Routine.Assignment.FIXED:
        if routine.responsible is None:
            raise FieldError("responsible", _("Choose who is responsible."), code="required")
        _check_members(routine.home, "responsible", [routine.responsible])
    else:
        if not rotation:
            raise FieldError(
                "rotation_members", _("Choose at least one person to rotate."), code="required"
            )
        _check_members(routine.home, "rotation_members", rotation)
    if routine.valid_until is not None and routine.valid_until < routine.valid_from:
        raise FieldError(
            "valid_until", _("Valid until must not be before valid from."), code="invalid"
        )


@transaction.atomic
def routine_create(*, home: Home, user: User, data: dict[str, Any]) -> Routine:
    """Create a routine. Its people must live in the home; it starts producing tasks from
    the scheduler's next run (today's occurrence only if its time limit is still ahead)."""
    data = dict(data)
    rotation = list(data.pop("rotation_members", []))
    fields = {key: data[key] for key in ROUTINE_FIELDS if key in data}
    fields.setdefault("valid_from", timezone.now().astimezone(home.zone).date())
    routine = Routine(home=home, created_by=user, **fields)
    _check_routine(routine, rotation)
    routine.save()
    routine.rotation_members.set(rotation)
    return routine


@transaction.atomic
def routine_update(*, routine: Routine, data: dict[str, Any]) -> Routine:
    """Change a routine. Tasks already created keep their assignee and due time."""
    data = dict(data)
    rotation = data.pop("rotation_members", None)
    changed = [key for key in ROUTINE_FIELDS if key in data]
    for key in changed:
        setattr(routine, key, data[key])
    current_rotation = list(routine.rotation_members.all()) if rotation is None else rotation
    _check_routine(routine, current_rotation)
    if changed:
        routine.save(update_fields=[*changed, "updated_at"])
    if rotation is not None:
        routine.rotation_members.set(rotation)
    return routine


@transaction.atomic
def routine_delete(*, routine: Routine) -> None:
    """Delete a routine; the tasks it created stay, no longer linked to it."""
    routine.delete()


# --- Tasks -----------------------------------------------------------------------------------

TASK_FIELDS = ("title", "description", "assignee", "due_at", "points")


def _check_task_points(*, home: Home, user: User, points: int | None) -> None:
    if points and not user.is_staff and ADMIN not in _roles(home, user):
        raise Forbidden(_("Only a home admin can give a task points."), code="points_admin_only")


def _roles(home: Home, user: User) -> set[str]:
    return set(HomeMember.objects.filter(home=home, user=user).values_list("role", flat=True))


@transaction.atomic
def task_create(*, home: Home, user: User, data: dict[str, Any]) -> Task:
    """Create a one-off task. The assignee must live in the home; only admins set points."""
    fields = {key: data[key] for key in TASK_FIELDS if key in data}
    if fields.get("assignee") is not None:
        _check_members(home, "assignee", [fields["assignee"]])
    _check_task_points(home=home, user=user, points=fields.get("points"))
    return Task.objects.create(home=home, created_by=user, **fields)


@transaction.atomic
def task_update(*, task: Task, user: User, data: dict[str, Any]) -> Task:
    """Edit a task that is not done yet (409 once done: its points were already awarded)."""
    task = Task.objects.select_for_update().get(pk=task.pk)
    if task.status == Task.Status.DONE:
        raise Conflict(_("A done task cannot be changed."), code="task_done", status=task.status)
    changed = [key for key in TASK_FIELDS if key in data]
    if data.get("assignee") is not None:
        _check_members(task.home, "assignee", [data["assignee"]])
    if "points" in data and data["points"] != task.points:
        _check_task_points(home=task.home, user=user, points=data["points"])
    for key in changed:
        setattr(task, key, data[key])
    if "due_at" in data and task.status == Task.Status.OVERDUE and task.due_at > timezone.now():
        # A new deadline in the future makes the task pending again.
        task.status = Task.Status.PENDING
        task.reminded_at = None
        changed += ["status", "reminded_at"]
    if changed:
        task.save(update_fields=[*changed, "updated_at"])
    return task


@transaction.atomic
def task_delete(*, task: Task) -> None:
    """Delete a task (a done task's points stay with whoever earned them)."""
    task.delete()


@transaction.atomic
def task_complete(*, task: Task, user: User) -> Task:
    """Mark a pending or overdue task done and award its points exactly once.

    A conditional UPDATE (status still pending/overdue → done) decides who wins: of two
    completions at once, one changes the row and awards the points with an F() increment;
    the other gets 409. The points go to the assignee, or to whoever completed an
    unassigned task.
    """
    now = timezone.now()
    awarded_to = task.assignee_id or user.pk
    won = Task.objects.filter(
        pk=task.pk, status__in=[Task.Status.PENDING, Task.Status.OVERDUE]
    ).update(
        status=Task.Status.DONE,
        completed_at=now,
        completed_by=user,
        points_awarded_to_id=awarded_to,
        updated_at=now,
    )
    if not won:
        raise Conflict(_("This task is already done."), code="task_done", status="done")
    task.refresh_from_db()
    HomeMember.objects.filter(home_id=task.home_id, user_id=awarded_to).update(
        points=F("points") + task.points, updated_at=now
    )
    return task


# --- Bills -----------------------------------------------------------------------------------

BILL_FIELDS = ("debtor", "creditor", "amount", "description", "due_date")


def _check_bill_people(home: Home, debtor: User, creditor: User) -> None:
    _check_members(home, "debtor", [debtor])
    _check_members(home, "creditor", [creditor])
    if debtor.pk == creditor.pk:
        raise FieldError("creditor", _("Debtor and creditor must differ."), code="same_person")


@transaction.atomic
def bill_create(*, home: Home, user: User, data: dict[str, Any]) -> Bill:
    """Record that one member owes another. A resident may only bill others for themself
    (they are the creditor); an admin may record any bill between members."""
    fields = {key: data[key] for key in BILL_FIELDS if key in data}
    _check_bill_people(home, fields["debtor"], fields["creditor"])
    if fields["creditor"].pk != user.pk and not user.is_staff and ADMIN not in _roles(home, user):
        raise Forbidden(_("You can only bill others for yourself."), code="not_creditor")
    return Bill.objects.create(home=home, created_by=user, **fields)


@transaction.atomic
def bill_update(*, bill: Bill, data: dict[str, Any]) -> Bill:
    """Change an unpaid bill's amount, description or due date (409 once paid)."""
    bill = Bill.objects.select_for_update().get(pk=bill.pk)
    if bill.is_paid:
        raise Conflict(_("A paid bill cannot be changed."), code="bill_paid")
    changed = [key for key in ("amount", "description", "due_date") if key in data]
    for key in changed:
        setattr(bill, key, data[key])
    if "due_date" in changed:
        bill.reminded_at = None
        changed.append("reminded_at")
    if changed:
        bill.save(update_fields=[*changed, "updated_at"])
    return bill


@transaction.atomic
def bill_delete(*, bill: Bill) -> None:
    """Delete an unpaid bill (409 once paid: it is part of the home's history)."""
    if Bill.objects.filter(pk=bill.pk, is_paid=True).exists():
        raise Conflict(_("A paid bill cannot be deleted."), code="bill_paid")
    bill.delete()


@transaction.atomic
def bill_pay(*, bill: Bill) -> Bill:
    """Mark a bill paid, once: a conditional UPDATE; a second call is a 409."""
    now = timezone.now()
    if not Bill.objects.filter(pk=bill.pk, is_paid=False).update(
        is_paid=True, paid_at=now, updated_at=now
    ):
        raise Conflict(_("This bill is already paid."), code="bill_paid")
    bill.refresh_from_db()
    return bill


# --- Balances --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Transfer:
    debtor_id: int
    creditor_id: int
    amount: Decimal


def settle(net: dict[int, Decimal]) -> list[Transfer]:
    """Turn net positions (positive: is owed; negative: owes) into transfers.

    Greedy: the largest debtor pays the largest creditor as much as both allow, and the one
    who is settled drops out. Each step settles at least one person, so there are at most
    n - 1 transfers; ties break by user id, so the answer is stable.
    """
    debtors = sorted(((-v, k) for k, v in net.items() if v < 0), key=lambda x: (-x[0], x[1]))
    creditors = sorted(((v, k) for k, v in net.items() if v > 0), key=lambda x: (-x[0], x[1]))
    transfers: list[Transfer] = []
    while debtors and creditors:
        owed, debtor = debtors.pop(0)
        due, creditor = creditors.pop(0)
        amount = min(owed, due)
        transfers.append(Transfer(debtor, creditor, amount))
        if owed > amount:
            debtors.append((owed - amount, debtor))
            debtors.sort(key=lambda x: (-x[0], x[1]))
        if due > amount:
            creditors.append((due - amount, creditor))
            creditors.sort(key=lambda x: (-x[0], x[1]))
    return transfers
