import django_filters
from django.db.models import F, Q, Window
from django.db.models.functions import Rank

from core.filters import ChoicesFilter, DateFilter, IdFilter, IsoDateTimeFilter, OrderingFilter
from homes import selectors
from homes.models import Bill, Home, HomeMember, Routine, Rule, Task


class HomeFilter(django_filters.FilterSet):
    name = django_filters.CharFilter(lookup_expr="icontains")

    class Meta:
        model = Home
        fields = ["name", "time_zone"]


class MemberFilter(django_filters.FilterSet):
    class Meta:
        model = HomeMember
        fields = ["role"]


class LeaderboardFilter(django_filters.FilterSet):
    """`since`/`until` choose the period whose completed tasks count; `rank` is computed
    over the filtered members (1 = most points; ties share a rank)."""

    since = IsoDateTimeFilter(method="_period")
    until = IsoDateTimeFilter(method="_period")

    class Meta:
        model = HomeMember
        fields = ["role"]

    def _period(self, queryset, name, value):
        return queryset  # applied together in filter_queryset

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        home = self.request.parser_context["view"].get_home()
        ranked = selectors.leaderboard(
            home,
            since=self.form.cleaned_data.get("since"),
            until=self.form.cleaned_data.get("until"),
        ).filter(pk__in=queryset.values("pk"))
        return ranked.annotate(rank=Window(expression=Rank(), order_by=F("period_points").desc()))


class UndatedLastOrderingFilter(OrderingFilter):
    """`ordering=` where tasks without a deadline come last whichever way `due_at` is
    sorted (databases disagree on where NULLs go by default)."""

    def filter_queryset(self, request, queryset, view):
        ordering = self.get_ordering(request, queryset, view)
        if not ordering:
            return queryset
        terms = []
        for term in ordering:
            if term.lstrip("-") == "due_at":
                due = F("due_at")
                terms.append(
                    due.desc(nulls_last=True) if term[0] == "-" else due.asc(nulls_last=True)
                )
            else:
                terms.append(term)
        return queryset.order_by(*terms)


class TaskFilter(django_filters.FilterSet):
    status = ChoicesFilter(choices=Task.Status.choices)
    due_from = IsoDateTimeFilter(field_name="due_at", lookup_expr="gte")
    due_to = IsoDateTimeFilter(field_name="due_at", lookup_expr="lt")
    # Plain ids, not model choices: an unknown id filters to nothing instead of telling
    # the caller whether it exists.
    assignee = IdFilter(field_name="assignee_id")
    routine = IdFilter(field_name="routine_id")
    has_deadline = django_filters.BooleanFilter(
        field_name="due_at", lookup_expr="isnull", exclude=True
    )

    class Meta:
        model = Task
        fields = ["status", "assignee", "routine", "due_from", "due_to", "has_deadline"]


class MyTaskFilter(TaskFilter):
    """`GET tasks`: every home's tasks, or with `mine=true` only those assigned to me."""

    home = IdFilter(field_name="home_id")
    mine = django_filters.BooleanFilter(method="_mine")

    class Meta(TaskFilter.Meta):
        fields = [*TaskFilter.Meta.fields, "home", "mine"]

    def _mine(self, queryset, name, value):
        user = self.request.user
        return queryset.filter(assignee=user) if value else queryset.exclude(assignee=user)


class RoutineFilter(django_filters.FilterSet):
    responsible = IdFilter(field_name="responsible_id")

    class Meta:
        model = Routine
        fields = ["assignment", "responsible"]


class RuleFilter(django_filters.FilterSet):
    text = django_filters.CharFilter(lookup_expr="icontains")

    class Meta:
        model = Rule
        fields = ["text"]


class BillFilter(django_filters.FilterSet):
    due_from = DateFilter(field_name="due_date", lookup_expr="gte")
    due_to = DateFilter(field_name="due_date", lookup_expr="lte")
    home = IdFilter(field_name="home_id")
    debtor = IdFilter(field_name="debtor_id")
    creditor = IdFilter(field_name="creditor_id")
    is_penalty = django_filters.BooleanFilter(
        field_name="penalty_task", lookup_expr="isnull", exclude=True
    )
    status = ChoicesFilter(choices=Bill.Status.choices, method="_status")

    class Meta:
        model = Bill
        fields = [
            "home",
            "status",
            "is_paid",
            "debtor",
            "creditor",
            "due_from",
            "due_to",
            "is_penalty",
        ]

    def _status(self, queryset, name, value):
        if not value:
            return queryset
        wanted = Q(pk__in=[])
        if Bill.Status.PAID in value:
            wanted |= Q(is_paid=True)
        if Bill.Status.PAYMENT_REPORTED in value:
            wanted |= Q(is_paid=False, payment_reported_at__isnull=False)
        if Bill.Status.UNPAID in value:
            wanted |= Q(is_paid=False, payment_reported_at__isnull=True)
        return queryset.filter(wanted)
