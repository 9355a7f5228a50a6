from django.contrib import admin

from ongs.models import LedgerEntry, Ong, Withdrawal


@admin.register(Ong)
class OngAdmin(admin.ModelAdmin):
    list_display = ["name", "cause", "owner", "email", "is_active", "created_at"]
    list_filter = ["is_active", "cause"]
    search_fields = ["name", "email", "cnpj", "owner__email"]
    list_select_related = ["owner"]
    autocomplete_fields = ["owner", "admins"]
    readonly_fields = ["shares_legacy_email", "created_at", "updated_at"]


@admin.register(Withdrawal)
class WithdrawalAdmin(admin.ModelAdmin):
    """Read-only: a withdrawal is written with its ledger debit, only through the API."""

    list_display = ["id", "ong", "amount", "requested_by", "created_at"]
    list_filter = ["created_at"]
    search_fields = ["ong__name", "requested_by__email", "description"]
    list_select_related = ["ong", "requested_by"]
    autocomplete_fields = ["requested_by"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(LedgerEntry)
class LedgerEntryAdmin(admin.ModelAdmin):
    """The append-only ledger: staff read it, nobody edits it."""

    list_display = ["id", "ong", "kind", "amount", "balance_after", "created_at"]
    list_filter = ["kind", "created_at"]
    search_fields = ["ong__name"]
    list_select_related = ["ong"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
