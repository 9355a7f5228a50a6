from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from core.exceptions import DomainError
from orders import services
from orders.files import attachment_file_response
from orders.models import (
    Attachment,
    InboundEmail,
    InboundSignature,
    Message,
    Order,
    OrderEvent,
    OrderOutboundEmail,
    SuppressedEmail,
)


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
    autocomplete_fields = [
        "company",
        "requester",
        "team",
        "assignee",
        "previous_order",
        "equipment_item",
    ]
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


class AttachmentInline(admin.TabularInline):
    model = Attachment
    extra = 0
    fields = ["filename", "content_type", "size", "is_skipped", "skip_reason"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(InboundEmail)
class InboundEmailAdmin(admin.ModelAdmin):
    """Every message the channel received; filter on "parked" for the ones nobody could
    read (their raw content is shown) and on "ignored" for the reason."""

    list_display = [
        "id",
        "created_at",
        "status",
        "company",
        "from_address",
        "subject",
        "order",
        "is_automatic",
        "reason",
    ]
    list_filter = ["status", "is_automatic", "source", "company", "created_at"]
    search_fields = ["from_address", "subject", "message_id", "reason"]
    list_select_related = ["company", "order"]
    autocomplete_fields = ["company", "sender", "order"]
    exclude = ["raw"]
    readonly_fields = [
        "company",
        "status",
        "reason",
        "source",
        "message_id",
        "content_hash",
        "from_address",
        "from_name",
        "to_addresses",
        "cc_addresses",
        "subject",
        "in_reply_to",
        "references",
        "sent_at",
        "headers",
        "text",
        "html",
        "html_sanitized",
        "is_automatic",
        "sender",
        "order",
        "order_message",
        "raw_content",
        "created_at",
        "updated_at",
    ]
    date_hierarchy = "created_at"
    inlines = [AttachmentInline]

    @admin.display(description=_("raw content"))
    def raw_content(self, obj: InboundEmail) -> str:
        return bytes(obj.raw or b"")[:100_000].decode("utf-8", errors="replace")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin):
    """Every file of every order, uploaded or e-mailed. Staff download them here from the
    storage, as the API streams them; deleting one removes its stored file too."""

    list_display = [
        "id",
        "filename",
        "order",
        "source",
        "content_type",
        "size",
        "uploaded_by",
        "created_at",
        "download",
    ]
    list_filter = ["source", "is_skipped", "content_type", "created_at"]
    search_fields = ["filename", "order__title", "uploaded_by__email", "email__from_address"]
    list_select_related = ["order", "uploaded_by"]
    readonly_fields = [
        "order",
        "message",
        "source",
        "email",
        "uploaded_by",
        "filename",
        "content_type",
        "size",
        "is_skipped",
        "skip_reason",
        "created_at",
        "download",
    ]
    exclude = ["file"]
    date_hierarchy = "created_at"

    @admin.display(description=_("download"))
    def download(self, obj: Attachment) -> str:
        if obj.is_skipped or not obj.file:
            return "-"
        url = reverse("admin:orders_attachment_download", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("download"))

    def get_urls(self):
        view = self.admin_site.admin_view(self.download_view)
        own = [path("<int:pk>/download/", view, name="orders_attachment_download")]
        return own + super().get_urls()

    def download_view(self, request, pk):
        if not self.has_view_permission(request):
            raise PermissionDenied
        return attachment_file_response(get_object_or_404(Attachment, pk=pk))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def delete_model(self, request, obj):
        try:
            services.attachment_delete(attachment=obj, actor=request.user)
        except DomainError as exc:  # the company is inactive: say so, delete nothing
            self.message_user(request, str(exc.message), level=messages.ERROR)

    def delete_queryset(self, request, queryset):
        for attachment in queryset.select_related("order__company"):
            self.delete_model(request, attachment)


@admin.register(InboundSignature)
class InboundSignatureAdmin(admin.ModelAdmin):
    list_display = ["digest", "created_at"]
    list_filter = ["created_at"]
    search_fields = ["digest"]
    list_select_related = []
    readonly_fields = ["digest", "results", "created_at"]

    def has_add_permission(self, request):
        return False


@admin.register(OrderOutboundEmail)
class OrderOutboundEmailAdmin(admin.ModelAdmin):
    list_display = ["id", "order", "outbound", "created_at"]
    list_filter = ["created_at"]
    search_fields = ["outbound__message_id", "outbound__to", "order__title"]
    list_select_related = ["order", "outbound"]
    raw_id_fields = ["outbound"]
    autocomplete_fields = ["order"]


@admin.register(SuppressedEmail)
class SuppressedEmailAdmin(admin.ModelAdmin):
    list_display = ["id", "to", "subject", "reason", "order", "created_at"]
    list_filter = ["reason", "created_at"]
    search_fields = ["to", "subject", "key"]
    list_select_related = ["order"]
    autocomplete_fields = ["order"]
