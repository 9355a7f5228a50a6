import django_filters
from django.db.models import Q

from core.filters import ChoicesFilter, FilterSet, FilterSetOrdering, IdFilter
from equipment.models import Equipment


class EquipmentOrdering(FilterSetOrdering):
    """Ties (many items of one kind) are broken by id, so pages neither repeat nor skip."""

    tiebreaker = "id"


class EquipmentFilter(FilterSet):
    kind = ChoicesFilter(choices=Equipment.Kind.choices, help_text="e.g. printer,ups")
    status = ChoicesFilter(choices=Equipment.Status.choices, help_text="e.g. in_use,in_repair")
    company = IdFilter(field_name="company_id")
    site = django_filters.CharFilter(
        method="filter_site", help_text="Text in the site address or the room."
    )
    has_open_orders = django_filters.BooleanFilter(
        field_name="has_open_orders", help_text="An order of the item is open or in progress."
    )
    ordering = EquipmentOrdering(
        fields=(
            ("id", "id"),
            ("kind", "kind"),
            ("brand", "brand"),
            ("model", "model"),
            ("serial_number", "serial_number"),
            ("patrimony_tag", "patrimony_tag"),
            ("status", "status"),
            ("room", "room"),
            ("created_at", "created_at"),
            ("updated_at", "updated_at"),
        ),
        help_text=(
            "id (the default), kind, brand, model, serial_number, patrimony_tag, status, "
            "room, created_at, updated_at"
        ),
    )

    class Meta:
        model = Equipment
        fields = []

    def filter_site(self, queryset, name, value):
        return queryset.filter(Q(site_address__icontains=value) | Q(room__icontains=value))
