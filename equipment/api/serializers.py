from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from companies.models import Company
from core.serializers import InputSerializer
from equipment.models import Equipment
from orders.models import Order


class EquipmentCompanySerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="__str__", read_only=True)

    class Meta:
        model = Company
        fields = ["id", "name"]
        read_only_fields = fields


class EquipmentSerializer(serializers.ModelSerializer):
    """`has_open_orders`: an order of the item, anyone's, is open or in progress."""

    company = EquipmentCompanySerializer(read_only=True)
    has_open_orders = serializers.BooleanField(read_only=True)

    class Meta:
        model = Equipment
        fields = [
            "id",
            "company",
            "kind",
            "brand",
            "model",
            "serial_number",
            "patrimony_tag",
            "site_address",
            "room",
            "status",
            "notes",
            "has_open_orders",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class EquipmentOrderSerializer(serializers.Serializer):
    """One order of an item's history."""

    id = serializers.IntegerField()
    title = serializers.CharField()
    status = serializers.ChoiceField(choices=Order.Status.choices)
    created_at = serializers.DateTimeField()
    closed_at = serializers.DateTimeField(allow_null=True)


class EquipmentDetailSerializer(EquipmentSerializer):
    """An item with its latest orders among those the caller sees (`history`, newest
    first, at most 10; `GET equipment/{id}/orders` pages through all of them)."""

    history = EquipmentOrderSerializer(many=True, read_only=True)

    class Meta(EquipmentSerializer.Meta):
        fields = [*EquipmentSerializer.Meta.fields, "history"]
        read_only_fields = fields


class EquipmentSummarySerializer(serializers.ModelSerializer):
    """The item an order points at, as the order shows it."""

    class Meta:
        model = Equipment
        fields = ["id", "kind", "brand", "model", "serial_number", "patrimony_tag", "status"]
        read_only_fields = fields


# Where each field an item's body may not set is changed instead.
EQUIPMENT_ELSEWHERE = {
    "status": _("change it with POST /api/v1/equipment/{id}/status."),
}


class EquipmentWriteSerializer(InputSerializer):
    """What an item is and where it stands: the body of PATCH, and of each row of an
    import file. Texts are stripped; a serial number or tag is unique per company."""

    elsewhere = EQUIPMENT_ELSEWHERE

    kind = serializers.ChoiceField(choices=Equipment.Kind.choices)
    brand = serializers.CharField(required=False, allow_blank=True, max_length=100)
    model = serializers.CharField(required=False, allow_blank=True, max_length=100)
    serial_number = serializers.CharField(required=False, allow_blank=True, max_length=100)
    patrimony_tag = serializers.CharField(required=False, allow_blank=True, max_length=50)
    site_address = serializers.CharField(required=False, allow_blank=True, max_length=300)
    room = serializers.CharField(required=False, allow_blank=True, max_length=100)
    notes = serializers.CharField(required=False, allow_blank=True, max_length=5000)


class EquipmentCreateSerializer(EquipmentWriteSerializer):
    """An item of one of the caller's companies (another company's id "does not exist")."""

    company = serializers.PrimaryKeyRelatedField(queryset=Company.objects.none())

    def __init__(self, *args, companies=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["company"].queryset = (
            companies if companies is not None else Company.objects.none()
        )


class EquipmentStatusSerializer(InputSerializer):
    status = serializers.ChoiceField(choices=Equipment.Status.choices)


class EquipmentImportSerializer(InputSerializer):
    """A CSV file; `company` may be left out by whoever manages exactly one company."""

    file = serializers.FileField(
        help_text=_(
            "CSV, UTF-8 (a BOM is fine) or Windows-1252, `,` or `;` between cells. Header "
            "row: kind, brand, model, serial_number, patrimony_tag, site_address, room, "
            "notes (only kind is required)."
        )
    )
    company = serializers.PrimaryKeyRelatedField(queryset=Company.objects.none(), required=False)

    def __init__(self, *args, companies=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["company"].queryset = (
            companies if companies is not None else Company.objects.none()
        )


class EquipmentImportResultSerializer(serializers.Serializer):
    created = serializers.IntegerField(help_text=_("How many items were created."))
