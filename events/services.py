"""Every change to events and registrations. Views call these; nothing else writes."""

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from core.emails import render_email
from core.exceptions import Conflict, FieldError, NotFound
from core.services import outbox_enqueue
from events.models import Event, Registration
from ongs.models import Ong

EDITABLE_FIELDS = ("title", "description", "address", "starts_at", "ends_at", "capacity")


def _check_dates(starts_at, ends_at) -> None:
    if ends_at <= starts_at:
        raise FieldError(
            "ends_at", _("The event must end after it starts."), code="ends_before_start"
        )


@transaction.atomic
def event_create(*, ong: Ong, data: dict[str, Any]) -> Event:
    """Publish an event of `ong` (the caller checked the actor manages it). Ends after it
    starts; an inactive NGO publishes nothing."""
    if not ong.is_active:
        raise Conflict(_("This NGO is inactive."), code="ong_inactive")
    fields = {key: data[key] for key in EDITABLE_FIELDS if key in data}
    _check_dates(fields["starts_at"], fields["ends_at"])
    return Event.objects.create(ong=ong, **fields)


@transaction.atomic
def event_update(*, event: Event, data: dict[str, Any]) -> Event:
    """Change an event's details. The event row is locked so that a capacity cut cannot slip
    under registrations being made: capacity never drops below who already registered."""
    locked = Event.objects.select_for_update().get(pk=event.pk)
    changed = [key for key in EDITABLE_FIELDS if key in data]
    for key in changed:
        setattr(locked, key, data[key])
    _check_dates(locked.starts_at, locked.ends_at)
    if "capacity" in changed and locked.capacity is not None:
        registered = locked.registrations.count()
        if locked.capacity < registered:
            raise FieldError(
                "capacity",
                _("%(count)d people are already registered.") % {"count": registered},
                code="below_registrations",
            )
    if changed:
        locked.save(update_fields=[*changed, "updated_at"])
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


@transaction.atomic
def registration_create(*, event: Event, user: User) -> Registration:
    """Register `user` for `event` and e-mail them a confirmation.

    The event row is locked first, so registrations for one event are counted one at a
    time and capacity holds however many arrive at once; the unique (event, user)
    constraint refuses a second seat. 409 when already registered, full, started or
    cancelled.
    """
    event = Event.objects.select_for_update().select_related("ong").get(pk=event.pk)
    if not (event.is_active and event.ong.is_active):
        raise Conflict(_("This event does not take registrations."), code="event_inactive")
    if timezone.now() >= event.starts_at:
        raise Conflict(_("Registration closed when the event started."), code="registration_closed")
    if Registration.objects.filter(event=event, user=user).exists():
        raise Conflict(_("You are already registered for this event."), code="already_registered")
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
