"""A django-filter backend that costs nothing when the request filters nothing."""

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
