from django.contrib import admin

from sla.models import BusinessHours, Holiday, OrderSla, SlaTarget


@admin.register(BusinessHours)
class BusinessHoursAdmin(admin.ModelAdmin):
    list_display = ["id", "company", "weekday", "opens", "closes"]
    list_filter = ["weekday", "company"]
    search_fields = ["company__legal_name", "company__trading_name"]
    list_select_related = ["company"]
    autocomplete_fields = ["company"]


@admin.register(Holiday)
class HolidayAdmin(admin.ModelAdmin):
    list_display = ["id", "company", "date", "name"]
    list_filter = ["date", "company"]
    search_fields = ["name", "company__legal_name", "company__trading_name"]
    list_select_related = ["company"]
    autocomplete_fields = ["company"]


@admin.register(SlaTarget)
class SlaTargetAdmin(admin.ModelAdmin):
    list_display = ["id", "company", "priority", "first_response_minutes", "resolution_minutes"]
    list_filter = ["priority", "company"]
    search_fields = ["company__legal_name", "company__trading_name"]
    list_select_related = ["company"]
    autocomplete_fields = ["company"]


@admin.register(OrderSla)
class OrderSlaAdmin(admin.ModelAdmin):
    """Read-only: the clocks move only with the order (orders.services and sla.services)."""

    list_display = [
        "order",
        "respond_by",
        "first_responded_at",
        "resolve_by",
        "resolved_at",
        "paused_since",
        "response_breach_sent_at",
        "resolution_breach_sent_at",
    ]
    list_filter = ["order__company", "order__priority", "paused_since", "respond_by"]
    search_fields = ["order__title", "=order__id"]
    list_select_related = ["order"]

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request):
        return False
