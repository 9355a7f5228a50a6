"""Querysets of events and registrations scoped to the person asking."""

from django.db.models import BooleanField, Count, Exists, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from accounts.models import User
from core.exceptions import NotFound
from events.models import Event, Registration
from ongs.models import Ong
from ongs.selectors import ong_list_managed_by


def event_list_visible_to(user: User) -> QuerySet[Event]:
    """Active events of active NGOs for everyone; the NGO's managers also see their inactive
    ones; staff see all. Each row carries `registered_count` and, for a logged-in user,
    `is_registered`, computed in the same query."""
    # A correlated count, not a JOIN + GROUP BY: it runs only for the rows of the page, and
    # counting the list needs no grouping (one registration per person and event).
    registrations = (
        Registration.objects.filter(event_id=OuterRef("pk"))
        .order_by()
        .values("event_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    queryset = Event.objects.select_related("ong").annotate(
        registered_count=Coalesce(Subquery(registrations), 0)
    )
    if user.is_authenticated:
        queryset = queryset.annotate(
            is_registered=Exists(
                Registration.objects.filter(event_id=OuterRef("pk"), user_id=user.pk)
            )
        )
    else:
        queryset = queryset.annotate(is_registered=Value(False, output_field=BooleanField()))
    if user.is_authenticated and user.is_staff:
        return queryset
    public = Q(is_active=True, ong__is_active=True)
    if not user.is_authenticated:
        return queryset.filter(public)
    return queryset.filter(public | Q(ong__in=ong_list_managed_by(user)))


def event_get_visible_to(user: User, pk: int) -> Event:
    try:
        return event_list_visible_to(user).get(pk=pk)
    except Event.DoesNotExist as exc:
        raise NotFound() from exc


def registration_list_for_event(event: Event) -> QuerySet[Registration]:
    """Who registered for an event; callers check the reader manages its NGO."""
    return Registration.objects.filter(event=event).select_related("user")


def participant_list_for_ong(ong: Ong) -> QuerySet[User]:
    """The people registered in any of the NGO's events, once each, with how many of its
    events they registered for; callers check the reader manages the NGO."""
    return User.objects.filter(event_registrations__event__ong=ong).annotate(
        events_count=Count("event_registrations", filter=Q(event_registrations__event__ong=ong))
    )
