import hashlib
import json
import operator
from functools import reduce

from django.core.cache import cache
from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db import connections
from django.db.models import F, Q, QuerySet, Subquery
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from rest_framework import pagination
from rest_framework.exceptions import ValidationError
from rest_framework.utils.urls import replace_query_param

from core.expressions import EqualsAnyOf

# Beyond this a page is past the end of any list (and its OFFSET would overflow).
MAX_PAGE_NUMBER = 10_000_000

# Counts above this are PostgreSQL's estimate (docs/api.md, "Counts of long lists").
EXACT_COUNT_UP_TO = 10_000

# How long an estimated count is reused (seconds); exact counts are never cached.
ESTIMATE_REUSED_FOR = 60


class PageNumberPagination(pagination.PageNumberPagination):
    """`page` and `page_size` (at most 100); answers `count`, `next`, `previous`, `results`.

    One rule for every list: `page` and `page_size` must be positive integers, else 400
    naming the parameter (a larger `page_size` is capped at `max_page_size`); a page past
    the end answers 200 with no results (`previous` points at the last page)."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        return min(self._positive(raw, self.page_size_query_param), self.max_page_size)

    def get_page_number(self, request, paginator):
        raw = request.query_params.get(self.page_query_param)
        return 1 if raw is None else self._positive(raw, self.page_query_param)

    @staticmethod
    def _positive(raw: str, name: str) -> int:
        try:
            number = int(raw)
        except ValueError:
            number = 0
        if number < 1:
            raise ValidationError({name: [_("Must be a positive integer.")]})
        return number

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        paginator = self.make_paginator(queryset, request)
        number = self.get_page_number(request, paginator)
        try:
            if number > MAX_PAGE_NUMBER:
                raise EmptyPage(number)
            self.page = paginator.page(number)
        except EmptyPage:
            self.page = Page([], number, paginator)
        return list(self.page)

    def make_paginator(self, queryset, request) -> Paginator:
        return self.django_paginator_class(queryset, self.get_page_size(request))

    def get_previous_link(self):
        if self.page.object_list or self.page.number == 1:
            return super().get_previous_link()
        last = self.page.paginator.num_pages  # past the end: back to the last page
        if not self.page.paginator.count:
            return None
        return replace_query_param(self.request.build_absolute_uri(), self.page_query_param, last)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] in (self.page_query_param, self.page_size_query_param):
                parameter["schema"]["minimum"] = 1
        return parameters


def count_bounded(queryset: QuerySet, bound: int, parts=()) -> tuple[int, bool]:
    """How many rows the queryset holds, as (count, is_estimate): exact up to `bound`
    (counting stops there); past it PostgreSQL's planner estimate, never below bound + 1.
    Other databases count exactly.

    `parts`, disjoint querysets whose union is `queryset`, are counted each up to the bound
    on its own index, in one `UNION ALL` (where the database can limit each side)."""
    ids = queryset.order_by().values("pk")
    if len(parts) > 1 and connections[queryset.db].features.supports_slicing_ordering_in_compound:
        first, *rest = [part.order_by().values("pk")[: bound + 1] for part in parts]
        exact = first.union(*rest, all=True).count()
    else:
        exact = ids[: bound + 1].count()
    if exact <= bound:
        return exact, False
    if connections[queryset.db].vendor != "postgresql":
        return ids.count(), False
    plan = json.loads(ids.explain(format="json"))
    return max(bound + 1, int(plan[0]["Plan"]["Plan Rows"])), True


class BoundedCountPaginator(Paginator):
    """Django's paginator over a queryset, with `count_bounded` for its count.

    An estimated count is kept in the cache under `estimate_key` (when given) for
    `ESTIMATE_REUSED_FOR` seconds: it is approximate anyway, and reaching the bound is
    what a count costs most, so the same list asked again soon costs no count query.

    A page is one query, of model instances or, with `columns`, of `values_list` tuples.
    With `parts` (see `count_bounded`; in the list's order) its rows are looked for only
    among the first rows of each part, each read on its own index: a scope such as "my
    companies' orders or my own requests" is an OR that no index serves in order. A page
    after the first picks its ids first, then reads only their rows."""

    def __init__(
        self,
        object_list,
        per_page,
        *,
        columns=(),
        parts=(),
        bound=EXACT_COUNT_UP_TO,
        estimate_key=None,
    ):
        super().__init__(object_list, per_page)
        self.columns, self.parts, self.bound = columns, parts, bound
        self.estimate_key = estimate_key
        self.count_is_estimate = False

    @cached_property
    def count(self) -> int:
        if self.estimate_key and (estimate := cache.get(self.estimate_key)) is not None:
            self.count_is_estimate = True
            return estimate
        count, self.count_is_estimate = count_bounded(self.object_list, self.bound, self.parts)
        if self.count_is_estimate and self.estimate_key:
            cache.set(self.estimate_key, count, ESTIMATE_REUSED_FOR)
        return count

    def validate_number(self, number):
        self.count  # noqa: B018 - sets count_is_estimate
        if not self.count_is_estimate:
            return super().validate_number(number)
        # An estimate may be short of the real count: any page may hold rows (or none).
        try:
            number = int(number)
        except (TypeError, ValueError) as exc:
            raise PageNotAnInteger(self.error_messages["invalid_page"]) from exc
        if number < 1:
            raise EmptyPage(self.error_messages["min_page"])
        return number

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count and not self.count_is_estimate:
            top = self.count
        rows = self.object_list
        if len(self.parts) > 1:
            firsts = [
                EqualsAnyOf(F("pk"), Subquery(part.values("pk")[:top])) for part in self.parts
            ]
            rows = rows.filter(reduce(operator.or_, map(Q, firsts)))
        if bottom:
            rows = rows.filter(pk__in=rows.values("pk")[bottom:top])
            bottom, top = 0, top - bottom
        if self.columns:
            rows = rows.values_list(*self.columns)
        return self._get_page(rows[bottom:top], number, self)


class BoundedCountPagination(PageNumberPagination):
    """`PageNumberPagination` for long lists: a count over `EXACT_COUNT_UP_TO` is
    PostgreSQL's estimate, and says so in the `X-Count-Estimated: true` header (counting a
    million rows exactly would cost more than the page itself); a page past the real end
    comes back empty. The estimate is reused for the same user, path and filters."""

    exact_count_up_to = EXACT_COUNT_UP_TO

    def paginate_queryset(self, queryset, request, view=None, *, columns=(), parts=()):
        """`columns` and `parts`: see `BoundedCountPaginator`."""
        self.columns, self.parts = columns, parts
        return super().paginate_queryset(queryset, request, view)

    def make_paginator(self, queryset, request) -> Paginator:
        return BoundedCountPaginator(
            queryset,
            self.get_page_size(request),
            columns=self.columns,
            parts=self.parts,
            bound=self.exact_count_up_to,
            estimate_key=_estimate_key(request),
        )

    def get_paginated_response(self, data):
        response = super().get_paginated_response(data)
        if self.page.paginator.count_is_estimate:
            response["X-Count-Estimated"] = "true"
        return response


def _estimate_key(request) -> str:
    """The list a count belongs to: who asks, the path and every parameter but the page."""
    params = sorted(
        (name, tuple(values))
        for name, values in request.query_params.lists()
        if name not in ("page", "page_size")
    )
    listed = repr((request.user.pk, request.path, params)).encode()
    return "count-estimate:" + hashlib.sha256(listed).hexdigest()
