"""Filters every app's FilterSets share."""

import django_filters
from django import forms
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

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
