"""django-filter, cheaper per request: a backend that costs nothing when the request
filters nothing, and a FilterSet base that is cheap to build."""

import copy

import django_filters
from django.http import QueryDict
from django_filters.filters import FilterMethod
from django_filters.rest_framework import DjangoFilterBackend

# Query parameters that are never a FilterSet's: pagination, search and format.
_NOT_FILTERS = frozenset({"page", "page_size", "search", "format"})


class FilterBackend(DjangoFilterBackend):
    """DjangoFilterBackend, skipped when no query parameter could be a filter.

    Building a FilterSet deep-copies every declared filter and makes a form class for
    each request: on a plain list page that was a third of the view's CPU time
    (docs/performance.md). With no filter parameter the FilterSet would filter nothing
    (every filter is optional and ignores an empty value), so it is not built at all.
    Only for FilterSets whose filters all ignore absent values, as django-filter's
    declared filters do."""

    def filter_queryset(self, request, queryset, view):
        if _NOT_FILTERS.issuperset(request.query_params):
            return queryset
        return super().filter_queryset(request, queryset, view)


class _SharedFields(dict):
    """A filter form's fields, shared by its instances instead of deep-copied for each: the
    form only validates query parameters, which reads its fields and never changes them."""

    def __deepcopy__(self, memo):
        return dict(self)


class FilterSet(django_filters.FilterSet):
    """A django-filter FilterSet that is cheap to build for each request.

    django-filter deep-copies every declared filter (choices included) and builds a new
    form class on every request; for the order list with a filter that was more CPU than
    the whole floor request (docs/performance.md). Here each filter is copied shallowly
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
