import django_filters

from accounts.models import User


class UserFilter(django_filters.FilterSet):
    name = django_filters.CharFilter(lookup_expr="icontains")
    email = django_filters.CharFilter(lookup_expr="icontains")

    class Meta:
        model = User
        fields = ["name", "email", "is_active", "is_staff"]
