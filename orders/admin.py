from django.contrib import admin

from orders.models import Message, Order, OrderEvent


class MessageInline(admin.TabularInline):
    model = Message
    extra = 0
    fields = ["author", "body", "is_internal", "channel", "created_at"]
    readonly_fields = ["created_at"]
    autocomplete_fields = ["author"]


class OrderEventInline(admin.TabularInline):
    model = OrderEvent
    extra = 0
    fields = ["kind", "actor", "data", "created_at"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "title",
        "company",
        "status",
        "priority",
        "team",
        "assignee",
        "created_at",
    ]
    list_filter = ["status", "priority", "equipment", "channel", "company", "created_at"]
    search_fields = ["title", "description", "requester__email", "assignee__email"]
    list_select_related = ["company", "team", "assignee"]
    autocomplete_fields = ["company", "requester", "team", "assignee", "previous_order"]
    readonly_fields = ["status", "assignee", "taken_at", "closed_at", "created_at", "updated_at"]
    date_hierarchy = "created_at"
    inlines = [MessageInline, OrderEventInline]


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ["id", "order", "author", "is_internal", "channel", "created_at"]
    list_filter = ["is_internal", "channel", "created_at"]
    search_fields = ["body", "order__title", "author__email"]
    list_select_related = ["order", "author"]
    autocomplete_fields = ["order", "author"]


@admin.register(OrderEvent)
class OrderEventAdmin(admin.ModelAdmin):
    """Read-only: the timeline is an audit record."""

    list_display = ["id", "order", "kind", "actor", "created_at"]
    list_filter = ["kind", "created_at"]
    search_fields = ["order__title", "actor__email"]
    list_select_related = ["order", "actor"]
    readonly_fields = ["order", "actor", "kind", "data", "is_internal", "created_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
