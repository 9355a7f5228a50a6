from django.core.paginator import EmptyPage, Page
from django.utils.translation import gettext_lazy as _
from rest_framework import pagination
from rest_framework.exceptions import ValidationError
from rest_framework.utils.urls import replace_query_param

# Beyond this a page is past the end of any list (and its OFFSET would overflow).
MAX_PAGE_NUMBER = 10_000_000


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
        paginator = self.django_paginator_class(queryset, self.get_page_size(request))
        number = self.get_page_number(request, paginator)
        try:
            if number > MAX_PAGE_NUMBER:
                raise EmptyPage(number)
            self.page = paginator.page(number)
        except EmptyPage:
            self.page = Page([], number, paginator)
        return list(self.page)

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
