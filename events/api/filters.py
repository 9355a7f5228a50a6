import django_filters

from accounts.models import User
from core.filters import FilterSet, IdFilter, IsoDateTimeFilter
from events.models import Event, Registration


class EventFilter(FilterSet):
    # A plain number, not a choice: an unknown and a hidden NGO id both give an empty page.
    ong = IdFilter(field_name="ong_id")
    starts_after = IsoDateTimeFilter(field_name="starts_at", lookup_expr="gte")
    starts_before = IsoDateTimeFilter(field_name="starts_at", lookup_expr="lt")
    upcoming = django_filters.BooleanFilter(method="filter_upcoming")

    class Meta:
        model = Event
        fields = ["ong", "is_active", "starts_after", "starts_before", "upcoming"]

    def filter_upcoming(self, queryset, name, value):
        from django.utils import timezone

        now = timezone.now()
        return queryset.filter(starts_at__gt=now) if value else queryset.filter(starts_at__lte=now)


class RegistrationFilter(django_filters.FilterSet):
    name = django_filters.CharFilter(field_name="user__name", lookup_expr="icontains")

    class Meta:
        model = Registration
        fields = ["name"]


class ParticipantFilter(django_filters.FilterSet):
    name = django_filters.CharFilter(lookup_expr="icontains")
    email = django_filters.CharFilter(lookup_expr="icontains")

    class Meta:
        model = User
        fields = ["name", "email"]
