import django_filters

from core.filters import ChoicesFilter, FilterSet, IsoDateTimeFilter
from ongs.models import Ong, Withdrawal


class OngFilter(FilterSet):
    name = django_filters.CharFilter(lookup_expr="icontains")
    cause = ChoicesFilter(choices=Ong.Cause.choices)

    class Meta:
        model = Ong
        fields = ["name", "cause", "is_active"]


class WithdrawalFilter(django_filters.FilterSet):
    created_after = IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = Withdrawal
        fields = ["created_after", "created_before"]
