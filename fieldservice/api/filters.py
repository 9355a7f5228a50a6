from datetime import datetime, timedelta

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from core.filters import (
    ChoicesFilter,
    FilterSet,
    FilterSetOrdering,
    IdFilter,
    UTCIsoDateTimeField,
)
from fieldservice import selectors
from fieldservice.models import Visit

DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y")


class DayOrMomentField(forms.Field):
    """A date (`2026-05-04`, `04/05/2026`) or an ISO 8601 date-time, in UTC once read."""

    def to_python(self, value):
        if value in (None, ""):
            return None
        for pattern in DATE_FORMATS:
            try:
                return datetime.strptime(value.strip(), pattern).date()
            except ValueError:
                continue
        try:
            return UTCIsoDateTimeField().to_python(value)
        except ValidationError as exc:
            raise ValidationError(
                _("Enter a date (YYYY-MM-DD or dd/mm/yyyy) or an ISO 8601 date-time."),
                code="invalid",
            ) from exc


@extend_schema_field(OpenApiTypes.STR)
class DayOrMomentFilter(django_filters.Filter):
    """A bound of the agenda: a date is a whole day in each visit's company time zone; a
    date-time is that instant."""

    field_class = DayOrMomentField

    def __init__(self, *args, upper: bool = False, **kwargs):
        self.upper = upper
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if value is None:
            return qs
        if isinstance(value, datetime):
            return qs.filter(**{"starts_at__lte" if self.upper else "starts_at__gte": value})
        zones = selectors.visit_zone_names(qs)
        if self.upper:
            next_day = min(value, selectors.LATEST_DAY) + timedelta(days=1)
            return qs.filter(selectors.visits_starting_before(zones, next_day))
        return qs.filter(selectors.visits_starting_from(zones, value))


class VisitFilter(FilterSet):
    technician = IdFilter(field_name="technician_id")
    order = IdFilter(field_name="order_id")
    status = ChoicesFilter(choices=Visit.Status.choices, help_text="e.g. scheduled,cancelled")
    date_from = DayOrMomentFilter(
        help_text=(
            "Visits starting on or after: a date (YYYY-MM-DD or dd/mm/yyyy), the day "
            "starting at midnight in each visit's company time zone, or an ISO 8601 "
            "date-time (an instant)."
        )
    )
    date_to = DayOrMomentFilter(
        upper=True,
        help_text=(
            "Visits starting on or before: a date, through the end of that day in each "
            "visit's company time zone, or an ISO 8601 date-time (an instant)."
        ),
    )
    ordering = FilterSetOrdering(
        fields=(("starts_at", "starts_at"), ("id", "id")),
        help_text="starts_at (the default), id",
    )

    class Meta:
        model = Visit
        fields = []
