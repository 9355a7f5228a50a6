from django.contrib import admin

from desk.models import CannedReply, OrderWatcher, SatisfactionRating


@admin.register(CannedReply)
class CannedReplyAdmin(admin.ModelAdmin):
    list_display = ["id", "title", "company", "team", "created_by", "updated_at"]
    list_filter = ["company", "team", "created_at"]
    search_fields = ["title", "body", "company__legal_name", "company__trading_name"]
    list_select_related = ["company", "team", "created_by"]
    autocomplete_fields = ["company", "team", "created_by"]
    readonly_fields = ["created_at", "updated_at"]


@admin.register(SatisfactionRating)
class SatisfactionRatingAdmin(admin.ModelAdmin):
    """Ratings are the requesters' words: read here, never edited."""

    list_display = ["order", "score", "team", "agent", "rated_by", "created_at"]
    list_filter = ["score", "team", "created_at"]
    search_fields = ["order__title", "comment", "rated_by__email", "agent__email"]
    list_select_related = ["order", "team", "agent", "rated_by"]
    readonly_fields = ["order", "score", "comment", "rated_by", "team", "agent", "created_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(OrderWatcher)
class OrderWatcherAdmin(admin.ModelAdmin):
    list_display = ["id", "order", "user", "email", "added_by", "created_at"]
    list_filter = ["created_at"]
    search_fields = ["order__title", "user__email", "email"]
    list_select_related = ["order", "user", "added_by"]
    autocomplete_fields = ["order", "user", "added_by"]
    readonly_fields = ["created_at"]
