from django.contrib import admin

from fieldservice.models import TimeEntry, Visit


@admin.register(Visit)
class VisitAdmin(admin.ModelAdmin):
    """Staff read and correct visits here; the API's services are what e-mail people and
    keep a technician's agenda free of overlaps."""

    list_display = ["id", "order", "technician", "starts_at", "duration_minutes", "status"]
    list_filter = ["status", "starts_at", "order__company"]
    search_fields = ["order__title", "technician__email", "technician__name", "address"]
    list_select_related = ["order", "technician"]
    autocomplete_fields = ["order", "technician", "created_by"]
    readonly_fields = ["uid", "sequence", "ends_at", "created_at", "updated_at"]
    date_hierarchy = "starts_at"


@admin.register(TimeEntry)
class TimeEntryAdmin(admin.ModelAdmin):
    list_display = ["id", "order", "agent", "minutes", "date", "created_at"]
    list_filter = ["date", "order__company"]
    search_fields = ["order__title", "agent__email", "agent__name", "note"]
    list_select_related = ["order", "agent"]
    autocomplete_fields = ["order", "agent"]
    date_hierarchy = "date"
