"""Every change to events and registrations. Views call these; nothing else writes."""

from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from core.emails import render_email
from core.exceptions import Conflict, FieldError, Forbidden, NotFound
from core.services import model_update, outbox_enqueue
from events.models import Event, Registration
from ongs.models import Ong
from ongs.selectors import ong_roles_of

EDITABLE_FIELDS = ("title", "description", "address", "starts_at", "ends_at", "capacity")
# An event created without `ends_at` lasts this long.
DEFAULT_DURATION = timedelta(hours=2)
# Two registrations of one person must be at least this far apart (seed Cola&Bora).
REGISTRATION_GAP = timedelta(hours=1)


def _check_dates(starts_at, ends_at) -> None:
    if ends_at <= starts_at:
        raise FieldError(
            "ends_at", _("The event must end after it starts."), code="ends_before_start"
        )


def _check_not_past(starts_at) -> None:
    if starts_at < timezone.now():
        raise FieldError("starts_at", _("An event cannot start in the past."), code="in_past")


@transaction.atomic
def event_create(*, ong: Ong, data: dict[str, Any]) -> Event:
    """Publish an event of `ong` (the caller checked the actor manages it). It starts now or
    later and ends after it starts (`DEFAULT_DURATION` after when no end is given); an
    inactive NGO publishes nothing."""
    if not ong.is_active:
        raise Conflict(_("This NGO is inactive."), code="ong_inactive")
    fields = {key: data[key] for key in EDITABLE_FIELDS if key in data}
    _check_not_past(fields["starts_at"])
    fields.setdefault("ends_at", fields["starts_at"] + DEFAULT_DURATION)
    _check_dates(fields["starts_at"], fields["ends_at"])
    return Event.objects.create(ong=ong, **fields)


@transaction.atomic
def event_update(*, event: Event, data: dict[str, Any]) -> Event:
    """Change an event's details. The event row is locked so that a capacity cut cannot slip
    under registrations being made: capacity never drops below who already registered.
    `starts_at` cannot move into the past; the other details of an event that already
    started stay editable (and its own start may be sent back unchanged)."""
    locked = Event.objects.select_for_update().get(pk=event.pk)
    if "starts_at" in data and data["starts_at"] != locked.starts_at:
        _check_not_past(data["starts_at"])
    _check_dates(data.get("starts_at", locked.starts_at), data.get("ends_at", locked.ends_at))
    if data.get("capacity") is not None:
        registered = locked.registrations.count()
        if data["capacity"] < registered:
            raise FieldError(
                "capacity",
                _("%(count)d people are already registered.") % {"count": registered},
                code="below_registrations",
            )
    locked, _changed = model_update(instance=locked, data=data, fields=EDITABLE_FIELDS)
    return locked


@transaction.atomic
def event_deactivate(*, event: Event) -> None:
    """Cancel (hide) an event; it takes no more registrations. Registrations are kept."""
    Event.objects.filter(pk=event.pk).update(is_active=False, updated_at=timezone.now())
    event.is_active = False


def _notify(registration: Registration, event: Event, user: User, what: str) -> None:
    outbox_enqueue(
        key=f"events:registration:{registration.pk}:{what}",
        to=user.email,
        email=render_email(
            f"events/email/registration_{what}",
            {"event": event, "ong": event.ong, "user": user},
            language=user.language,
        ),
    )


def _overlapping_registration(*, user: User, event: Event) -> Registration | None:
    """The user's registration, if any, for another live event that overlaps `event` or is
    less than `REGISTRATION_GAP` before or after it: other.starts_at < event.ends_at + gap
    and other.ends_at > event.starts_at - gap (a gap of exactly one hour is fine).
    Registrations for cancelled events or deactivated NGOs do not count; a cancelled
    registration is deleted, so it never does."""
    return (
        Registration.objects.filter(
            user=user,
            event__is_active=True,
            event__ong__is_active=True,
            event__starts_at__lt=event.ends_at + REGISTRATION_GAP,
            event__ends_at__gt=event.starts_at - REGISTRATION_GAP,
        )
        .exclude(event=event)
        .select_related("event")
        .order_by("event__starts_at", "event_id")
        .first()
    )


@transaction.atomic
def registration_create(*, event: Event, user: User) -> Registration:
    """Register `user` for `event` and e-mail them a confirmation.

    Locks, in this order: the user's row, so one person's registrations are checked for
    overlaps one at a time (two at once for clashing events: exactly one wins); then the
    event row, so registrations for one event are counted one at a time and capacity holds
    however many arrive at once. The unique (event, user) constraint refuses a second seat.
    403 `own_ngo_event` for the NGO's owner and admins; 409 when already registered,
    registered for an event less than an hour apart, full, started or cancelled.
    """
    User.objects.select_for_update().filter(pk=user.pk).values_list("pk").get()
    event = Event.objects.select_for_update().select_related("ong").get(pk=event.pk)
    if not (event.is_active and event.ong.is_active):
        raise Conflict(_("This event does not take registrations."), code="event_inactive")
    if ong_roles_of(user, event.ong):
        raise Forbidden(
            _("The NGO's owner and admins do not register for its events."),
            code="own_ngo_event",
        )
    if timezone.now() >= event.starts_at:
        raise Conflict(_("Registration closed when the event started."), code="registration_closed")
    if Registration.objects.filter(event=event, user=user).exists():
        raise Conflict(_("You are already registered for this event."), code="already_registered")
    clash = _overlapping_registration(user=user, event=event)
    if clash is not None:
        raise Conflict(
            _("You are registered for another event less than an hour apart from this one."),
            code="registration_overlaps",
            conflicting_event={"id": clash.event.pk, "title": clash.event.title},
        )
    if event.capacity is not None and event.registrations.count() >= event.capacity:
        raise Conflict(_("This event is full."), code="event_full")
    try:
        with transaction.atomic():
            registration = Registration.objects.create(event=event, user=user)
    except IntegrityError as exc:
        raise Conflict(
            _("You are already registered for this event."), code="already_registered"
        ) from exc
    _notify(registration, event, user, "confirmed")
    return registration


@transaction.atomic
def registration_cancel(*, event: Event, user: User) -> None:
    """Give up the user's seat (before the event starts) and e-mail them. 404 when they are
    not registered; the seat is free for someone else at once."""
    event = Event.objects.select_for_update().select_related("ong").get(pk=event.pk)
    registration = Registration.objects.filter(event=event, user=user).first()
    if registration is None:
        raise NotFound(_("You are not registered for this event."), code="not_registered")
    if timezone.now() >= event.starts_at:
        raise Conflict(
            _("The event has started; the registration can no longer be cancelled."),
            code="registration_closed",
        )
    _notify(registration, event, user, "cancelled")
    registration.delete()
