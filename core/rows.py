"""Helpers for list rows built by hand from `values_list` tuples (docs/performance.md):
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
        values = self.filter_queryset(self.get_queryset()).values_list(*rows_class.COLUMNS)
        page = self.paginate_queryset(values)
        return self.get_paginated_response(rows_class.rows(page))
