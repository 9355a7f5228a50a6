from django.contrib import admin

from core.models import IdempotencyRecord, OutboundEmail
from core.services import outbox_schedule


@admin.register(OutboundEmail)
class OutboundEmailAdmin(admin.ModelAdmin):
    list_display = ["to", "subject", "status", "attempts", "created_at", "sent_at"]
    list_filter = ["status", "is_automatic", "created_at"]
    search_fields = ["to", "subject", "message_id", "key"]
    readonly_fields = [f.name for f in OutboundEmail._meta.fields]
    date_hierarchy = "created_at"
    actions = ["resend"]

    @admin.action(description="Send again now (pending e-mails only)")
    def resend(self, request, queryset):
        for email_id in queryset.filter(status=OutboundEmail.Status.PENDING).values_list(
            "pk", flat=True
        ):
            outbox_schedule(email_id)

    def has_add_permission(self, request):
        return False


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(admin.ModelAdmin):
    list_display = ["id", "user", "key", "scope", "state", "response_status", "created_at"]
    list_filter = ["state", "scope", "created_at"]
    search_fields = ["user__email", "key"]
    list_select_related = ["user"]
    autocomplete_fields = ["user"]
    readonly_fields = ["request_hash", "response_status", "response_body", "created_at"]
