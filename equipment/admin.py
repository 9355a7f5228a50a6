from django.contrib import admin

from equipment.models import Equipment


@admin.register(Equipment)
class EquipmentAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "company",
        "kind",
        "brand",
        "model",
        "serial_number",
        "patrimony_tag",
        "room",
        "status",
        "updated_at",
    ]
    list_filter = ["status", "kind", "company", "created_at"]
    search_fields = ["serial_number", "patrimony_tag", "brand", "model", "site_address", "room"]
    list_select_related = ["company"]
    autocomplete_fields = ["company"]
    readonly_fields = ["created_at", "updated_at"]
