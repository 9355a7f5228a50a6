"""Members and invitations: who lives in a home and with which role."""

import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from core.emails import render_email
from core.exceptions import Conflict, NotFound
from core.links import invitation_link
from core.services import outbox_enqueue
from homes.models import Home, HomeInvitation, HomeMember, Routine, Task
from homes.selectors import invitation_token_hash
from homes.services._shared import ADMIN


@dataclass(frozen=True)
class InviteResult:
    """An invitation either added an existing account at once or left a pending invitation."""

    status: str  # "joined" or "invited"
    member: HomeMember | None = None
    invitation: HomeInvitation | None = None


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
                    token_hash=invitation_token_hash(token),
                    expires_at=expires_at,
                )
        except IntegrityError as exc:  # the same address invited twice at the same moment
            raise Conflict(
                _("An invitation to this e-mail is being sent."), code="invitation_pending"
            ) from exc
    else:
        invitation.role = role
        invitation.invited_by = invited_by
        invitation.token_hash = invitation_token_hash(token)
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
                "accept_url": invitation_link(token),
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
            token_hash=invitation_token_hash(token),
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
