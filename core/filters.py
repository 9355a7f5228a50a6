"""Filters every app shares, the filter backend of every list, and a FilterSet base that is
cheap to build per request.

`IdFilter` takes only whole numbers that fit an id column. `ChoicesFilter` takes several
values, repeated or comma-separated. `IsoDateTimeFilter` is django-filter's, except that it
also takes `dd/mm/yyyy` (and `dd/mm/yyyy HH:MM`, read as UTC) and converts the value to
UTC: PostgreSQL refuses offsets beyond ±15:59 (`+21:18` is valid ISO 8601), and a value
that does not fit in a datetime once in UTC (`0001-01-01T00:00+05:00`) is an invalid value
(400), not a server error. `DateFilter` takes ISO 8601 dates and `dd/mm/yyyy`.
"""

import copy
from datetime import UTC, datetime

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _
from django_filters import utils
from django_filters.fields import IsoDateTimeField
from django_filters.filters import FilterMethod
from django_filters.rest_framework import DjangoFilterBackend
from django_filters.widgets import BaseCSVWidget
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import filters, serializers

# The largest id a BIGINT column holds (PostgreSQL and SQLite alike).
MAX_ID = 2**63 - 1


@extend_schema_field(OpenApiTypes.INT64)
class IdFilter(django_filters.NumberFilter):
    """`?team=12`: a whole number that fits an id column. Anything else (`1e30`, `2.5`, a
    number past BIGINT) is a 400 naming the filter; left to NumberFilter it became a
    Decimal that the database driver could not bind (a 500)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", -MAX_ID)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


def query_terms(data, name: str) -> list[str] | None:
    """A parameter's terms, repeated (`status=open&status=closed`, as generated clients
    send a list) or comma-separated (`status=open,closed`) or both; None when absent. A
    blank term stays, for the field to refuse."""
    values = data.getlist(name) if hasattr(data, "getlist") else [data.get(name)]
    values = [value for value in values if value is not None]
    if not values:
        return None
    return [part.strip() for value in values for part in value.split(",")]


class ChoicesWidget(forms.SelectMultiple):
    def value_from_datadict(self, data, files, name):
        return query_terms(data, name) or []


class RepeatedCSVWidget(BaseCSVWidget, forms.TextInput):
    """django-filter's comma-separated widget, also taking the value repeated."""

    def value_from_datadict(self, data, files, name):
        return query_terms(data, name)


class FilterSetOrdering(django_filters.OrderingFilter):
    """A FilterSet's `ordering` (where the names map onto other fields, as `priority` onto
    its rank): repeated or comma-separated; an unknown or blank term is a 400 that names
    the choices, as `OrderingFilter` answers for every other list."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", RepeatedCSVWidget)
        super().__init__(*args, **kwargs)
        choices = [term for name in self.param_map for term in (name, f"-{name}")]
        self.refusal = _("Choose from: %(choices)s.") % {"choices": ", ".join(choices)}
        self.extra["error_messages"] = {"invalid_choice": self.refusal}

    # A unique field ordered after the chosen terms, so that ties (many orders share a
    # priority) keep one order and pages neither repeat nor skip rows.
    tiebreaker: str | None = None

    def filter(self, qs, value):
        if value is not None and "" in value:  # the field lets a blank term through
            raise serializers.ValidationError({self.field_name: [self.refusal]})
        if not value:
            return qs
        ordering = [self.get_ordering_value(param) for param in value]
        if self.tiebreaker:
            ordering.append(self.tiebreaker)
        return qs.order_by(*ordering)


class OrderingFilter(filters.OrderingFilter):
    """`ordering=name,-created_at` (or repeated) over the view's `ordering_fields`, an
    explicit allow-list; any other term is a 400 naming the choices, never silently
    dropped. The schema lists the choices as an enum."""

    def get_ordering(self, request, queryset, view):
        values = request.query_params.getlist(self.ordering_param)
        if not values:
            return self.get_default_ordering(view)
        terms = [term.strip() for value in values for term in value.split(",")]
        choices = self.choices(view)
        if not terms or any(term not in choices for term in terms):
            message = _("Choose from: %(choices)s.") % {"choices": ", ".join(choices)}
            raise serializers.ValidationError({self.ordering_param: [message]})
        return terms

    @staticmethod
    def choices(view) -> list[str]:
        fields = getattr(view, "ordering_fields", None)
        if not isinstance(fields, list | tuple):  # "__all__" or unset: no free ordering
            raise TypeError(f"{type(view).__name__} must list its ordering_fields")
        return [term for field in fields for term in (field, f"-{field}")]

    def get_schema_operation_parameters(self, view):
        choices = self.choices(view)
        return [
            {
                "name": self.ordering_param,
                "required": False,
                "in": "query",
                "description": _("Sort by these, `-` for descending; repeated or comma-separated."),
                "schema": {"type": "array", "items": {"type": "string", "enum": choices}},
                "style": "form",
                "explode": True,
            }
        ]


class ChoicesFilter(django_filters.MultipleChoiceFilter):
    """`?status=open&status=closed` or `?status=open,closed`: rows with any of them, in one
    `IN (…)`. The schema declares the parameter an array (`style: form, explode: true`)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", ChoicesWidget)
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if not value:
            return qs
        return qs.filter(**{f"{self.field_name}__in": value})


# Brazilian dates, as DESIGN.md promises beside ISO 8601 (`settings.DATE_INPUT_FORMATS`).
BRAZILIAN_DATETIME_FORMATS = ("%d/%m/%Y %H:%M", "%d/%m/%Y")


class UTCIsoDateTimeField(IsoDateTimeField):
    def to_python(self, value):
        try:
            parsed = super().to_python(value)
        except ValidationError:
            parsed = self._brazilian(value)
        if parsed is None or parsed.tzinfo is None:
            return parsed
        try:
            return parsed.astimezone(UTC)
        except OverflowError as exc:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from exc

    def _brazilian(self, value: str) -> datetime:
        for pattern in BRAZILIAN_DATETIME_FORMATS:
            try:
                return datetime.strptime(value.strip(), pattern).replace(tzinfo=UTC)
            except ValueError:
                continue
        raise ValidationError(self.error_messages["invalid"], code="invalid")


@extend_schema_field(OpenApiTypes.DATETIME)
class IsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    """An ISO 8601 date-time (or date), or `dd/mm/yyyy [HH:MM]`, compared in UTC."""

    field_class = UTCIsoDateTimeField


@extend_schema_field(OpenApiTypes.DATE)
class DateFilter(django_filters.DateFilter):
    """An ISO 8601 date or `dd/mm/yyyy`."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("input_formats", ["%Y-%m-%d", "%d/%m/%Y"])
        super().__init__(*args, **kwargs)


BOOLEAN_VALUES = {"true", "false", "1", "0"}
# Query parameters that are never a FilterSet's: pagination, search and format.
_NOT_FILTERS = frozenset({"page", "page_size", "search", "format"})
# Free text, where an empty value is a value; every other filter is typed.
TEXT_FILTERS = (django_filters.CharFilter, django_filters.OrderingFilter)


class FilterBackend(DjangoFilterBackend):
    """django-filter's backend, except that a typed filter (date, number, choice, yes/no)
    given an empty value, or a yes/no filter given anything but `true`, `false`, `1` or `0`,
    is refused (400) instead of being ignored, so a typo never silently widens a list."""

    def filter_queryset(self, request, queryset, view):
        # Building a FilterSet deep-copies every declared filter and makes a form class for
        # each request: on a plain list page that was a third of the view's CPU time.
        # With no filter parameter it would filter nothing (every filter is optional), so
        # it is not built at all.
        # Only for this module's FilterSet, whose filters all ignore absent values; a
        # FilterSet may also shape the rows when nothing is filtered (the leaderboard).
        filterset_class = self.get_filterset_class(view, queryset)
        if _NOT_FILTERS.issuperset(request.query_params) and (
            filterset_class is None or issubclass(filterset_class, FilterSet)
        ):
            return queryset
        # A view that filters several querysets (a list's count and the parts of its scope)
        # validates the parameters once and applies the same filters to each.
        validated = view.__dict__.setdefault("_validated_filtersets", {})
        if filterset_class in validated:
            return validated[filterset_class].filter_queryset(queryset)
        filterset = self.get_filterset(request, queryset, view)
        if filterset is None:
            return queryset
        if not filterset.is_valid() and self.raise_exception:
            raise utils.translate_validation(filterset.errors)
        validated[filterset_class] = filterset
        return filterset.qs

    def get_filterset(self, request, queryset, view):
        filterset = super().get_filterset(request, queryset, view)
        if filterset is None:
            return None
        errors = {}
        for filter_name, filter_ in filterset.filters.items():
            if isinstance(filter_, TEXT_FILTERS):
                continue
            self._check(filter_name, filter_, request.query_params.getlist(filter_name), errors)
        if errors:
            raise serializers.ValidationError(errors)
        return filterset

    @staticmethod
    def _check(name, filter_, values, errors) -> None:
        if not values:
            return
        if "" in values:
            # django-filter would skip the filter; for a typed one that is a client bug.
            errors[name] = [_("This field may not be blank.")]
        elif isinstance(filter_, django_filters.BooleanFilter) and any(
            value.lower() not in BOOLEAN_VALUES for value in values
        ):
            errors[name] = [_("Must be true or false.")]


class _SharedFields(dict):
    """A filter form's fields, shared by its instances instead of deep-copied for each: the
    form only validates query parameters, which reads its fields and never changes them."""

    def __deepcopy__(self, memo):
        return dict(self)


class FilterSet(django_filters.FilterSet):
    """A django-filter FilterSet that is cheap to build for each request.

    django-filter deep-copies every declared filter (choices included) and builds a new
    form class on every request; for the order list with a filter that was more CPU than
    the whole floor request. Here each filter is copied shallowly
    (what a request changes on it, `model` and `parent`, is its own; a `method=` filter is
    re-bound to its copy) and the form class is built once per FilterSet class, its
    instances sharing its fields (`_SharedFields`) instead of deep-copying them."""

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        if queryset is None:
            queryset = self._meta.model._default_manager.all()
        self.is_bound = data is not None
        self.data = data or QueryDict()
        self.queryset = queryset
        self.request = request
        self.form_prefix = prefix
        self.filters = {}
        for name, prototype in self.base_filters.items():
            copied = copy.copy(prototype)
            copied.model = queryset.model
            copied.parent = self
            if isinstance(copied.__dict__.get("filter"), FilterMethod):
                copied.filter = FilterMethod(copied)
            self.filters[name] = copied

    @classmethod
    def _form_class(cls):
        form_class = cls.__dict__.get("_cached_form_class")
        if form_class is None:
            # Fields come from private copies of the filters, never from base_filters.
            fields = {name: copy.deepcopy(f).field for name, f in cls.base_filters.items()}
            form_class = type(f"{cls.__name__}Form", (cls._meta.form,), fields)
            form_class.base_fields = _SharedFields(form_class.base_fields)
            cls._cached_form_class = form_class
        return form_class

    def get_form_class(self):
        return self._form_class()
