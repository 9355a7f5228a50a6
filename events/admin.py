from django.contrib import admin

from events.models import Event, Registration


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ["title", "ong", "starts_at", "ends_at", "capacity", "is_active"]
    list_filter = ["is_active", "starts_at"]
    search_fields = ["title", "ong__name", "address"]
    list_select_related = ["ong"]
    autocomplete_fields = ["ong"]
    date_hierarchy = "starts_at"
    readonly_fields = ["created_at", "updated_at"]


@admin.register(Registration)
class RegistrationAdmin(admin.ModelAdmin):
    list_display = ["id", "event", "user", "created_at"]
    list_filter = ["created_at", "event__ong"]
    search_fields = ["event__title", "user__email", "user__name"]
    list_select_related = ["event", "user"]
    autocomplete_fields = ["event", "user"]
