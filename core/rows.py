"""Helpers for list rows built by hand from `values_list` tuples:
the same output as DRF's fields, without a model instance or a field object per cell."""

from django.utils import timezone


def iso(value, zone) -> str | None:
    """A datetime as DRF's DateTimeField writes it: in `zone` (the current time zone), with
    `Z` for UTC."""
    if value is None:
        return None
    text = value.astimezone(zone).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def current_zone():
    return timezone.get_current_timezone()


class RowListMixin:
    """`list` from plain rows: the filtered queryset's `values_list(*COLUMNS)` of
    `list_rows_class`, turned into dicts by its `rows()`; one query per page."""

    list_rows_class = None

    def list(self, request, *args, **kwargs):
        rows_class = self.list_rows_class
        filtered = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(_CountedBare(filtered, rows_class.COLUMNS))
        return self.get_paginated_response(rows_class.rows(page))


class _CountedBare:
    """A queryset's `values_list(*columns)`, counted without those columns: a related
    column joins another table (an NGO's owner), which changes no count on a required
    foreign key, but made PostgreSQL read every user to count the NGOs."""

    def __init__(self, queryset, columns):
        self.queryset = queryset
        self.values = queryset.values_list(*columns)
        self.ordered = self.values.ordered

    def count(self) -> int:
        return self.queryset.order_by().count()

    def __getitem__(self, key):
        return self.values[key]

    def __len__(self) -> int:
        return self.count()
